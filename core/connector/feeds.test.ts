import { describe, expect, it } from 'vitest';
import type { Signal } from '../model/signal.ts';
import { MemoryStore } from '../pipeline/embedded/store.ts';
import { ManualClock } from '../util/clock.ts';
import type { Health } from './contract.ts';
import { failingFeeds, peopleFedBy } from './feeds.ts';

const health = (h: Partial<Health> & Pick<Health, 'state'>): Health => ({ recent: [], counts: {}, refused: {}, ...h });
const sup = (kind: string, h: Health) => ({ kind, health: () => h });

describe('failing connectors and whom they feed', () => {
  it('degraded, or stopped after an error newer than the last success, is failing; running, disabled-stopped and recovered are not', () => {
    const feeds = failingFeeds([
      ['zeta', sup('sip-presence', health({ state: 'degraded', failingSince: 500, lastError: { code: 'HUB_ERR_X', message: 'down', at: 900 } }))],
      ['alpha', sup('domino-calendar', health({ state: 'stopped', lastOkAt: 100, lastError: { code: 'HUB_ERR_AUTH', message: 'refused', at: 200 } }))],
      ['ok', sup('xmpp', health({ state: 'running', lastOkAt: 100 }))],
      ['off', sup('xmpp', health({ state: 'stopped' }))],
      ['healed', sup('xmpp', health({ state: 'stopped', lastOkAt: 300, lastError: { code: 'HUB_ERR_X', message: 'old', at: 200 } }))],
    ]);
    expect(feeds).toEqual([
      { id: 'alpha', kind: 'domino-calendar', state: 'stopped', since: 200 },
      { id: 'zeta', kind: 'sip-presence', state: 'degraded', since: 500 },
    ]);
  });

  it('names the people holding a register of each source, once each, in order', async () => {
    const store = new MemoryStore(new ManualClock(1000));
    const sig = (person: string, source: string, endpoint = 'e'): Signal => ({ person, source, endpoint, category: 'user', availability: 3500, expireType: 'user' }) as Signal;
    await store.applySignals([sig('carol', 'notes'), sig('alice', 'notes'), sig('alice', 'notes', 'e2'), sig('bob', 'pbx'), sig('dave', 'webhook')]);
    const fed = await peopleFedBy(store, ['alice', 'bob', 'carol', 'dave', 'erin'], ['notes', 'pbx', 'quiet'], 2);
    expect(Object.fromEntries(fed)).toEqual({ notes: ['alice', 'carol'], pbx: ['bob'], quiet: [] });
    expect((await peopleFedBy(store, ['alice'], [])).size).toBe(0);
  });
});
