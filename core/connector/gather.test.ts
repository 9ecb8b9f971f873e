import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { Gather } from './gather.ts';

describe('names gathered for a debounce and read together', () => {
  beforeEach(() => {
    vi.useFakeTimers();
  });
  afterEach(() => {
    vi.useRealTimers();
  });

  it('a burst within the debounce is one batch; the next burst is another', () => {
    const fired: string[][] = [];
    const g = new Gather<string>({ ms: 100, active: () => true, fire: (b) => fired.push(b) });
    g.add(['a']);
    vi.advanceTimersByTime(60);
    g.add(['b', 'a']);
    vi.advanceTimersByTime(39);
    expect(fired).toEqual([]);
    vi.advanceTimersByTime(1);
    expect(fired).toEqual([['a', 'b']]);
    g.add(['c']);
    vi.advanceTimersByTime(100);
    expect(fired).toEqual([['a', 'b'], ['c']]);
  });

  it('while inactive a name is kept without a timer; cancel forgets names and timer', () => {
    let active = false;
    const fired: string[][] = [];
    const g = new Gather<string>({ ms: 100, active: () => active, fire: (b) => fired.push(b) });
    g.add(['early']);
    vi.advanceTimersByTime(1000);
    expect(fired).toEqual([]);
    active = true;
    g.add(['x']);
    vi.advanceTimersByTime(100);
    expect(fired).toEqual([['early', 'x']]);
    g.add(['y']);
    g.cancel();
    vi.advanceTimersByTime(1000);
    g.add(['z']);
    vi.advanceTimersByTime(100);
    expect(fired).toEqual([['early', 'x'], ['z']]);
  });
});
