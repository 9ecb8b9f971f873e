/**
 * For the xmpp tests: a loopback XEP-0114 server written by hand, for what Prosody never sends
 * (malformed or oversized stanzas, a DTD, a redirect). It accepts the component (XEP-0114 section
 * 3: a stream header with an id, handshake = sha1(id + secret)), or, with `seeOtherHost`, answers
 * the stream header with the RFC 6120 section 4.9.3.19 stream error naming another server.
 */
import { createHash, createHmac, pbkdf2Sync, randomBytes } from 'node:crypto';
import { createServer, type Server, type Socket } from 'node:net';

export interface Scripted {
  readonly server: Server;
  port: number;
  /** Everything the hub sent, per connection. */
  readonly received: string[];
  readonly sockets: Socket[];
  close(): Promise<void>;
}

/** A loopback server on a free port; `serve` handles each connection (its index in `received`). */
async function listen<T extends object>(extra: T, serve: (sock: Socket, i: number, s: Scripted & T) => void): Promise<Scripted & T> {
  const server = createServer();
  const s: Scripted & T = {
    ...extra,
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
    sock.on('error', () => undefined);
    serve(sock, i, s);
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  s.port = (server.address() as { port: number }).port;
  return s;
}

export async function scriptedServer(o: { domain: string; secret: string; seeOtherHost?: string | (() => string) }): Promise<Scripted> {
  return listen({}, (sock, i, s) => {
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
  });
}

export interface ScriptedClientServer extends Scripted {
  /** The hub's answers to IQs this server sent (`type`, `id`), in order. */
  readonly answers: { type: string; id: string }[];
  /** Writes a stanza to the last connection. */
  send(xml: string): void;
}

const attr = (attrs: string, name: string): string | undefined => new RegExp(`\\b${name}=['"]([^'"]*)['"]`).exec(attrs)?.[1];

/**
 * A loopback client-to-server stream (RFC 6120) written by hand, for what a real server is not made
 * to send: SASL SCRAM-SHA-1 (RFC 5802; xmpp.js offers PLAIN only over TLS) with the given password,
 * resource binding, an empty roster; every IQ get/set of the hub answered with a result; the hub's
 * answers to the server's own IQs recorded. With `seeOtherHost`, the stream header is answered with
 * that redirect instead.
 */
export async function scriptedClientServer(o: { domain: string; password: string; seeOtherHost?: string }): Promise<ScriptedClientServer> {
  const answers: { type: string; id: string }[] = [];
  const sockets: Socket[] = [];
  return listen({ answers, send: (xml: string) => void sockets.at(-1)?.write(xml) }, (sock, i, s) => {
    sockets.push(sock);
    let authed = false;
    let user = 'hub';
    let pending = '';
    const header = (): string => `<?xml version='1.0'?><stream:stream xmlns='jabber:client' xmlns:stream='http://etherx.jabber.org/streams' version='1.0' id='c${i}${authed ? 'b' : 'a'}' from='${o.domain}'>`;
    const features = (): string =>
      authed ? "<stream:features><bind xmlns='urn:ietf:params:xml:ns:xmpp-bind'/></stream:features>" : "<stream:features><mechanisms xmlns='urn:ietf:params:xml:ns:xmpp-sasl'><mechanism>SCRAM-SHA-1</mechanism></mechanisms></stream:features>";
    const salt = randomBytes(16);
    let scram = { clientFirstBare: '', serverFirst: '' };
    const b64 = (x: string): string => Buffer.from(x, 'utf8').toString('base64');
    const element = (name: string, attrs: string, body: string): void => {
      const sasl = "xmlns='urn:ietf:params:xml:ns:xmpp-sasl'";
      if (name === 'auth') {
        // client-first-message: gs2 header, then n=user,r=nonce
        const first = Buffer.from(body.trim(), 'base64').toString('utf8');
        const bare = first.slice(first.indexOf(',', first.indexOf(',') + 1) + 1);
        user = /(?:^|,)n=([^,]*)/.exec(bare)?.[1] ?? user;
        const nonce = `${/(?:^|,)r=([^,]*)/.exec(bare)?.[1] ?? ''}${randomBytes(8).toString('hex')}`;
        scram = { clientFirstBare: bare, serverFirst: `r=${nonce},s=${salt.toString('base64')},i=4096` };
        sock.write(`<challenge ${sasl}>${b64(scram.serverFirst)}</challenge>`);
        return;
      }
      if (name === 'response') {
        const final = Buffer.from(body.trim(), 'base64').toString('utf8');
        const withoutProof = final.slice(0, final.lastIndexOf(',p='));
        const salted = pbkdf2Sync(o.password, salt, 4096, 20, 'sha1');
        const serverKey = createHmac('sha1', salted).update('Server Key').digest();
        const signature = createHmac('sha1', serverKey).update(`${scram.clientFirstBare},${scram.serverFirst},${withoutProof}`).digest('base64');
        authed = true;
        sock.write(`<success ${sasl}>${b64(`v=${signature}`)}</success>`);
        return;
      }
      if (name !== 'iq') return;
      const id = attr(attrs, 'id') ?? '';
      const type = attr(attrs, 'type') ?? '';
      if (type === 'result' || type === 'error') {
        answers.push({ type, id });
        return;
      }
      if (body.includes('urn:ietf:params:xml:ns:xmpp-bind')) {
        const resource = /<resource>([^<]*)<\/resource>/.exec(body)?.[1] ?? 'r';
        sock.write(`<iq type='result' id='${id}'><bind xmlns='urn:ietf:params:xml:ns:xmpp-bind'><jid>${user}@${o.domain}/${resource}</jid></bind></iq>`);
      } else if (body.includes('jabber:iq:roster') && type === 'get') {
        sock.write(`<iq type='result' id='${id}'><query xmlns='jabber:iq:roster'/></iq>`);
      } else {
        sock.write(`<iq type='result' id='${id}'/>`);
      }
    };
    sock.on('data', (d) => {
      s.received[i] += d.toString();
      pending += d.toString();
      for (;;) {
        pending = pending.replace(/^\s+/, '');
        let m: RegExpExecArray | null;
        if ((m = /^<\?xml[^>]*\?>/.exec(pending)) !== null) {
          // the declaration
        } else if ((m = /^<stream:stream\b[^>]*>/.exec(pending)) !== null) {
          if (o.seeOtherHost !== undefined) {
            sock.end(`${header()}<stream:error><see-other-host xmlns='urn:ietf:params:xml:ns:xmpp-streams'>${o.seeOtherHost}</see-other-host></stream:error></stream:stream>`);
            return;
          }
          sock.write(header() + features());
        } else if ((m = /^<\/stream:stream>/.exec(pending)) !== null) {
          if (!sock.writableEnded) sock.end('</stream:stream>');
        } else if ((m = /^<([A-Za-z:]+)\b([^>]*?)\/>/.exec(pending)) !== null) {
          element(m[1]!, m[2]!, '');
        } else if ((m = /^<([A-Za-z:]+)\b([^>]*)>([\s\S]*?)<\/\1>/.exec(pending)) !== null) {
          element(m[1]!, m[2]!, m[3]!);
        } else break;
        pending = pending.slice(m[0].length);
      }
    });
  });
}
