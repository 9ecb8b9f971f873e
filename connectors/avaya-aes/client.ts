import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { connect as netConnect, type Socket } from 'node:net';
import { connect as tlsConnect, type PeerCertificate, type TLSSocket } from 'node:tls';
import { HubError, errorMessage } from '../../core/errors.ts';
import type { Logger } from '../../core/util/logger.ts';
import { portOf, type AesConfig } from './config.ts';
import { Deframer, encodeFrame, FramingError } from './framing.ts';
import { parseIncoming, type Incoming } from './messages.ts';

/**
 * The only code that speaks DMCC to AE Services: one TCP or TLS connection, the 8-byte framing,
 * invoke ids 1..9998 matched to responses, unsolicited messages (events, session notices) handed
 * to `onUnsolicited`. A request not answered in time fails as transient with an unknown outcome
 * (it may have been applied). A message that cannot be read is reported and skipped; a frame
 * header that cannot be one ends the connection (the stream is out of step).
 */
export interface ClientEvents {
  onUnsolicited(m: Incoming): void;
  /** A message refused (bad XML, missing field): reported, never thrown. */
  onBadMessage(e: Error): void;
  onClose(reason: string): void;
}

interface Pending {
  resolve(m: Incoming): void;
  /** Runs in the same turn as the answer, before any message after it is handled (a snapshot must land before later events). */
  sync: ((m: Incoming) => void) | undefined;
  reject(e: Error): void;
  timer: NodeJS.Timeout;
  what: string;
}

const UNSOLICITED: ReadonlySet<Incoming['kind']> = new Set(['event', 'monitor-ended', 'session-terminated']);

export function normalizeFingerprint(f: string): string {
  return f.replace(/:/g, '').toUpperCase();
}

export class DmccClient {
  private readonly pending = new Map<number, Pending>();
  private readonly deframer = new Deframer();
  private nextId = 1;
  private closed = false;
  /** Requests sent on this connection (tests and the contract suite count them). */
  sent = 0;

  private constructor(
    private readonly socket: Socket,
    private readonly events: ClientEvents,
    private readonly timeoutMs: number,
  ) {
    socket.on('data', (chunk: Buffer) => this.onData(chunk));
    socket.on('error', () => undefined); // 'close' follows and says why
    socket.on('close', () => this.onClosed('connection closed by AE Services'));
  }

  /** Opens the connection; an unreachable server or a certificate that fails the check is a transient/permanent HubError. */
  static connect(c: AesConfig, events: ClientEvents, log: Logger): Promise<DmccClient> {
    const port = portOf(c);
    return new Promise((resolve, reject) => {
      let socket: Socket;
      const fail = (e: Error): void => {
        socket.destroy();
        reject(e);
      };
      const timer = setTimeout(() => fail(new HubError('HUB_ERR_AES_UNREACHABLE', `AE Services ${c.host}:${port} did not answer in ${c.requestTimeout} ms`, { kind: 'transient' })), c.requestTimeout);
      const onError = (e: Error): void => {
        clearTimeout(timer);
        const tlsFailure = /certificate|self.signed|CERT|SSL|TLS/i.test(e.message) && c.tls;
        reject(
          tlsFailure
            ? new HubError('HUB_ERR_AES_TLS', `the AE Services certificate at ${c.host}:${port} was refused: ${e.message}; check caFile, fingerprint or servername`, { kind: 'permanent' })
            : new HubError('HUB_ERR_AES_UNREACHABLE', `AE Services ${c.host}:${port} unreachable: ${e.message}`, { kind: 'transient' }),
        );
      };
      const ready = (): void => {
        clearTimeout(timer);
        socket.off('error', onError);
        socket.setNoDelay(true);
        socket.setKeepAlive(true, 30_000);
        resolve(new DmccClient(socket, events, c.requestTimeout));
      };
      if (!c.tls) {
        socket = netConnect({ host: c.host, port }, ready);
      } else {
        let ca: Buffer | undefined;
        try {
          if (c.caFile !== undefined) ca = readFileSync(c.caFile);
        } catch (e) {
          clearTimeout(timer);
          reject(new HubError('HUB_ERR_AES_CONFIG', `caFile: cannot read ${c.caFile}: ${errorMessage(e)}`, { kind: 'permanent' }));
          return;
        }
        const pin = c.fingerprint !== undefined ? normalizeFingerprint(c.fingerprint) : undefined;
        const t: TLSSocket = tlsConnect({
          host: c.host,
          port,
          servername: c.servername ?? (/^[0-9.]+$|:/.test(c.host) ? undefined : c.host),
          ...(ca !== undefined ? { ca } : {}),
          // A pinned certificate replaces the CA check (AE Services ships a self-signed one); the pin is checked below.
          rejectUnauthorized: pin === undefined,
        });
        t.once('secureConnect', () => {
          if (pin !== undefined) {
            const cert: PeerCertificate = t.getPeerCertificate();
            const got = cert.raw !== undefined ? createHash('sha256').update(cert.raw).digest('hex').toUpperCase() : '';
            if (got !== pin) {
              clearTimeout(timer);
              t.destroy();
              reject(new HubError('HUB_ERR_AES_TLS', `the AE Services certificate at ${c.host}:${port} does not match the configured fingerprint (it is ${got.match(/../g)?.join(':') ?? 'absent'})`, { kind: 'permanent' }));
              return;
            }
          }
          ready();
        });
        socket = t;
      }
      socket.once('error', onError);
      log.debug({ host: c.host, port, tls: c.tls }, 'connecting to AE Services');
    });
  }

