import { describe, expect, it } from 'vitest';
import { memoryConnectorStore } from '../pipeline/embedded/connector-store.ts';
import { silentLogger } from '../util/logger.ts';
import { ClusterHealth } from './cluster-health.ts';
import type { Health } from './contract.ts';

const health = (h: Partial<Health> & Pick<Health, 'state'>): Health => ({ recent: [], counts: {}, refused: {}, ...h });
const failing = health({ state: 'degraded', failingSince: 500, lastError: { code: 'HUB_ERR_X', message: 'down', at: 900 } });
const sup = (h: Health) => ({ kind: 'domino-calendar', health: () => h });

describe('connector health as the cluster sees it', () => {
  it("a node that does not run the connector answers with the holder's record, not a record of an earlier holder", async () => {
    const store = memoryConnectorStore();
    let holder = 'a';
    const node = (id: string) => new ClusterHealth({ store, nodeId: id, log: silentLogger(), runs: () => holder === id, holder: async () => holder });
    const a = node('a');
    const b = node('b');
    a.note('notes', failing);
    b.note('notes', health({ state: 'stopped' })); // b does not run it: writes nothing
    await Promise.all([a.settled(), b.settled()]);
    const idle = [['notes', sup(health({ state: 'stopped' }))]] as const;
    expect(await b.failing(idle)).toEqual([{ id: 'notes', kind: 'domino-calendar', state: 'degraded', since: 500 }]);
    expect(await a.failing([['notes', sup(failing)]])).toEqual([{ id: 'notes', kind: 'domino-calendar', state: 'degraded', since: 500 }]);
    // The lease moves to c, which has not written yet: a's record is no longer the word.
    holder = 'c';
    expect(await b.failing(idle)).toEqual([]);
    // c writes that it is healthy; back on a later, a writes again even what it wrote before.
    const c = node('c');
    c.note('notes', health({ state: 'running', lastOkAt: 1000 }));
    await c.settled();
    expect(await b.failing(idle)).toEqual([]);
    holder = 'a';
    a.took('notes');
    a.note('notes', failing);
    await a.settled();
    expect(await b.failing(idle)).toEqual([{ id: 'notes', kind: 'domino-calendar', state: 'degraded', since: 500 }]);
  });
});
