import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import type { ClassChange } from './map.ts';
import { sign, signMessage, verify } from './client.ts';
import { webhookBody } from './map.ts';

const fixture = (n: string): string => readFileSync(new URL(`./fixtures/${n}`, import.meta.url), 'utf8').trim();
const T0 = Date.parse('2026-11-22T10:00:00Z');
const change = (person: string, cls: ClassChange['class'], availability: number, at = T0): ClassChange => ({ person, class: cls, availability, at });

describe('webhookBody', () => {
  it('is the documented body byte for byte (fixtures/batch.json)', () => {
    expect(webhookBody('dirsync', T0 + 2000, [change('alice', 'busy', 6500)])).toBe(fixture('batch.json'));
  });

  it.each([
    ['no changes (testConnection)', [], []],
    ['one change', [change('bob', 'away', 3000, T0 + 1)], [{ person: 'bob', class: 'away', availability: 3000, at: '2026-11-22T10:00:00.001Z' }]],
    [
      'changes in batch order',
      [change('b', 'offline', 0), change('a', 'available', 9000)],
      [
        { person: 'b', class: 'offline', availability: 0, at: '2026-11-22T10:00:00.000Z' },
        { person: 'a', class: 'available', availability: 9000, at: '2026-11-22T10:00:00.000Z' },
      ],
    ],
  ] as const)('%s', (_name, batch, want) => {
    const body = JSON.parse(webhookBody('src', T0, batch));
    expect(body).toEqual({ source: 'src', sentAt: '2026-11-22T10:00:00.000Z', changes: want });
  });
});

describe('signature (X-Hub-Signature-256)', () => {
  it("matches GitHub's published test vector", () => {
    const v = JSON.parse(fixture('github-signature-test-vector.json')) as { secret: string; payload: string; signature: string };
    expect(signMessage(v.secret, v.payload)).toBe(v.signature);
  });
  it('covers the timestamp, a dot and the body', () => {
    const v = JSON.parse(fixture('github-signature-test-vector.json')) as { secret: string; payload: string; signature: string };
    const ts = String(T0 / 1000);
    expect(sign(v.secret, ts, v.payload)).toBe(signMessage(v.secret, `${ts}.${v.payload}`));
    expect(verify(v.secret, v.payload, sign(v.secret, ts, v.payload), ts, T0)).toBe(true);
    expect(verify(v.secret, `${v.payload} `, sign(v.secret, ts, v.payload), ts, T0)).toBe(false);
  });
});
