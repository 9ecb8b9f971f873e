import { request as httpRequest } from 'node:http';
import { request as httpsRequest } from 'node:https';
import type { DestinationPolicy } from './destination-policy.ts';

/**
 * One webhook POST through the destination policy (destination-policy.ts): the URL's host is
 * checked, and every connection goes through the policy's `lookup`, so the address connected to is
 * the address checked. No redirect is followed (a 3xx is an answer like any other), and the whole
 * exchange is bounded by `timeoutMs`. Resolves with the status code; rejects when unreachable.
 */
export async function postWebhook(url: string, headers: Record<string, string>, body: string, opts: { timeoutMs: number; policy: DestinationPolicy }): Promise<number> {
  await opts.policy.checkUrl(url);
  const u = new URL(url);
  const request = u.protocol === 'https:' ? httpsRequest : httpRequest;
  return new Promise<number>((resolve, reject) => {
    const req = request(
      u,
      {
        method: 'POST',
        headers: { ...headers, 'content-length': String(Buffer.byteLength(body)) },
        lookup: opts.policy.lookup as never,
        signal: AbortSignal.timeout(opts.timeoutMs),
        // A fresh connection per delivery: a kept-alive socket would skip the lookup, and the check.
        agent: false,
      },
      (res) => {
        res.resume();
        res.on('end', () => resolve(res.statusCode ?? 0));
        res.on('error', reject);
      },
    );
    req.on('error', reject);
    req.end(body);
  });
}
