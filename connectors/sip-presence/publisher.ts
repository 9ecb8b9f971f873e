import type { ConnectorContext } from '../../core/connector/contract.ts';
import { normalizeIdentity } from '../../core/directory/identity.ts';
import type { Presence } from '../../core/model/presence.ts';
import { CONFIRMED, type PublishTarget, type WriteOutcome } from '../../core/publish/target.ts';
import { HubError, errorMessage, isHubError } from '../../core/errors.ts';
import { buildPidf } from '../sip-core/pidf.ts';
import type { Publication } from '../sip-core/publication.ts';
import type { SipSession } from '../sip-core/session.ts';
import type { LoopGuard } from './loop-guard.ts';
import type { SipPresenceConfig } from './config.ts';
import { neutralToPidf, type PidfState } from './map.ts';

/** Entity tags of the hub's publications, per AOR, in the connector's durable state. */
export const ETAG_PREFIX = 'sip-etag:';
/** A refresh goes this long before the granted lifetime ends (or at half of it, if that is later). */
export const REFRESH_MARGIN_MS = 30_000;

interface Held {
  readonly pub: Publication;
  /** The state (JSON) the server holds under the current entity tag, when this run published it. */
  key?: string;
}

/**
 * The SIP PUBLISH side of the hub's reconciliation (core/publish, docs/publishing.md; RFC 3903):
 * one publication per sip: identity of a person, `plan()` = the PIDF state of the merged presence
 * (map.ts neutralToPidf), or `null` (the hub's publication is removed) when the person has no sip:
 * identity, when this presence server itself decided the presence (Presence.decidedBy is this
 * connector: writing its own state back would pin it there), or when the person is offline only
 * because no source says anything (no decidedBy: the hub has nothing to add).
 *
 * - write: initial PUBLISH with the body; a new state modifies it (SIP-If-Match + body); the same
 *   state again (the reconciliation's refresh, `refreshAfter`) is a conditional refresh
 *   (SIP-If-Match, no body, section 4.3). A 412 means the server lost the publication (it
 *   restarted, or it expired): it is published afresh with the body (section 4.4).
 * - clear: PUBLISH Expires: 0 with SIP-If-Match (section 4.5); a 412 (nothing under that tag) or no
 *   tag known at all is "nothing there": confirmed.
 * - outcomes: 2xx confirmed; another final answer (4xx, 6xx) failed; no answer (timeout), a
 *   transport error or a 5xx unknown (possibly applied).
 * The entity tags live in the durable state (`sip-etag:<aor>`), so after a restart or on another
 * node the hub modifies or removes what a previous run published instead of adding a second one.
 */
export class SipPublishTarget implements PublishTarget<PidfState> {
  private readonly held = new Map<string, Held>();
  private readonly savedTags = new Map<string, string>();
  /** The shortest lifetime the server granted (s): refreshes go before it ends. */
  private grantedS: number;
  readonly minInterval: number;

  constructor(
    private readonly deps: {
      ctx: ConnectorContext<SipPresenceConfig>;
      session: () => SipSession | undefined;
      guard: LoopGuard;
      /** A refresh or modify found the publication gone (412): the server lost the hub's state. */
      onServerLost?: (why: string) => void;
    },
  ) {
    this.grantedS = this.requestedS;
    this.minInterval = deps.ctx.config.publish.minInterval;
  }

  private get requestedS(): number {
    return Math.max(60, Math.round(this.deps.ctx.config.publish.expires / 1000));
  }

  /** Loads the entity tags a previous run saved (before attach). */
  async load(): Promise<void> {
    for (const [k, v] of await this.deps.ctx.state.entries(ETAG_PREFIX)) this.savedTags.set(k.slice(ETAG_PREFIX.length), v);
  }

  aorsOf(person: string): string[] {
    const p = this.deps.ctx.directory.person(person);
    return [...new Set((p?.identities ?? []).filter((i) => /^sips?:/i.test(i)).map(normalizeIdentity))];
  }

  people(): Iterable<string> {
    const out: string[] = [];
    for (const p of this.deps.ctx.directory.people()) if (p.identities.some((i) => /^sips?:/i.test(i))) out.push(p.id);
    return out;
  }

  plan(p: Presence): PidfState | null {
    // The presence server itself decided this presence (a phone or client published it there):
    // writing it back would add the hub's copy next to the original and outlive it.
    if (p.decidedBy === this.deps.ctx.id) return null;
    // Offline because no source says anything (no deciding state): the hub has nothing to add there.
    if (p.class === 'offline' && p.decidedBy === undefined) return null;
    if (this.aorsOf(p.person).length === 0) return null;
    return neutralToPidf(p);
  }

