/**
 * A loopback directory-sync receiver for tests and the demo: checks the HMAC signature and the
 * timestamp's replay window (client.ts verify), as a receiver should; records
 * each accepted batch, and answers with scripted statuses (e.g. 503, then 200).
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { verify } from './client.ts';
import type { WebhookBody } from './map.ts';

export interface ReceivedBatch {
  readonly body: WebhookBody;
  readonly signatureOk: boolean;
  readonly headers: Readonly<Record<string, string | string[] | undefined>>;
}

export interface WebhookReceiver {
  readonly url: string;
  readonly received: ReceivedBatch[];
  /** Every request, answered or not: when it arrived and the status it got (throttling checks). */
  readonly requests: { at: number; status: number }[];
  /** Statuses to answer next, in order (then 200); a `[status, retryAfter]` pair sets Retry-After. */
  script(...statuses: (number | [number, string])[]): void;
  close(): Promise<void>;
}

/** `now`: the receiver's clock for the replay window (tests with a manual clock pass theirs). */
export async function startWebhookReceiver(opts: { secret: string; signatureHeader?: string; timestampHeader?: string; now?: () => number }): Promise<WebhookReceiver> {
  const header = (opts.signatureHeader ?? 'X-Hub-Signature-256').toLowerCase();
  const tsHeader = (opts.timestampHeader ?? 'X-Hub-Timestamp').toLowerCase();
  const now = opts.now ?? Date.now;
  const received: ReceivedBatch[] = [];
  const requests: { at: number; status: number }[] = [];
  const queue: (number | [number, string])[] = [];
  const server: Server = createServer((req, res) => {
    const rec = { at: Date.now(), status: 0 };
    requests.push(rec);
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const raw = Buffer.concat(chunks).toString('utf8');
      const sig = req.headers[header];
      const ts = req.headers[tsHeader];
      const signatureOk = verify(opts.secret, raw, typeof sig === 'string' ? sig : undefined, typeof ts === 'string' ? ts : undefined, now());
      const next = queue.shift() ?? (signatureOk ? 200 : 401);
      const [status, retryAfter] = Array.isArray(next) ? next : [next, undefined];
      rec.status = status;
      if (status >= 200 && status < 300) received.push({ body: JSON.parse(raw) as WebhookBody, signatureOk, headers: req.headers });
      res.writeHead(status, retryAfter !== undefined ? { 'retry-after': retryAfter } : {});
      res.end();
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}/directory-sync`,
    received,
    requests,
    script: (...s) => queue.push(...s),
    close: () => new Promise<void>((r) => server.close(() => r())),
  };
}
