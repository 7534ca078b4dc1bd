/**
 * The trace's event list, virtualised: only the rows in view (and a few
 * around them) are in the DOM, so 10,000 events scroll as smoothly as ten.
 * Keyboard: ↑/↓ step, Home/End, Space play/pause, when the list has focus.
 */
import { useEffect, useRef, useState } from "preact/hooks";
import { useI18n } from "../i18n.js";
import { formatTime, type TraceEvent } from "../trace/trace-event.js";
import type { PlayerAction } from "../trace/trace-player.js";

const ROW = 22;
const OVERSCAN = 8;

export function EventList(props: { events: TraceEvent[]; cursor: number; dispatch: (a: PlayerAction) => void }) {
  const { t } = useI18n();
  const box = useRef<HTMLDivElement>(null);
  const [scrollTop, setScrollTop] = useState(0);
  const [height, setHeight] = useState(300);

  useEffect(() => {
    const el = box.current!;
    const observer = new ResizeObserver(() => setHeight(el.clientHeight));
    observer.observe(el);
    return () => observer.disconnect();
  }, []);

  // Keep the current event in view as the player moves.
  useEffect(() => {
    const el = box.current;
    if (el === null || props.cursor < 0) return;
    const top = props.cursor * ROW;
    if (top < el.scrollTop) el.scrollTop = top;
    else if (top + ROW > el.scrollTop + el.clientHeight) el.scrollTop = top + ROW - el.clientHeight;
  }, [props.cursor]);

  const first = Math.max(0, Math.floor(scrollTop / ROW) - OVERSCAN);
  const last = Math.min(props.events.length, Math.ceil((scrollTop + height) / ROW) + OVERSCAN);
  const rows = [];
  for (let i = first; i < last; i++) {
    const e = props.events[i]!;
    rows.push(
      <div
        key={e.seq}
        class={`row k-${e.kind}${i === props.cursor ? " current" : ""}`}
        style={{ top: `${i * ROW}px` }}
        data-seq={e.seq}
        data-kind={e.kind}
        onClick={() => props.dispatch({ type: "seek", index: i })}
        title={e.summary}
      >
        <span>{e.seq}</span>
        <span>{formatTime(e.time)}</span>
        <span>
          {e.namespace === "root" ? e.host : e.namespace}/{e.device ?? "-"}
        </span>
        <span>{e.kind}</span>
        <span>{e.summary}</span>
      </div>,
    );
  }

  const onKey = (e: KeyboardEvent) => {
    const actions: Record<string, PlayerAction> = {
      ArrowDown: { type: "step", by: 1 },
      ArrowUp: { type: "step", by: -1 },
      PageDown: { type: "step", by: Math.max(1, Math.floor(height / ROW) - 1) },
      PageUp: { type: "step", by: -Math.max(1, Math.floor(height / ROW) - 1) },
      Home: { type: "first" },
      End: { type: "last" },
      " ": { type: "toggle" },
    };
    const action = actions[e.key];
    if (action !== undefined) {
      e.preventDefault();
      props.dispatch(action);
    }
  };

  return (
    <div
      class="eventlist"
      ref={box}
      tabIndex={0}
      role="listbox"
      aria-label="trace events"
      aria-activedescendant={props.cursor >= 0 ? `ev-${props.events[props.cursor]?.seq}` : undefined}
      data-testid="event-list"
      onScroll={(e) => setScrollTop((e.target as HTMLDivElement).scrollTop)}
      onKeyDown={onKey}
    >
      {props.events.length === 0 ? <div class="empty">{t("noEvents")}</div> : <div style={{ height: `${props.events.length * ROW}px` }}>{rows}</div>}
    </div>
  );
}
