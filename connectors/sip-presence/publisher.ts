import type { ConnectorContext } from '../../core/connector/contract.ts';
import { normalizeIdentity } from '../../core/directory/identity.ts';
import type { Presence } from '../../core/model/presence.ts';
import { HubError } from '../../core/errors.ts';
import { buildPidf } from '../sip-core/pidf.ts';
import type { Publication } from '../sip-core/publication.ts';
import type { SipSession } from '../sip-core/session.ts';
import type { LoopGuard } from './loop-guard.ts';
import type { SipPresenceConfig } from './config.ts';
import { neutralToPidf } from './map.ts';

/**
 * Publishes the merged presence of changed people (RFC 3903): one publication per sip: identity,
 * written only when the PIDF state changed (the fingerprint), refreshed before expiry by the
 * Publication, removed when the connector stops.
 */
export class SipPresencePublisher {
  private readonly pubs = new Map<string, { pub: Publication; fingerprint?: string }>();

  constructor(
    private readonly deps: { ctx: ConnectorContext<SipPresenceConfig>; session: () => SipSession | undefined; guard: LoopGuard },
  ) {}

  async publish(changes: readonly Presence[]): Promise<void> {
    const session = this.deps.session();
    if (session === undefined) throw new HubError('HUB_ERR_CONNECTOR_STOPPED', 'sip-presence publisher is not running', { kind: 'transient' });
    const { ctx } = this.deps;
    let written = 0;
    let failed: unknown;
    for (const p of changes) {
      const person = ctx.directory.person(p.person);
      const aors = (person?.identities ?? []).filter((i) => /^sips?:/i.test(i)).map(normalizeIdentity);
      for (const aor of aors) {
        const state = neutralToPidf(p);
        const fingerprint = JSON.stringify(state);
        let entry = this.pubs.get(aor);
        if (entry?.fingerprint === fingerprint) continue; // writes only on change
        if (entry === undefined) {
          entry = {
            pub: session.publication({
              aor,
              event: 'presence',
              contentType: 'application/pidf+xml',
              expires: Math.max(60, Math.round(ctx.config.publish.expires / 1000)),
              onLost: (reason) => {
                ctx.log.warn({ aor, reason }, 'publication refresh failed; the next change publishes afresh');
                const e = this.pubs.get(aor);
                if (e !== undefined) delete e.fingerprint;
              },
            }),
          };
          this.pubs.set(aor, entry);
        }
        const ids = this.deps.guard.idsFor(aor);
        const body = buildPidf({ entity: aor, ...ids, ...state, timestamp: new Date(p.since).toISOString() });
        try {
          await entry.pub.publish(body);
          entry.fingerprint = fingerprint;
          written++;
        } catch (e) {
          delete entry.fingerprint;
          failed = e;
          ctx.log.warn({ aor, err: e instanceof Error ? e.message : String(e) }, 'PUBLISH failed');
        }
      }
    }
    if (written > 0) ctx.report.count('published', written);
    if (failed !== undefined) throw failed;
  }

  /** Removes every publication (Expires: 0), best effort. */
  async removeAll(): Promise<void> {
    await Promise.allSettled([...this.pubs.values()].map((e) => e.pub.remove()));
    for (const e of this.pubs.values()) e.pub.close();
    this.pubs.clear();
  }
}
