import { readFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { systemClock } from '../../core/util/clock.ts';
import { parseXml, type XmlNode } from '../sip-core/xml.ts';
import { EwsClient } from './client.ts';
import { ewsCalendarConfigSchema } from './config.ts';
import { EwsSimulator } from './simulator.ts';
import { readFault } from './transport.ts';

/**
 * Microsoft's published examples (fixtures/) against the client (ews-javascript-api reads them as
 * Exchange would send them) and against the simulator (it answers with the same elements), so
 * neither is only checked against the other.
 */
const fixture = (name: string): string => readFileSync(join(import.meta.dirname, 'fixtures', name), 'utf8');

/** Element paths by local name (namespace prefixes dropped), e.g. Envelope/Body/Fault/detail/ResponseCode. */
function paths(xml: string): Set<string> {
  const out = new Set<string>();
  const walk = (node: XmlNode, at: string): void => {
    for (const [k, v] of Object.entries(node)) {
      if (k.startsWith('@_') || k.startsWith('#') || !Array.isArray(v)) continue;
      const p = at === '' ? k : `${at}/${k}`;
      out.add(p);
      for (const c of v) walk(c, p);
    }
  };
  walk(parseXml(xml.replace(/<!--[\s\S]*?-->/g, ''), 4_000_000), '');
  return out;
}

describe('Microsoft examples through the client', () => {
  let server: Server;
  let url = '';
  const answers: Record<string, { status: number; body: string }> = {
    GetUserAvailabilityRequest: { status: 200, body: fixture('get-user-availability.response.xml') },
    GetUserOofSettingsRequest: { status: 200, body: fixture('get-user-oof-settings.response.xml') },
  };
  let busy = false;
  beforeAll(async () => {
    server = createServer((req, res) => {
      let body = '';
      req.on('data', (c) => (body += c));
      req.on('end', () => {
        const op = /<m:(\w+)[ >]/.exec(body.split('<soap:Body>')[1] ?? '')?.[1] ?? '';
        const a = busy ? { status: 500, body: fixture('server-busy.fault.xml') } : answers[op] ?? { status: 500, body: '' };
        res.writeHead(a.status, { 'content-type': 'text/xml; charset=utf-8' }).end(a.body);
      });
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    url = `http://127.0.0.1:${(server.address() as { port: number }).port}/EWS/Exchange.asmx`;
  });
  afterAll(() => new Promise<void>((r) => server.close(() => r())));
  const client = (extra: Record<string, unknown> = {}) => new EwsClient({ config: ewsCalendarConfigSchema.parse({ url, auth: { type: 'basic', username: 'u', password: 'p' }, ...extra }), clock: systemClock });

  it('reads the GetUserAvailability example: a free event says nothing, working hours Monday-Friday 08:00-17:00 at bias 480, a detailed busy event', async () => {
    const [a, b] = await client().availability(['a@corp.example', 'b@corp.example'], Date.parse('2006-10-16T00:00:00Z'), Date.parse('2006-10-17T00:00:00Z'));
    expect(a).toMatchObject({ ok: true, blocks: [{ status: 'free' }] });
    expect(a!.ok && a!.workingHours).toEqual({
      timeZone: { name: 'Working hours', bias: 480, standardOffset: { time: '02:00:00', dayOccurrence: 5, dayOfWeek: 'sunday', month: 10, year: 0 }, daylightOffset: { time: '02:00:00', dayOccurrence: 1, dayOfWeek: 'sunday', month: 4, year: 0, daylightBias: -60 } },
      periods: [{ days: ['monday', 'tuesday', 'wednesday', 'thursday', 'friday'], startMinutes: 480, endMinutes: 1020 }],
    });
    expect(b).toMatchObject({ ok: true, blocks: [{ from: Date.parse('2006-10-16T14:00:00Z'), until: Date.parse('2006-10-16T14:30:00Z'), status: 'busy', subject: 'Budget review', isPrivate: false }] });
  });

  it('reads the GetUserOofSettings example (MS-OXWOOF 4.2): Enabled', async () => {
    expect(await client().oof('a@corp.example')).toEqual({ enabled: true });
  });

  it('reads the ErrorServerBusy fault: throttled for BackOffMilliseconds', async () => {
    expect(readFault(fixture('server-busy.fault.xml'))).toEqual({ code: 'ErrorServerBusy', message: 'The server cannot service this request right now. Try again later.', backOffMs: 297749 });
    busy = true;
    try {
      const c = client({ maxBusyWaits: 0 });
      await expect(c.availability(['a@corp.example'], 0, 1)).rejects.toMatchObject({ code: 'HUB_ERR_EWS_BUSY', kind: 'throttled', retryAfterMs: 297749 });
      expect(c.pace.until).toBeGreaterThan(Date.now() + 290_000);
    } finally {
      busy = false;
    }
  });
});

describe('the simulator answers with the elements of the examples', () => {
  const sim = new EwsSimulator({ basic: { username: 'u', password: 'p' } });
  const basic = `Basic ${Buffer.from('u:p').toString('base64')}`;
  const post = async (body: string) => (await fetch(sim.url, { method: 'POST', headers: { authorization: basic, 'content-type': 'text/xml' }, body })).text();
  const soap = (header: string, body: string) => `<soap:Envelope xmlns:soap="http://schemas.xmlsoap.org/soap/envelope/" xmlns:m="http://schemas.microsoft.com/exchange/services/2006/messages" xmlns:t="http://schemas.microsoft.com/exchange/services/2006/types"><soap:Header>${header}</soap:Header><soap:Body>${body}</soap:Body></soap:Envelope>`;
  beforeAll(async () => {
    await sim.start();
    sim.addMailbox('a@corp.example', { events: [{ start: Date.parse('2006-10-16T14:00:00Z'), end: Date.parse('2006-10-16T14:30:00Z'), busyType: 'Busy', subject: 'Budget review', location: 'Room 1' }], workingHours: { bias: 480, periods: [{ days: 'Monday Tuesday Wednesday Thursday Friday', start: 480, end: 1020 }] }, oof: { state: 'Enabled' } });
  });
  afterAll(() => sim.stop());

  it('GetUserAvailability', async () => {
    const got = paths(await post(soap('', '<m:GetUserAvailabilityRequest><m:MailboxDataArray><t:MailboxData><t:Email><t:Address>a@corp.example</t:Address></t:Email></t:MailboxData></m:MailboxDataArray><t:FreeBusyViewOptions><t:TimeWindow><t:StartTime>2006-10-16T00:00:00</t:StartTime><t:EndTime>2006-10-17T00:00:00</t:EndTime></t:TimeWindow><t:RequestedView>Detailed</t:RequestedView></t:FreeBusyViewOptions></m:GetUserAvailabilityRequest>')));
    for (const p of paths(fixture('get-user-availability.response.xml'))) expect(got, p).toContain(p);
  });

  it('GetUserOofSettings', async () => {
    const got = paths(await post(soap('<t:ExchangeImpersonation><t:ConnectingSID><t:SmtpAddress>a@corp.example</t:SmtpAddress></t:ConnectingSID></t:ExchangeImpersonation>', '<m:GetUserOofSettingsRequest><t:Mailbox><t:Address>a@corp.example</t:Address></t:Mailbox></m:GetUserOofSettingsRequest>')));
    for (const p of paths(fixture('get-user-oof-settings.response.xml'))) expect(got, p).toContain(p);
  });

  it('ErrorServerBusy', async () => {
    sim.throttleNext(1000);
    const got = paths(await post(soap('', '<m:GetUserOofSettingsRequest><t:Mailbox><t:Address>a@corp.example</t:Address></t:Mailbox></m:GetUserOofSettingsRequest>')));
    for (const p of paths(fixture('server-busy.fault.xml'))) expect(got, p).toContain(p);
  });

  it('GetStreamingEvents: a chunked answer of whole Envelope frames with the example skeleton', async () => {
    // Its own mailbox, whose events it clears, so that the other tests find a@corp.example's meeting whatever the order.
    sim.addMailbox('s@corp.example', { events: [{ start: Date.parse('2006-10-16T14:00:00Z'), end: Date.parse('2006-10-16T14:30:00Z'), busyType: 'Busy', subject: 'Budget review' }] });
    const imp = '<t:ExchangeImpersonation><t:ConnectingSID><t:SmtpAddress>s@corp.example</t:SmtpAddress></t:ConnectingSID></t:ExchangeImpersonation>';
    const sub = /<m:SubscriptionId>([^<]+)</.exec(await post(soap(imp, '<m:Subscribe><m:StreamingSubscriptionRequest><t:FolderIds><t:DistinguishedFolderId Id="calendar"/></t:FolderIds><t:EventTypes><t:EventType>ModifiedEvent</t:EventType></t:EventTypes></m:StreamingSubscriptionRequest></m:Subscribe>')))![1]!;
    const res = await fetch(sim.url, { method: 'POST', headers: { authorization: basic }, body: soap(imp, `<m:GetStreamingEvents><m:SubscriptionIds><t:SubscriptionId>${sub}</t:SubscriptionId></m:SubscriptionIds><m:ConnectionTimeout>1</m:ConnectionTimeout></m:GetStreamingEvents>`) });
    expect(res.headers.get('transfer-encoding')).toBe('chunked');
    const reader = res.body!.getReader();
    let text = new TextDecoder().decode((await reader.read()).value);
    sim.setEvents('s@corp.example', []);
    while (!text.includes('ModifiedEvent')) text += new TextDecoder().decode((await reader.read()).value);
    await reader.cancel();
    const frames = text.split('</Envelope>').filter((f) => f.trim() !== '').map((f) => `${f}</Envelope>`);
    const got = new Set(frames.flatMap((f) => [...paths(f)]));
    const skeleton = [...paths(fixture('get-streaming-events.response.xml'))].filter((p) => !/CreatedEvent|FolderId|UnreadCount|ModifiedEvent\/ParentFolderId/.test(p) || p.endsWith('ModifiedEvent/TimeStamp'));
    for (const p of skeleton) expect(got, p).toContain(p);
  });
});
