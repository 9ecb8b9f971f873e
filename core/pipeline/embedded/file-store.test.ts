import { mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { silentLogger } from '../../util/logger.ts';
import { FileConnectorStores } from './file-store.ts';

describe('FileConnectorStores (embedded dataDir)', () => {
  const dirs: string[] = [];
  const fresh = (): string => {
    const d = mkdtempSync(join(tmpdir(), 'ph-filestore-'));
    dirs.push(d);
    return d;
  };
  afterEach(() => {
    for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
  });

  it('keeps every change across a restart, also many made at once', async () => {
    const dir = fresh();
    const a = new FileConnectorStores(dir, silentLogger());
    const s = a.of('hub:webhooks');
    await Promise.all(Array.from({ length: 50 }, (_, i) => s.set([[`hook:${i}`, `v${i}`]])));
    await s.delete(['hook:7']);
    await a.of('teams/east').set([['k', 'v']]);
    const b = new FileConnectorStores(dir, silentLogger());
    const again = await b.of('hub:webhooks').entries('hook:');
    expect(again.size).toBe(49);
    expect(again.get('hook:49')).toBe('v49');
    expect(again.has('hook:7')).toBe(false);
    expect(await b.of('teams/east').get(['k'])).toEqual(new Map([['k', 'v']]));
  });

  it('a crash in the middle of a write leaves the previous complete state', async () => {
    const dir = fresh();
    const a = new FileConnectorStores(dir, silentLogger());
    await a.of('hub:relationships').set([['alice', '{"personal":[],"blocked":["bob"]}']]);
    // What an interrupted write leaves behind: a torn temporary file beside the complete one.
    const state = join(dir, 'state');
    const file = readdirSync(state).find((f) => f.endsWith('.json'))!;
    writeFileSync(join(state, `${file}.4242.tmp`), '{"alice":"{\\"personal\\":[],\\"blo');
    const b = new FileConnectorStores(dir, silentLogger());
    expect(await b.of('hub:relationships').get(['alice'])).toEqual(new Map([['alice', '{"personal":[],"blocked":["bob"]}']]));
  });

  it('refuses to start over a state file it cannot read, naming it', () => {
    const dir = fresh();
    new FileConnectorStores(dir, silentLogger());
    writeFileSync(join(dir, 'state', 'hub%3Awebhooks.json'), '{not json');
    expect(() => new FileConnectorStores(dir, silentLogger())).toThrow(/hub%3Awebhooks\.json is not readable state/);
  });
});