  private onData(chunk: Buffer): void {
    let frames;
    try {
      frames = this.deframer.push(chunk);
    } catch (e) {
      this.events.onBadMessage(e as Error);
      this.socket.destroy();
      this.onClosed(`unreadable frame from AE Services: ${(e as FramingError).message}`);
      return;
    }
    for (const f of frames) {
      let m: Incoming;
      try {
        m = parseIncoming(f.xml);
      } catch (e) {
        this.events.onBadMessage(e as Error);
        const p = this.pending.get(f.invokeId);
        if (p !== undefined) this.settle(f.invokeId)?.reject(new HubError('HUB_ERR_AES_BAD_MESSAGE', `unreadable answer to ${p.what}: ${errorMessage(e)}`, { kind: 'transient' }));
        continue;
      }
      const p = UNSOLICITED.has(m.kind) ? undefined : this.settle(f.invokeId);
      if (p !== undefined) {
        p.sync?.(m);
        p.resolve(m);
      } else this.events.onUnsolicited(m);
    }
  }

  private settle(id: number): Pending | undefined {
    const p = this.pending.get(id);
    if (p === undefined) return undefined;
    clearTimeout(p.timer);
    this.pending.delete(id);
    return p;
  }

  private allocateId(): number {
    for (let i = 0; i < 9998; i++) {
      const id = this.nextId;
      this.nextId = this.nextId >= 9998 ? 1 : this.nextId + 1;
      if (!this.pending.has(id)) return id;
    }
    throw new HubError('HUB_ERR_AES_BUSY', 'every DMCC invoke id is in use', { kind: 'transient' });
  }

  /** Sends a request and resolves with its answer (a response or a CSTA error). */
  request(xml: string, what: string, sync?: (m: Incoming) => void): Promise<Incoming> {
    if (this.sealed) return Promise.reject(new HubError('HUB_ERR_AES_DISCONNECTED', `${what}: the session is ending`, { kind: 'transient' }));
    return this.send(xml, what, sync);
  }

  /** Sends the last request of this connection (StopApplicationSession): nothing is sent after it. */
  last(xml: string, what: string): Promise<Incoming> {
    this.sealed = true;
    return this.send(xml, what, undefined);
  }

  private sealed = false;

  private send(xml: string, what: string, sync: ((m: Incoming) => void) | undefined): Promise<Incoming> {
    if (this.closed) return Promise.reject(new HubError('HUB_ERR_AES_DISCONNECTED', `${what}: not connected to AE Services`, { kind: 'transient' }));
    const id = this.allocateId();
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        this.pending.delete(id);
        reject(new HubError('HUB_ERR_AES_TIMEOUT', `${what}: no answer from AE Services in ${this.timeoutMs} ms (it may have been applied)`, { kind: 'transient' }));
      }, this.timeoutMs);
      this.pending.set(id, { resolve, reject, timer, what, sync });
      this.sent++;
      this.socket.write(encodeFrame(id, xml));
    });
  }

  private onClosed(reason: string): void {
    if (this.closed) return;
    this.closed = true;
    for (const [id, p] of this.pending) {
      clearTimeout(p.timer);
      this.pending.delete(id);
      p.reject(new HubError('HUB_ERR_AES_DISCONNECTED', `${p.what}: ${reason} before the answer (it may have been applied)`, { kind: 'transient' }));
    }
    this.events.onClose(reason);
  }

  get isClosed(): boolean {
    return this.closed;
  }

  /** Closes the connection (after a graceful StopApplicationSession, or at once). */
  close(): void {
    if (!this.closed) this.socket.destroy();
    this.onClosed('closed by the hub');
  }
}
