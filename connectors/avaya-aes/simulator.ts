import { randomBytes } from 'node:crypto';
import { createServer as netServer, type Server, type Socket } from 'node:net';
import { createServer as tlsServer } from 'node:tls';
import { Deframer, encodeFrame } from './framing.ts';
import { CallModel, type Notice } from './simulator-calls.ts';
import { reply } from './simulator-replies.ts';
import { child, parseMessageXml, text } from './xml.ts';

/**
 * A loopback stand-in for AE Services DMCC (TCP, or TLS with a certificate the test makes): the
 * 8-byte framing, ECMA-354 sessions with their timer (expiry sends ApplicationSessionTerminated),
 * device ids, monitors, SnapshotDevice, CSTA errors for unknown extensions and exhausted
 * licences, and the call model's events. Built to the documented behaviour (fixtures/README.md),
 * not to the connector. Events carry invoke id 9999.
 */
export interface SimulatorOptions {
  readonly users?: Readonly<Record<string, string>>;
  readonly switchName?: string;
  /** Administered stations; any other extension is unknown to the switch. */
  readonly stations: readonly string[];
  /** DMCC licences: monitors beyond this are refused. */
  readonly licences?: number;
  readonly tls?: { readonly cert: string | Buffer; readonly key: string | Buffer };
  /** Frames written in two pieces and several frames per write (a TCP reader must cope). */
  readonly fragment?: boolean;
  /** How SnapshotDevice states a call: ECMA-323 compoundCallState (default) or simpleCallState. */
  readonly snapshotState?: 'compound' | 'simple';
}

interface Session {
  readonly id: string;
  duration: number;
  timer: NodeJS.Timeout | undefined;
  socket: Socket;
  readonly monitors: Map<string, string>; // crossRefId -> extension
}


export class AesSimulator {
  private server: Server | undefined;
  private readonly sockets = new Set<Socket>();
  private readonly sessions = new Map<string, Session>();
  private nextMonitor = 1;
  readonly calls: CallModel;
  readonly switchName: string;
  port = 0;
  /** Every request received, by root element name. */
  readonly requests: { at: number; name: string }[] = [];
  /** The CTI users and their passwords (a test may change a password while the hub is connected). */
  readonly users: Map<string, string>;
  /** When set, ResetApplicationSessionTimer is answered but does not extend the session (to test expiry). */
  ignoreResets = false;
  /** When set, SnapshotDevice is refused (a CSTA error), as a switch that cannot say may do. */
  refuseSnapshots = false;
  /**
   * Stations whose MonitorStart is applied (the monitor exists and gets the station's events) but
   * answered without its monitorCrossRefID: an answer that cannot be used, so the client cannot
   * name the monitor it now holds (tests of the unknown outcome).
   */
  readonly unreadableMonitorStart = new Set<string>();
  /** Stations whose MonitorStart is applied but never answered (a lost answer: the client times out). */
  readonly unansweredMonitorStart = new Set<string>();
  expired = 0;

  private readonly stations: Set<string>;

  constructor(private readonly opts: SimulatorOptions) {
    this.switchName = opts.switchName ?? 'CM1';
    this.stations = new Set(opts.stations);
    this.users = new Map(Object.entries(opts.users ?? { hub: 'secret' }));
    this.calls = new CallModel((x) => this.deviceOf(x), (x) => this.stations.has(x));
  }

  deviceOf(ext: string): string {
    return this.stations.has(ext) ? `${ext}:${this.switchName}::0` : ext;
  }

  async start(port = 0): Promise<number> {
    const onConnection = (s: Socket): void => this.accept(s);
    this.server = this.opts.tls !== undefined ? tlsServer({ cert: this.opts.tls.cert, key: this.opts.tls.key }, onConnection) : netServer(onConnection);
    await new Promise<void>((resolve, reject) => {
      this.server!.once('error', reject);
      this.server!.listen(port, '127.0.0.1', () => resolve());
    });
    this.port = (this.server.address() as { port: number }).port;
    return this.port;
  }

  /** Cuts every connection (sessions and their monitors end) and stops listening. */
  async stop(): Promise<void> {
    this.dropConnections();
    await new Promise<void>((r) => (this.server !== undefined ? this.server.close(() => r()) : r()));
    this.server = undefined;
  }

  /** Every connection is cut (a network failure or an AE Services restart); sessions are gone. */
  dropConnections(): void {
    for (const s of this.sockets) s.destroy();
    this.sockets.clear();
    for (const s of this.sessions.values()) if (s.timer !== undefined) clearTimeout(s.timer);
    this.sessions.clear();
  }

  get monitorCount(): number {
    let n = 0;
    for (const s of this.sessions.values()) n += s.monitors.size;
    return n;
  }

