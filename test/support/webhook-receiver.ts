import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';

/**
 * A loopback HTTP receiver for webhook deliveries: every POST body is kept under the first path
 * segment of its URL (`${url}/name` -> deliveries.get('name')), answered 204.
 */
export interface WebhookReceiver {
  readonly url: string;
  readonly deliveries: Map<string, string[]>;
  close(): Promise<void>;
}

export async function webhookReceiver(): Promise<WebhookReceiver> {
  const deliveries = new Map<string, string[]>();
  const server: Server = createServer((req, res) => {
    let body = '';
    req.on('data', (c: Buffer) => (body += c.toString('utf8')));
    req.on('end', () => {
      const name = (req.url ?? '/').slice(1);
      deliveries.set(name, [...(deliveries.get(name) ?? []), body]);
      res.writeHead(204).end();
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    deliveries,
    close: () => new Promise<void>((r) => server.close(() => r())),
  };
}
