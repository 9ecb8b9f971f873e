import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';

/**
 * A loopback HTTP receiver for webhook deliveries: every POST body is kept under the first path
 * segment of its URL (`${url}/name` -> deliveries.get('name')), answered 204.
 */
export interface WebhookReceiver {
  readonly url: string;
  readonly deliveries: Map<string, string[]>;
  /** The same deliveries with their headers (signature checks). */
  readonly requests: Map<string, { body: string; headers: IncomingHttpHeaders }[]>;
  close(): Promise<void>;
}

export async function webhookReceiver(): Promise<WebhookReceiver> {
  const deliveries = new Map<string, string[]>();
  const requests = new Map<string, { body: string; headers: IncomingHttpHeaders }[]>();
  const server: Server = createServer((req, res) => {
    let body = '';
    req.on('data', (c: Buffer) => (body += c.toString('utf8')));
    req.on('end', () => {
      const name = (req.url ?? '/').slice(1);
      deliveries.set(name, [...(deliveries.get(name) ?? []), body]);
      requests.set(name, [...(requests.get(name) ?? []), { body, headers: req.headers }]);
      res.writeHead(204).end();
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    deliveries,
    requests,
    close: () => new Promise<void>((r) => server.close(() => r())),
  };
}
