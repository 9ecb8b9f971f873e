/**
 * ConnectorStore.setIfAbsent (core/connector/contract.ts) on every store that has it: the first
 * value stored under a key stays, and every caller is answered with it (the triggers' first state,
 * core/trigger/registry.ts claim). Redis: two nodes (two pipelines on one prefix) at once.
 */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import type { ConnectorStore } from '../../core/connector/contract.ts';
import { embeddedPipeline } from '../../core/pipeline/embedded/index.ts';
import { redisPipeline } from '../../core/pipeline/redis/index.ts';
import { systemClock } from '../../core/util/clock.ts';
import { silentLogger } from '../../core/util/logger.ts';
import { freshPrefix, redisUrl } from '../support/redis-url.ts';

async function firstWins(a: ConnectorStore, b: ConnectorStore): Promise<void> {
  const [x, y] = await Promise.all([a.setIfAbsent!('state:t', 'from-a'), b.setIfAbsent!('state:t', 'from-b')]);
  expect(x).toBe(y);
  expect(['from-a', 'from-b']).toContain(x);
  expect((await b.get(['state:t'])).get('state:t')).toBe(x);
  expect(await a.setIfAbsent!('state:t', 'later')).toBe(x);
  // Another key is still free.
  expect(await b.setIfAbsent!('state:u', 'u')).toBe('u');
}

describe('ConnectorStore.setIfAbsent', () => {
  it('embedded, in memory', async () => {
    const p = embeddedPipeline({ clock: systemClock, log: silentLogger() });
    await firstWins(p.connectorStore!('hub:triggers'), p.connectorStore!('hub:triggers'));
    await p.close();
  });

  it('embedded with dataDir: stored on disk too', async () => {
    const dataDir = mkdtempSync(join(tmpdir(), 'ph-sia-'));
    try {
      const p = embeddedPipeline({ clock: systemClock, log: silentLogger(), dataDir });
      const s = p.connectorStore!('hub:triggers');
      await firstWins(s, s);
      const onDisk = JSON.parse(readFileSync(join(dataDir, 'state', `${encodeURIComponent('hub:triggers')}.json`), 'utf8')) as Record<string, string>;
      expect(onDisk['state:t']).toBe((await s.get(['state:t'])).get('state:t'));
      await p.close();
    } finally {
      rmSync(dataDir, { recursive: true, force: true });
    }
  });

  it('redis, two nodes on one prefix', async () => {
    const prefix = freshPrefix('sia');
    const one = await redisPipeline({ url: redisUrl(), prefix, log: silentLogger(), nodeId: 'node-1' });
    const two = await redisPipeline({ url: redisUrl(), prefix, log: silentLogger(), nodeId: 'node-2' });
    try {
      await firstWins(one.connectorStore!('hub:triggers'), two.connectorStore!('hub:triggers'));
    } finally {
      await one.close();
      await two.close();
    }
  });
});
