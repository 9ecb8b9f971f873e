import { HubError } from '../../core/errors.ts';
import type { Logger } from '../../core/util/logger.ts';
import type { DmccClient } from './client.ts';
import type { AesConfig } from './config.ts';
import type { Incoming } from './messages.ts';
import { resetApplicationSessionTimer, startApplicationSession, stopApplicationSession } from './requests.ts';

/**
 * The ECMA-354 application session on one connection: StartApplicationSession with Avaya's
 * SessionLoginInfo, ResetApplicationSessionTimer at a third of the granted duration (so two
 * resets may be lost before AE Services expires the session), StopApplicationSession at stop.
 */
export class SessionRefused extends HubError {}

/** A refused StartApplicationSession as a HubError naming the cause (ECMA-354 definedError or Avaya's applError). */
export function refusal(error: string): HubError {
  switch (error) {
    case 'invalidApplicationInfo':
      return new SessionRefused('HUB_ERR_AES_AUTH', `AE Services refused the login (${error}): check username and password of the CTI user, and that it may use DMCC`, { kind: 'permanent' });
    case 'requestedProtocolVersionNotSupported':
      return new SessionRefused('HUB_ERR_AES_PROTOCOL', `AE Services does not support the requested DMCC protocol version (${error}): set protocolVersion to one it offers`, { kind: 'permanent' });
    case 'serverResourcesBusy':
    case 'maxNumberSessions':
      return new SessionRefused('HUB_ERR_AES_BUSY', `AE Services cannot take another session now (${error})`, { kind: 'transient' });
    default:
      return /auth|password|user|login|credential/i.test(error)
        ? new SessionRefused('HUB_ERR_AES_AUTH', `AE Services refused the login (${error}): check username and password of the CTI user`, { kind: 'permanent' })
        : new SessionRefused('HUB_ERR_AES_SESSION', `AE Services refused the application session (${error})`, { kind: 'transient' });
  }
}

function unexpected(what: string, m: Incoming): HubError {
  const detail = m.kind === 'csta-error' ? `CSTA error ${m.category}${m.value !== '' ? `: ${m.value}` : ''}` : `an unexpected ${m.kind === 'other' ? m.name : m.kind}`;
  return new HubError('HUB_ERR_AES_SESSION', `${what}: AE Services answered ${detail}`, { kind: 'transient' });
}

export class DmccSession {
  private timer: NodeJS.Timeout | undefined;
  private stopped = false;

  private constructor(
    private readonly client: DmccClient,
    readonly id: string,
    readonly protocol: string,
    private durationS: number,
    private readonly deps: { config: AesConfig; log: Logger; onKeepAliveFailed(e: HubError): void },
  ) {
    this.schedule();
  }

  static async start(client: DmccClient, deps: { config: AesConfig; log: Logger; onKeepAliveFailed(e: HubError): void }): Promise<DmccSession> {
    const c = deps.config;
    const m = await client.request(
      startApplicationSession({
        applicationId: c.applicationId,
        userName: c.username,
        password: c.password,
        sessionCleanupDelay: Math.round(c.sessionCleanupDelay / 1000),
        protocolVersion: c.protocolVersion,
        sessionDuration: Math.max(1, Math.round(c.sessionDuration / 1000)),
      }),
      'StartApplicationSession',
    );
    if (m.kind === 'session-refused') throw refusal(m.error);
    if (m.kind !== 'session-started') throw unexpected('StartApplicationSession', m);
    deps.log.info({ session: m.sessionId.slice(0, 8), protocol: m.protocol, duration: m.duration }, 'DMCC application session started');
    return new DmccSession(client, m.sessionId, m.protocol, m.duration, deps);
  }

  /** Seconds AE Services granted; the keep-alive runs at a third of it. */
  get duration(): number {
    return this.durationS;
  }

  private schedule(): void {
    if (this.stopped) return;
    const ms = Math.max(200, (this.durationS * 1000) / 3);
    this.timer = setTimeout(() => void this.keepAlive(), ms);
    this.timer.unref?.();
  }

  private async keepAlive(): Promise<void> {
    if (this.stopped || this.client.isClosed) return;
    const requested = Math.max(1, Math.round(this.deps.config.sessionDuration / 1000));
    try {
      const m = await this.client.request(resetApplicationSessionTimer(this.id, requested), 'ResetApplicationSessionTimer');
      if (m.kind === 'timer-reset') this.durationS = m.duration;
      else if (m.kind === 'timer-refused') throw new HubError('HUB_ERR_AES_SESSION', `AE Services refused to reset the session timer (${m.error})`, { kind: 'transient' });
      else throw unexpected('ResetApplicationSessionTimer', m);
    } catch (e) {
      if (this.stopped) return;
      this.deps.onKeepAliveFailed(e instanceof HubError ? e : new HubError('HUB_ERR_AES_SESSION', String(e), { kind: 'transient' }));
    }
    this.schedule();
  }

  /**
   * Whether the connection and the session still answer: a ResetApplicationSessionTimer now (it also
   * renews the session). Tells one request that went unanswered from a connection that is gone.
   */
  async probe(): Promise<boolean> {
    if (this.stopped || this.client.isClosed) return false;
    try {
      const m = await this.client.request(resetApplicationSessionTimer(this.id, Math.max(1, Math.round(this.deps.config.sessionDuration / 1000))), 'ResetApplicationSessionTimer (probe)');
      if (m.kind !== 'timer-reset') return false;
      this.durationS = m.duration;
      return true;
    } catch {
      return false;
    }
  }

  /** StopApplicationSession (best effort: a dropped connection is cleaned up by AE Services after sessionCleanupDelay). */
  async stop(): Promise<void> {
    this.stopped = true;
    if (this.timer !== undefined) clearTimeout(this.timer);
    if (this.client.isClosed) return;
    try {
      await this.client.last(stopApplicationSession(this.id), 'StopApplicationSession');
    } catch (e) {
      this.deps.log.debug({ err: e instanceof Error ? e.message : String(e) }, 'StopApplicationSession not confirmed');
    }
  }

  /** Ends the timers without a request (the connection is gone). */
  abandon(): void {
    this.stopped = true;
    if (this.timer !== undefined) clearTimeout(this.timer);
  }

  /** Frees an earlier session's devices and monitors (and DMCC licences) now rather than after its cleanup delay. */
  static async release(client: DmccClient, sessionId: string, log: Logger): Promise<void> {
    try {
      const m = await client.request(stopApplicationSession(sessionId), 'StopApplicationSession (previous session)');
      log.debug({ outcome: m.kind }, 'previous DMCC session released');
    } catch {
      // Best effort: AE Services cleans it up after sessionCleanupDelay anyway.
    }
  }
}
