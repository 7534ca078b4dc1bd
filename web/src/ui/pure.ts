/**
 * Components that render again only when a prop changes (compared by
 * identity), as React's memo, and callbacks whose identity never changes
 * while they always call the latest closure, so that passing one does not
 * count as a change. The bench re-renders on every step of the trace player;
 * the guide and the terminals beside it have nothing new to show then.
 */
import { Component, h, type ComponentChildren, type FunctionComponent } from "preact";
import { useCallback, useRef } from "preact/hooks";

export function pure<P extends object>(render: FunctionComponent<P>): FunctionComponent<P> {
  class Pure extends Component<P> {
    override shouldComponentUpdate(next: P): boolean {
      const now = this.props as Record<string, unknown>;
      const then = next as Record<string, unknown>;
      const keys = new Set([...Object.keys(now), ...Object.keys(then)]);
      for (const key of keys) if (now[key] !== then[key]) return true;
      return false;
    }
    override render(props: P): ComponentChildren {
      return h(render, props);
    }
  }
  return Pure as unknown as FunctionComponent<P>;
}

/** The same function on every render, calling the closure of the latest render. */
export function useStable<A extends unknown[], R>(fn: (...args: A) => R): (...args: A) => R {
  const latest = useRef(fn);
  latest.current = fn;
  return useCallback((...args: A) => latest.current(...args), []);
}
