/**
 * The load generator of bench/e2e.ts, in its own process (forked with an IPC channel), so that it
 * does not compete with the stream reader for one event loop. It answers `{ping}` with its clock
 * (performance.timeOrigin + performance.now(), for the parent to measure the offset between the two
 * processes), and on `{start}` posts `rate` signals a second to the hub in batches every 10 ms for
 * `warmupMs` (not measured) and then `ms`, each signal with a unique activity text, and sends back
 * when each text was accepted (the 202 received). In bench/support/ so that bench/run.ts does not
 * take it for a benchmark module.
 */
import http from 'node:http';

interface Start {
  readonly start: { url: string; people: number; rate: number; ms: number; warmupMs: number };
}
const now = (): number => performance.timeOrigin + performance.now();
const agent = new http.Agent({ keepAlive: true, maxSockets: 16 });

function post(url: string, body: string): Promise<void> {
  return new Promise((resolve, reject) => {
    const req = http.request(`${url}/v1/signals`, { method: 'POST', agent, headers: { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) } }, (res) => {
      let text = '';
      res.setEncoding('utf8');
      res.on('data', (d: string) => void (text += d));
      res.on('end', () => (res.statusCode === 202 ? resolve() : reject(new Error(`POST /v1/signals: ${res.statusCode} ${text}`))));
    });
    req.on('error', reject);
    req.end(body);
  });
}

async function load({ url, people, rate, ms, warmupMs }: Start['start']): Promise<{ accepted: [string, number][]; sent: number }> {
  const perTick = Math.max(1, Math.round(rate / 100));
  const accepted: [string, number][] = [];
  const inflight = new Set<Promise<void>>();
  let n = 0;
  let sent = 0;
  const t0 = performance.now();
  const measureFrom = t0 + warmupMs;
  const end = measureFrom + ms;
  let tick = t0;
  while (performance.now() < end) {
    const measured = performance.now() >= measureFrom;
    const batch: { person: string; source: string; category: string; availability: string; activity: { token: string; text: string }; sourceVersion: number }[] = [];
    for (let i = 0; i < perTick; i++, n++) {
      const person = `p${n % people}`;
      // The class flips on every pass over the people, and the text is unique: every signal is a change.
      const availability = Math.floor(n / people) % 2 === 0 ? 'busy' : 'available';
      batch.push({ person, source: 'bench', category: 'phone', availability, activity: { token: 'on-the-phone', text: `s${n}` }, sourceVersion: n });
    }
    const p = post(url, JSON.stringify(batch)).then(() => {
      if (!measured) return;
      const at = now();
      for (const s of batch) accepted.push([s.activity.text, at]);
    });
    if (measured) sent += batch.length;
    inflight.add(p);
    void p.finally(() => inflight.delete(p));
    tick += 10;
    const wait = tick - performance.now();
    if (wait > 0) await new Promise((r) => setTimeout(r, wait));
  }
  await Promise.all(inflight);
  return { accepted, sent };
}

process.on('message', (m: { ping?: true } | Start) => {
  if ('ping' in m) process.send!({ pong: now() });
  else if ('start' in m) {
    load(m.start).then(
      (r) => process.send!({ done: r }, () => process.exit(0)),
      (e: unknown) => process.send!({ error: (e as Error).message }, () => process.exit(1)),
    );
  }
});
process.send!({ ready: true });
