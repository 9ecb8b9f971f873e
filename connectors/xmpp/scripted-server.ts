/**
 * For the xmpp tests: a loopback XEP-0114 server written by hand, for what Prosody never sends
 * (malformed or oversized stanzas, a DTD, a redirect). It accepts the component (XEP-0114 section
 * 3: a stream header with an id, handshake = sha1(id + secret)), or, with `seeOtherHost`, answers
 * the stream header with the RFC 6120 section 4.9.3.19 stream error naming another server.
 */
import { createHash } from 'node:crypto';
import { createServer, type Server, type Socket } from 'node:net';

export interface Scripted {
  readonly server: Server;
  port: number;
  /** Everything the hub sent, per connection. */
  readonly received: string[];
  readonly sockets: Socket[];
  close(): Promise<void>;
}

export async function scriptedServer(o: { domain: string; secret: string; seeOtherHost?: string | (() => string) }): Promise<Scripted> {
  const server = createServer();
  const s: Scripted = {
    server,
    port: 0,
    received: [],
    sockets: [],
    async close() {
      for (const sock of s.sockets) sock.destroy();
      await new Promise((r) => server.close(r));
    },
  };
  server.on('connection', (sock) => {
    const i = s.received.push('') - 1;
    s.sockets.push(sock);
    const id = `s${i}`;
    let opened = false;
    sock.on('data', (d) => {
      s.received[i] += d.toString();
      const text = s.received[i]!;
      if (text.includes('<stream:stream') && !opened) {
        opened = true;
        sock.write(`<?xml version='1.0'?><stream:stream xmlns='jabber:component:accept' xmlns:stream='http://etherx.jabber.org/streams' id='${id}' from='${o.domain}'>`);
        if (o.seeOtherHost !== undefined) {
          const to = typeof o.seeOtherHost === 'string' ? o.seeOtherHost : o.seeOtherHost();
          sock.end(`<stream:error><see-other-host xmlns='urn:ietf:params:xml:ns:xmpp-streams'>${to}</see-other-host></stream:error></stream:stream>`);
          return;
        }
      }
      const hs = /<handshake>([0-9a-f]+)<\/handshake>/.exec(text);
      if (hs !== null && !text.includes('<!--answered-->')) {
        s.received[i] += '<!--answered-->';
        const ok = hs[1] === createHash('sha1').update(id + o.secret).digest('hex');
        sock.write(ok ? '<handshake/>' : '<stream:error><not-authorized xmlns="urn:ietf:params:xml:ns:xmpp-streams"/></stream:error>');
      }
      // RFC 6120 section 4.4: a peer that receives the closing tag sends its own and closes the connection.
      if (text.includes('</stream:stream>') && !sock.writableEnded) sock.end('</stream:stream>');
    });
    sock.on('error', () => undefined);
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  s.port = (server.address() as { port: number }).port;
  return s;
}
