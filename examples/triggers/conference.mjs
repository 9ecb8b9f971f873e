// Presence-enabled conferencing (README "Presence triggers"): receives the hub's "standup" trigger
// webhook, checks its signature and age, and starts the conference once per firing.
// STANDUP_SECRET=... PORT=9000 node examples/triggers/conference.mjs
import { createHmac, timingSafeEqual } from 'node:crypto';
import { createServer } from 'node:http';

const secret = process.env.STANDUP_SECRET;
const seen = new Set(); // firing ids already acted on: a repeated delivery starts nothing
const server = createServer((req, res) => {
  let body = '';
  req.on('data', (c) => (body += c));
  req.on('end', () => {
    const ts = String(req.headers['x-presence-hub-timestamp'] ?? '');
    const got = Buffer.from(String(req.headers['x-presence-hub-signature'] ?? ''));
    const want = Buffer.from(`sha256=${createHmac('sha256', secret).update(`${ts}.${body}`).digest('hex')}`);
    const fresh = Math.abs(Date.now() / 1000 - Number(ts)) <= 300;
    if (!fresh || got.length !== want.length || !timingSafeEqual(got, want)) return res.writeHead(401).end();
    const { firing, people } = JSON.parse(body);
    if (!seen.has(firing)) {
      seen.add(firing);
      console.log(`starting the conference with ${people.join(', ')}`); // call the bridge's API here
    }
    res.writeHead(204).end();
  });
});
server.listen(Number(process.env.PORT ?? 9000), '127.0.0.1', () => console.log(`listening on ${server.address().port}`));
