import { timingSafeEqual } from 'node:crypto';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { HubError } from '../../core/errors.ts';
import { notificationCollectionSchema, parseGraph, type ChangeNotification } from './schemas.ts';

const MAX_BODY = 1_048_576;

function sameSecret(a: string | null | undefined, b: string): boolean {
  if (typeof a !== 'string') return false;
  const x = Buffer.from(a);
  const y = Buffer.from(b);
  return x.length === y.length && timingSafeEqual(x, y);
}

/**
 * The HTTP endpoint Graph posts change notifications to (change-notifications-delivery-webhooks):
 * - `?validationToken=...`: answer 200 text/plain with the decoded token at once (Graph waits 10 s);
 * - a notification batch: check `clientState` on every item, answer 202 at once (Graph wants 2xx
 *   within 3 s, slow endpoints get throttled and dropped) and process after queueing.
 * Items whose clientState does not match are refused and counted; a batch with none valid gets 403.
 * Items carrying resource data (`encryptedContent`) are passed on only once every JWT of the
 * batch's `validationTokens` verified (webhooks with resource data); that check runs after the 202,
 * as Microsoft asks, so a forger learns nothing from the answer.
 */
export class NotificationListener {
  private server: Server | undefined;
  constructor(
    private readonly o: {
      host: string;
      port: number;
      clientState: string;
      onNotifications: (items: ChangeNotification[]) => void;
      onRejected: (err: HubError) => void;
      /** Verifies validationTokens of rich notifications; without it such items are refused. */
      verifier?: { verifyAll(tokens: readonly string[] | undefined, tenantIds: readonly (string | undefined)[]): Promise<void> };
    },
  ) {}

  async start(): Promise<number> {
    this.server = createServer((req, res) => {
      const url = new URL(req.url ?? '/', 'http://listener');
      const token = url.searchParams.get('validationToken');
      if (req.method === 'POST' && token !== null) {
        req.resume();
        res.writeHead(200, { 'content-type': 'text/plain; charset=utf-8' });
        res.end(token);
        return;
      }
      if (req.method !== 'POST') {
        res.writeHead(405).end();
        return;
      }
      const chunks: Buffer[] = [];
      let size = 0;
      req.on('data', (c: Buffer) => {
        size += c.length;
        if (size > MAX_BODY) req.destroy();
        else chunks.push(c);
      });
      req.on('end', () => {
        let items: ChangeNotification[];
        let tokens: string[] | undefined;
        try {
          const batch = parseGraph(notificationCollectionSchema, JSON.parse(Buffer.concat(chunks).toString('utf8')), 'change notification');
          items = batch.value;
          tokens = batch.validationTokens;
        } catch (e) {
          const err = e instanceof HubError ? e : new HubError('HUB_ERR_GRAPH_MALFORMED', 'malformed change notification: not JSON', { kind: 'transient' });
          this.o.onRejected(err);
          res.writeHead(400).end();
          return;
        }
        const valid = items.filter((n) => sameSecret(n.clientState, this.o.clientState));
        if (valid.length < items.length) {
          this.o.onRejected(new HubError('HUB_ERR_GRAPH_CLIENT_STATE', `${items.length - valid.length} change notification(s) refused: clientState does not match`, { kind: 'permanent' }));
        }
        if (valid.length === 0) {
          res.writeHead(403).end();
          return;
        }
        res.writeHead(202).end();
        // Processed after the answer went out.
        setImmediate(() => void this.pass(valid, tokens));
      });
    });
    await new Promise<void>((resolve, reject) => {
      this.server!.once('error', reject);
      this.server!.listen(this.o.port, this.o.host, () => resolve());
    });
    return (this.server.address() as AddressInfo).port;
  }

  private async pass(items: ChangeNotification[], tokens: string[] | undefined): Promise<void> {
    const rich = items.filter((n) => n.encryptedContent != null);
    if (rich.length === 0) return this.o.onNotifications(items);
    let trusted = false;
    try {
      if (this.o.verifier === undefined) throw new HubError('HUB_ERR_GRAPH_VALIDATION_TOKEN', 'rich notification refused: no validation token verifier configured', { kind: 'permanent' });
      await this.o.verifier.verifyAll(tokens, [...new Set(rich.map((n) => n.tenantId))]);
      trusted = true;
    } catch (e) {
      this.o.onRejected(e instanceof HubError ? e : new HubError('HUB_ERR_GRAPH_VALIDATION_TOKEN', 'rich notification refused: validation tokens not verified', { kind: 'permanent' }));
    }
    const pass = trusted ? items : items.filter((n) => n.encryptedContent == null);
    if (pass.length > 0) this.o.onNotifications(pass);
  }

  async stop(): Promise<void> {
    const s = this.server;
    this.server = undefined;
    if (s === undefined) return;
    s.closeAllConnections();
    await new Promise<void>((r) => s.close(() => r()));
  }
}
