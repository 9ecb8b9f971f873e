import { useEffect, useState } from 'preact/hooks';

/** History-API routing: the hub serves index.html for every client path. */
export function navigate(path: string, state: unknown = null): void {
  if (path === location.pathname + location.search) return;
  history.pushState(state, '', path);
  dispatchEvent(new PopStateEvent('popstate'));
}

export function usePath(): string {
  const [path, setPath] = useState(location.pathname);
  useEffect(() => {
    const on = (): void => setPath(location.pathname);
    addEventListener('popstate', on);
    return () => removeEventListener('popstate', on);
  }, []);
  return path;
}

/** Whether this history entry was opened from the board (its "back to the board" can be the browser's Back). */
export const fromBoard = (): boolean => (history.state as { fromBoard?: boolean } | null)?.fromBoard === true;

/** A link back to the board: the browser's Back when the board opened this page, so that its scroll and focus come back. */
export function backToBoard(e: MouseEvent): void {
  if (!fromBoard() || e.button !== 0 || e.metaKey || e.ctrlKey || e.shiftKey || e.altKey) return;
  e.preventDefault();
  history.back();
}

/** A same-origin link that navigates without a reload (ctrl/middle click still open a tab). */
export function onLink(e: MouseEvent): void {
  const a = (e.target as Element).closest('a');
  if (a === null || e.defaultPrevented || e.button !== 0 || e.metaKey || e.ctrlKey || e.shiftKey || e.altKey) return;
  if (a.origin !== location.origin || a.target !== '') return;
  e.preventDefault();
  navigate(a.pathname + a.search);
}
