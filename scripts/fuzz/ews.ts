/**
 * EWS answers as the ews-calendar connector receives them: Microsoft's examples
 * (connectors/ews-calendar/fixtures) mutated (cut short, bytes flipped, elements repeated or
 * dropped, odd values, wrong HTTP status) and served over loopback HTTP to the real client
 * (ews-javascript-api under the connector's transport). Each case must end as results or as a
 * classified HubError (HUB_ERR_EWS_*): never a crash, an unhandled rejection or a hang.
 */
import { seededRandom } from '../../core/util/random.ts';
import { readFileSync } from 'node:fs';
import { createServer } from 'node:http';
import { systemClock } from '../../core/util/clock.ts';
import { isHubError } from '../../core/errors.ts';
import { EwsClient, library } from '../../connectors/ews-calendar/client.ts';
import { ewsCalendarConfigSchema } from '../../connectors/ews-calendar/config.ts';
import { readFault } from '../../connectors/ews-calendar/transport.ts';

const fixture = (n: string): string => readFileSync(new URL(`../../connectors/ews-calendar/fixtures/${n}`, import.meta.url), 'utf8');
const SEEDS = [fixture('get-user-availability.response.xml'), fixture('get-user-oof-settings.response.xml'), fixture('server-busy.fault.xml')];
const ODD = ['', '-1', 'NaN', '99999999999999', 'Busy', 'OOF', '2006-13-45T99:99:99', '<x>', '&amp;', '&#0;', '\u0000', 'x'.repeat(3000), 'Error'];

function mutate(xml: string, r: () => number): string {
  let s = xml;
  const n = 1 + Math.floor(r() * 4);
  for (let i = 0; i < n; i++) {
    const k = r();
    const at = Math.floor(r() * s.length);
    if (k < 0.15) s = s.slice(0, at);
    else if (k < 0.3) s = s.slice(0, at) + String.fromCharCode(Math.floor(r() * 128)) + s.slice(at + 1);
    else if (k < 0.6) {
      // A text value replaced.
      const m = [...s.matchAll(/>([^<]+)</g)];
      const hit = m[Math.floor(r() * m.length)];
      if (hit?.index !== undefined) s = s.slice(0, hit.index + 1) + ODD[Math.floor(r() * ODD.length)]! + s.slice(hit.index + 1 + hit[1]!.length);
    } else if (k < 0.8) {
      // An element repeated or dropped.
      const m = [...s.matchAll(/<(\w+:)?(\w+)[^>]*>[^<]*<\/(\w+:)?\2>/g)];
      const hit = m[Math.floor(r() * m.length)];
      if (hit?.index !== undefined) s = r() < 0.5 ? s.slice(0, hit.index) + hit[0] + hit[0] + s.slice(hit.index + hit[0].length) : s.slice(0, hit.index) + s.slice(hit.index + hit[0].length);
    } else s = s.replace('ResponseClass="Success"', r() < 0.5 ? 'ResponseClass="Error"' : 'ResponseClass="Warning"');
  }
  return s;
}

export async function fuzz(iterations: number, seed: number): Promise<{ cases: number; hubErrors: number }> {
  const r = seededRandom(seed);
  // The library loads on the client's first call (seconds on a loaded machine): before the cases,
  // so that the first case's hang bound times the case, not the import.
  await library();
  let answer = { status: 200, body: '' };
  const server = createServer((req, res) => {
    req.resume();
    req.on('end', () => res.writeHead(answer.status, { 'content-type': 'text/xml' }).end(answer.body));
  });
  await new Promise<void>((ok) => server.listen(0, '127.0.0.1', ok));
  const url = `http://127.0.0.1:${(server.address() as { port: number }).port}/EWS/Exchange.asmx`;
  const client = new EwsClient({ config: ewsCalendarConfigSchema.parse({ url, auth: { type: 'basic', username: 'u', password: 'p' }, maxBusyWaits: 0, timeout: '5s' }), clock: systemClock });
  let hubErrors = 0;
  // The library's XML parser (xmldom) reports every malformed answer on the console: quiet while fuzzing.
  const quiet = { error: console.error, warn: console.warn };
  console.error = console.warn = () => undefined;
  try {
    for (let i = 0; i < iterations; i++) {
      const which = Math.floor(r() * SEEDS.length);
      const body = mutate(SEEDS[which]!, r);
      readFault(body);
      answer = { status: r() < 0.8 ? (which === 2 ? 500 : 200) : [500, 401, 503, 302][Math.floor(r() * 4)]!, body };
      client.pace.until = 0;
      const call = which === 1 ? client.oof('a@corp.example') : client.availability(['a@corp.example', 'b@corp.example'], 0, 86_400_000);
      let hang: NodeJS.Timeout | undefined;
      const outcome = await Promise.race([call.then(() => 'ok', (e: unknown) => e), new Promise((ok) => (hang = setTimeout(() => ok('hang'), 10_000)))]);
      clearTimeout(hang); // no 10 s timer left behind per case (the unit tier shares its process between files)
      if (outcome === 'hang') throw new Error(`ews fuzz case ${i} (seed ${seed}) hung`);
      if (outcome !== 'ok') {
        if (!isHubError(outcome) || !outcome.code.startsWith('HUB_ERR_EWS_')) throw new Error(`ews fuzz case ${i} (seed ${seed}) threw ${String(outcome)}`);
        hubErrors++;
      }
    }
  } finally {
    Object.assign(console, quiet);
    await new Promise<void>((ok) => server.close(() => ok()));
  }
  return { cases: iterations, hubErrors };
}

if (import.meta.url === `file://${process.argv[1]}`) fuzz(Number(process.argv[2] ?? 1000), Number(process.argv[3] ?? 1)).then((r) => console.log(r));
