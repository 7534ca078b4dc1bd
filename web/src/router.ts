/**
 * The page's routes, in the address bar's path (the server answers every
 * non-API path with the page): /, /labs/:id, /sessions/:id, /instructor/:tab.
 * navigate() pushes a path; useRoute() re-renders on it and on Back/Forward.
 */
import { useEffect, useState } from "preact/hooks";

const CHANGE = "cnlab:navigate";

export function navigate(path: string, replace = false): void {
  if (replace) history.replaceState(null, "", path);
  else history.pushState(null, "", path);
  window.dispatchEvent(new Event(CHANGE));
}

export function useRoute(): { path: string; query: URLSearchParams } {
  const read = () => ({ path: location.pathname, query: new URLSearchParams(location.search) });
  const [route, setRoute] = useState(read);
  useEffect(() => {
    const update = () => setRoute(read());
    window.addEventListener("popstate", update);
    window.addEventListener(CHANGE, update);
    return () => {
      window.removeEventListener("popstate", update);
      window.removeEventListener(CHANGE, update);
    };
  }, []);
  return route;
}

/** A link that navigates inside the page (a plain click) and opens a tab as links do (a middle or modified click). */
export function onLinkClick(path: string) {
  return (e: MouseEvent) => {
    if (e.button !== 0 || e.metaKey || e.ctrlKey || e.shiftKey || e.altKey) return;
    e.preventDefault();
    navigate(path);
  };
}