  get sessionCount(): number {
    return this.sessions.size;
  }

  private accept(socket: Socket): void {
    this.sockets.add(socket);
    const deframer = new Deframer();
    socket.on('data', (chunk: Buffer) => {
      let frames;
      try {
        frames = deframer.push(chunk);
      } catch {
        socket.destroy();
        return;
      }
      for (const f of frames) this.handle(socket, f.invokeId, f.xml);
    });
    socket.on('error', () => undefined);
    socket.on('close', () => {
      this.sockets.delete(socket);
      for (const s of this.sessions.values()) if (s.socket === socket) s.monitors.clear(); // kept until cleanup, without a connection to send to
    });
  }

  private write(socket: Socket, invokeId: number, xml: string): void {
    if (socket.destroyed) return;
    const frame = encodeFrame(invokeId, xml);
    if (this.opts.fragment !== true) {
      socket.write(frame);
      return;
    }
    // Frames of one turn coalesced, then cut at odd places: a header split, a body split.
    const queued = this.outbox.get(socket);
    if (queued !== undefined) {
      queued.push(frame);
      return;
    }
    this.outbox.set(socket, [frame]);
    setImmediate(() => {
      const all = Buffer.concat(this.outbox.get(socket) ?? []);
      this.outbox.delete(socket);
      if (socket.destroyed) return;
      for (let at = 0, step = 5; at < all.length; at += step, step = step * 3 + 1) {
        const piece = all.subarray(at, at + step);
        setTimeout(() => !socket.destroyed && socket.write(piece), 0);
      }
    });
  }

  private readonly outbox = new Map<Socket, Buffer[]>();

  private sessionOf(socket: Socket): Session | undefined {
    for (const s of this.sessions.values()) if (s.socket === socket) return s;
    return undefined;
  }

  private arm(s: Session): void {
    if (s.timer !== undefined) clearTimeout(s.timer);
    s.timer = setTimeout(() => {
      // ECMA-354: the session timer ran out; the session and its monitors end.
      this.expired++;
      this.sessions.delete(s.id);
      s.monitors.clear();
      this.write(s.socket, 9999, reply.terminated(s.id));
    }, s.duration * 1000);
    s.timer.unref?.();
  }

  private handle(socket: Socket, invokeId: number, xml: string): void {
    let msg;
    try {
      msg = parseMessageXml(xml);
    } catch {
      this.write(socket, invokeId, reply.cstaError('operation', 'generic'));
      return;
    }
    const { name, node } = msg;
    this.requests.push({ at: Date.now(), name });
    const answer = (x: string): void => this.write(socket, invokeId, x);
    const session = this.sessionOf(socket);
    if (name !== 'StartApplicationSession' && name !== 'StopApplicationSession' && session === undefined) return answer(reply.cstaError('operation', 'generic'));
    switch (name) {
      case 'StartApplicationSession': {
        const login = child(node, 'applicationInfo', 'applicationSpecificInfo', 'SessionLoginInfo');
        const user = text(login, 'userName') ?? '';
        // applicationSpecificInfo holds any type: the login info is read as one only when it says so
        // (xsi:type="...:SessionLoginInfo", as Avaya's own DMCC XML samples and every published client send it).
        const typed = typeof login?.['@_type'] === 'string' && /(^|:)SessionLoginInfo$/.test(login['@_type']);
        if (!typed || !this.users.has(user) || this.users.get(user) !== text(login, 'password')) {
          return answer(reply.sessionRefused('invalidApplicationInfo'));
        }
        const protocol = text(node, 'requestedProtocolVersions', 'protocolVersion') ?? '';
        if (!/ecma-323\/csta\/ed3\/priv[0-9A-Z]$/.test(protocol)) return answer(reply.sessionRefused('requestedProtocolVersionNotSupported'));
        const duration = Math.min(3600, Math.max(1, Number(text(node, 'requestedSessionDuration') ?? 180) || 180));
        const s: Session = { id: randomBytes(16).toString('hex').toUpperCase() + '-0', duration, timer: undefined, socket, monitors: new Map() };
        this.sessions.set(s.id, s);
        this.arm(s);
        return answer(reply.sessionStarted(s.id, protocol, duration));
      }
      case 'ResetApplicationSessionTimer': {
        const s = this.sessions.get(text(node, 'sessionID') ?? '');
        if (s === undefined) return answer(reply.timerRefused());
        if (!this.ignoreResets) this.arm(s);
        return answer(reply.timerReset(s.duration));
      }
      case 'StopApplicationSession': {
        const s = this.sessions.get(text(node, 'sessionID') ?? '');
        if (s === undefined) return answer(reply.stopRefused());
        if (s.timer !== undefined) clearTimeout(s.timer);
        this.sessions.delete(s.id);
        return answer(reply.stopped());
      }
      case 'GetDeviceId':
      case 'GetThirdPartyDeviceId': {
        const ext = text(node, 'extension') ?? '';
        if (text(node, 'switchName') !== this.switchName) return answer(reply.cstaError('operation', 'invalidParameterValue'));
        if (!this.stations.has(ext)) return answer(reply.cstaError('operation', 'invalidDeviceID'));
        return answer(reply.deviceId(name, this.deviceOf(ext)));
      }
      case 'MonitorStart': {
        const device = text(node, 'monitorObject', 'deviceObject') ?? '';
        const ext = device.split(':')[0]!;
        if (!this.stations.has(ext)) return answer(reply.cstaError('operation', 'invalidMonitorObject'));
        if (this.monitorCount >= (this.opts.licences ?? 8000)) return answer(reply.cstaError('subscribedResourceAvailability', 'objectMonitorLimitExceeded'));
        const x = String(this.nextMonitor++);
        session!.monitors.set(x, ext);
        if (this.unansweredMonitorStart.has(ext)) return;
        if (this.unreadableMonitorStart.has(ext)) return answer(reply.monitorStarted(x).replace(`<monitorCrossRefID>${x}</monitorCrossRefID>`, ''));
        return answer(reply.monitorStarted(x));
      }
      case 'MonitorStop':
        session!.monitors.delete(text(node, 'monitorCrossRefID') ?? '');
        return answer(reply.monitorStopped());
      case 'SnapshotDevice': {
        const ext = (text(node, 'snapshotObject') ?? '').split(':')[0]!;
        if (!this.stations.has(ext)) return answer(reply.cstaError('operation', 'invalidDeviceID'));
        if (this.refuseSnapshots) return answer(reply.cstaError('systemResourceAvailibility', 'resourceBusy'));
        return answer(reply.snapshot(this.deviceOf(ext), this.calls.at(ext), this.opts.snapshotState));
      }
      default:
        return answer(reply.cstaError('operation', 'generic'));
    }
  }

