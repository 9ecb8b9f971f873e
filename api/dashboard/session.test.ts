import { describe, expect, it } from 'vitest';
import { ManualClock } from '../../core/util/clock.ts';
import { SessionStore } from '../session.ts';

const KEYS = [
  { name: 'admin', secret: 'admin-secret-0001', roles: ['admin' as const] },
  { name: 'carol', secret: 'carol-secret-0004', roles: ['watcher' as const], person: 'carol' },
];

describe('SessionStore', () => {
  const clock = new ManualClock(Date.parse('2026-11-22T10:00:00Z'));
  const store = new SessionStore(KEYS, { now: () => clock.now(), ttlMs: 3600_000 });

  it('issues a cookie that stands for the key, without the key in it', () => {
    const carol = store.verify(store.issue({ name: 'carol', roles: new Set(['watcher']), person: 'carol', open: false }).value);
    expect(carol?.principal).toMatchObject({ name: 'carol', person: 'carol' });
    expect(store.issue({ name: 'admin', roles: new Set(['admin']), open: false }).value).not.toContain('admin-secret');
  });

  it('survives a restart (a new store with the same keys) and ends when the key changes', () => {
    const { value } = store.issue({ name: 'admin', roles: new Set(['admin']), open: false });
    expect(new SessionStore(KEYS, { now: () => clock.now() }).verify(value)?.principal.name).toBe('admin');
    const rotated = [{ ...KEYS[0]!, secret: 'admin-secret-0002' }];
    expect(new SessionStore(rotated, { now: () => clock.now() }).verify(value)).toBeUndefined();
  });

  const good = store.issue({ name: 'carol', roles: new Set(['watcher']), person: 'carol', open: false }).value;
  const [id, name, exp, mac] = good.split('.') as [string, string, string, string];
  it.each([
    ['empty', ''],
    ['garbage', 'not-a-session'],
    ['another name', [id, Buffer.from('admin').toString('base64url'), exp, mac].join('.')],
    ['a later expiry', [id, name, String(Number(exp) + 1), mac].join('.')],
    ['another id', [(id[0] === 'x' ? 'y' : 'x') + id.slice(1), name, exp, mac].join('.')],
    ['a truncated mac', [id, name, exp, mac.slice(0, -2)].join('.')],
    ['an unknown key', [id, Buffer.from('nobody').toString('base64url'), exp, mac].join('.')],
  ])('refuses %s', (_what, value) => {
    expect(store.verify(value)).toBeUndefined();
  });

  it('refuses an expired or revoked session', async () => {
    const a = store.issue({ name: 'admin', roles: new Set(['admin']), open: false }).value;
    const b = store.issue({ name: 'admin', roles: new Set(['admin']), open: false }).value;
    await store.revoke(a);
    expect(store.verify(a)).toBeUndefined();
    expect(store.verify(b)).toBeDefined();
    clock.advance(3600_001);
    expect(store.verify(b)).toBeUndefined();
  });
});
