import { describe, expect, it } from 'vitest';
import { manifestsByKind } from '../../connectors/index.ts';
import { parseConfig } from './load.ts';

const parse = (raw: unknown) => parseConfig(raw, { env: {}, manifests: manifestsByKind });

describe('high-availability settings', () => {
  it('reads Redis Sentinel, failover timings and dataDir', () => {
    const c = parse({ redis: { sentinels: ['10.0.0.1:26379', 'sentinel-b:26379'], name: 'hub', lockDuration: '4s', stalledInterval: '500ms', leaseTtl: 5, minReplicas: 2 }, dataDir: '/var/lib/presence-hub' }).config;
    expect(c.redis).toMatchObject({ sentinels: ['10.0.0.1:26379', 'sentinel-b:26379'], name: 'hub', lockDuration: 4000, stalledInterval: 500, leaseTtl: 5000, minReplicas: 2, prefix: 'ph' });
    expect(c.dataDir).toBe('/var/lib/presence-hub');
  });

  it.each([
    [{ redis: { sentinels: ['10.0.0.1:26379'] } }, /redis\.name: redis\.sentinels needs redis\.name/],
    [{ redis: { sentinels: ['10.0.0.1'], name: 'hub' } }, /redis\.sentinels\[0\]: host:port/],
    [{ redis: { lockDuration: 'soon' } }, /redis\.lockDuration: a duration/],
  ])('refuses %j naming the setting', (raw, message) => {
    expect(() => parse(raw)).toThrow(message);
  });
});
