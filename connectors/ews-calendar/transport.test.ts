import { describe, expect, it } from 'vitest';
import { EwsTransport } from './transport.ts';

describe('EwsTransport affinity cookie', () => {
  const sent: Record<string, string>[] = [];
  const inner = { apiName: 'inner', xhr: async (o: { headers?: Record<string, string> }) => (sent.push(o.headers ?? {}), { status: 200, headers: {} }), xhrStream: async () => ({}), disconnect: () => undefined };
  const transport = (cookie: string) => new EwsTransport({ inner: inner as never, pace: { until: 0 }, timeoutMs: 1000, affinity: { cookie } });

  it('adds the group affinity cookie to the cookies the request already carries, replacing only an older affinity cookie', async () => {
    const t = transport('X-BackEndOverrideCookie=MBX02~1');
    await t.xhr({ type: 'POST', url: 'http://ews.test/EWS/Exchange.asmx', headers: { cookie: 'lb=node-3; X-BackEndOverrideCookie=MBX01~9; exchangecookie=abc' } } as never);
    await t.xhr({ type: 'POST', url: 'http://ews.test/EWS/Exchange.asmx', headers: {} } as never);
    expect(sent[0]).toEqual({ Cookie: 'lb=node-3; exchangecookie=abc; X-BackEndOverrideCookie=MBX02~1' });
    expect(sent[1]).toEqual({ Cookie: 'X-BackEndOverrideCookie=MBX02~1' });
  });
});