  refreshAfter(): number {
    const ms = this.grantedS * 1000;
    return Math.max(ms / 2, ms - REFRESH_MARGIN_MS, 1000);
  }

  async write(person: string, d: PidfState): Promise<WriteOutcome> {
    const key = JSON.stringify(d);
    return this.each(person, async (aor, h) => {
      if (h.key === key && h.pub.currentEtag !== undefined) {
        await h.pub.refresh();
      } else {
        h.pub.reopen();
        const body = buildPidf({ entity: aor, ...this.deps.guard.idsFor(aor), ...d, timestamp: new Date(this.deps.ctx.clock.now()).toISOString() });
        // Unknown until confirmed: a failure below must not leave a key that skips the next body.
        delete h.key;
        await h.pub.publish(body);
        h.key = key;
      }
      const g = h.pub.grantedExpires;
      if (g !== undefined) this.grantedS = Math.min(this.requestedS, g);
      await this.saveTag(aor, h.pub.currentEtag);
    });
  }

  async clear(person: string): Promise<WriteOutcome> {
    return this.each(person, async (aor, h) => {
      await h.pub.remove();
      delete h.key;
      await this.saveTag(aor, undefined);
    });
  }

  /** Refreshes one publication the hub holds (a check that the server still knows it); a 412 reports the loss. */
  probe(): void {
    const first = [...this.held.entries()].find(([, h]) => h.key !== undefined && h.pub.currentEtag !== undefined);
    if (first === undefined) return;
    const [aor, h] = first;
    const afresh = h.pub.republished;
    h.pub
      .refresh()
      .then(() => {
        if (h.pub.republished > afresh) this.deps.onServerLost?.(`the publication of ${aor} was gone (412)`);
      })
      .catch((e: unknown) => this.deps.ctx.log.debug({ aor, err: errorMessage(e) }, 'publication check failed'));
  }

  private pubFor(aor: string, session: SipSession): Held {
    let h = this.held.get(aor);
    if (h === undefined) {
      const etag = this.savedTags.get(aor);
      const pub = session.publication({
        aor,
        event: 'presence',
        contentType: 'application/pidf+xml',
        expires: this.requestedS,
        autoRefresh: false,
        removeOnClose: false,
        ...(etag !== undefined ? { etag } : {}),
      });
      h = { pub };
      this.held.set(aor, h);
    }
    return h;
  }

  private async saveTag(aor: string, etag: string | undefined): Promise<void> {
    if (this.savedTags.get(aor) === etag) return;
    try {
      if (etag === undefined) await this.deps.ctx.state.delete([`${ETAG_PREFIX}${aor}`]);
      else await this.deps.ctx.state.set([[`${ETAG_PREFIX}${aor}`, etag]]);
      if (etag === undefined) this.savedTags.delete(aor);
      else this.savedTags.set(aor, etag);
    } catch (e) {
      this.deps.ctx.log.warn({ aor, err: errorMessage(e) }, 'saving the publication entity tag failed');
    }
  }

  /** Runs one step per sip: identity; the worst outcome counts (unknown over failed over confirmed). */
  private async each(person: string, step: (aor: string, h: Held) => Promise<void>): Promise<WriteOutcome> {
    const session = this.deps.session();
    if (session === undefined) return { outcome: 'failed', error: new HubError('HUB_ERR_CONNECTOR_STOPPED', 'the sip-presence session is not open', { kind: 'transient' }) };
    let worst: WriteOutcome = CONFIRMED;
    for (const aor of this.aorsOf(person)) {
      const h = this.pubFor(aor, session);
      const afresh = h.pub.republished;
      try {
        await step(aor, h);
        this.deps.ctx.report.count('published');
      } catch (error) {
        const out = outcomeOf(error);
        if (out.outcome === 'unknown' || worst.outcome === 'confirmed') worst = out;
        this.deps.ctx.log.warn({ aor, outcome: out.outcome, err: errorMessage(error) }, 'PUBLISH not confirmed');
      }
      // A refresh or modify answered 412 and was published afresh: the server had lost the publication.
      if (h.pub.republished > afresh) this.deps.onServerLost?.(`the publication of ${aor} was gone (412)`);
    }
    return worst;
  }
}

/** 2xx resolved; a final refusal (4xx, 6xx) failed; no answer, a transport error or a 5xx unknown. */
function outcomeOf(error: unknown): WriteOutcome {
  if (isHubError(error) && error.code === 'HUB_ERR_SIP_PUBLISH' && error.status !== undefined && (error.status < 500 || error.status >= 600)) {
    return { outcome: 'failed', error, ...(error.retryAfterMs !== undefined ? { retryAfterMs: error.retryAfterMs } : {}) };
  }
  return { outcome: 'unknown', error };
}