  /** Sends each notice to every monitor of its station. */
  private send(notices: readonly Notice[]): void {
    for (const n of notices) {
      for (const s of this.sessions.values()) {
        for (const [x, ext] of s.monitors) if (ext === n.station) this.write(s.socket, 9999, n.xml(x));
      }
    }
  }

  /** AE Services ends a station's monitors (MonitorEndedEvent), e.g. after the station was removed and added again. */
  endMonitors(ext: string): void {
    for (const s of this.sessions.values()) {
      for (const [x, e] of [...s.monitors]) {
        if (e !== ext) continue;
        s.monitors.delete(x);
        this.write(s.socket, 9999, reply.monitorEnded(x));
      }
    }
  }

  /**
   * Bytes written as they are to every connection with a session (tests: several frames in one
   * write, a frame cut over writes, a frame header that cannot be one, messages no monitor asked for).
   */
  sendRaw(bytes: Buffer): void {
    for (const s of this.sessions.values()) if (!s.socket.destroyed) s.socket.write(bytes);
  }

  /** A station administered on the switch from now on. */
  addStation(ext: string): void {
    this.stations.add(ext);
  }

  /** The monitor cross-reference ids of a station's monitors (tests that write events by hand). */
  monitorIdsOf(ext: string): string[] {
    const out: string[] = [];
    for (const s of this.sessions.values()) for (const [x, e] of s.monitors) if (e === ext) out.push(x);
    return out;
  }

  /** Monitors of a station (tests). */
  monitorsOf(ext: string): number {
    let n = 0;
    for (const s of this.sessions.values()) for (const e of s.monitors.values()) if (e === ext) n++;
    return n;
  }

  // The test's telephone: each call runs the call model and sends its events.
  dial(from: string, to: string): string {
    const r = this.calls.dial(from, to);
    this.send(r.notices);
    return r.callId;
  }
  answer(callId: string, ext: string): void {
    this.send(this.calls.answer(callId, ext));
  }
  hold(callId: string, ext: string): void {
    this.send(this.calls.hold(callId, ext));
  }
  retrieve(callId: string, ext: string): void {
    this.send(this.calls.retrieve(callId, ext));
  }
  hangup(callId: string, ext: string): void {
    this.send(this.calls.hangup(callId, ext));
  }
  transfer(ext: string, heldCall: string, activeCall: string): string {
    const r = this.calls.transfer(ext, heldCall, activeCall);
    this.send(r.notices);
    return r.callId;
  }
  conference(ext: string, heldCall: string, activeCall: string): void {
    this.send(this.calls.conference(ext, heldCall, activeCall));
  }
}
