import { useEffect, useRef, useState } from 'preact/hooks';
import type { PresenceStore } from './store.ts';

/** Re-renders on each batch the store announces; returns its revision. */
export function useStore(store: PresenceStore): number {
  const [rev, setRev] = useState(store.rev);
  useEffect(() => store.subscribe(() => setRev(store.rev)), [store]);
  return rev;
}

/** The root font size in pixels (it grows on a wall screen), for the virtual list's row height. */
export function useRem(): number {
  const read = (): number => parseFloat(getComputedStyle(document.documentElement).fontSize) || 16;
  const [rem, setRem] = useState(read);
  useEffect(() => {
    const on = (): void => setRem(read());
    addEventListener('resize', on);
    return () => removeEventListener('resize', on);
  }, []);
  return rem;
}

/** A clock that ticks every `ms`, for "time in the current state". */
export function useNow(ms: number): number {
  const [now, setNow] = useState(Date.now());
  useEffect(() => {
    const t = setInterval(() => setNow(Date.now()), ms);
    return () => clearInterval(t);
  }, [ms]);
  return now;
}

/** Calls `load` at once and then every `ms` while the component is shown (the latest `load` given). */
export function usePoll(load: () => void, ms: number): void {
  const latest = useRef(load);
  latest.current = load;
  useEffect(() => {
    latest.current();
    const t = setInterval(() => latest.current(), ms);
    return () => clearInterval(t);
  }, [ms]);
}
