import { Writable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { classActivity, type Presence } from '../../model/presence.ts';
import { createLogger } from '../../util/logger.ts';
import { MemoryBus } from './bus.ts';

const change = (version: number): Presence => Object.freeze({ person: 'alice', availability: 3500, class: 'available', activity: classActivity('available'), since: 0, version });

describe('MemoryBus', () => {
  it('logs a listener that throws and still delivers to the others', async () => {
    const lines: string[] = [];
    const destination = new Writable({ write: (chunk, _enc, done) => (lines.push(String(chunk)), done()) });
    const bus = new MemoryBus(createLogger({ destination }));
    const seen: number[] = [];
    bus.subscribe(() => {
      throw new Error('listener broke');
    });
    bus.subscribe((p) => seen.push(p.version));
    await bus.publish([change(1), change(2)]);
    expect(seen).toEqual([1, 2]);
    expect(lines.filter((l) => l.includes('change listener threw') && l.includes('listener broke'))).toHaveLength(2);
  });
});
