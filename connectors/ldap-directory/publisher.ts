/**
 * Presence out to the directory, driven by the hub's reconciliation (core/publish,
 * docs/publishing.md): the desired state of a person is the value of their availability class for
 * the configured attribute (`publish.values`, default the class name), written with an LDAP modify
 * (replace of that one attribute). People this directory does not hold (no entry in the last sync)
 * have nothing to be written; a person who left it is cleared (replace with no value). The
 * attribute is never read by the sync (checked at configuration load), so a written value cannot
 * come back as input (docs/architecture.md invariant 4).
 *
 * Outcomes (RFC 4511 section 4.1.9 result codes): 0 (success) is confirmed; busy (51),
 * unavailable (52), timeLimitExceeded (3), a timeout or a connection lost after the request went
 * out are unknown (the server may have applied it); any other result code is failed; a connection
 * or bind that fails before the modify is sent is failed (nothing reached the entry). Both are
 * retried by the reconciliation until the directory confirms or the class changes.
 *
 * The attribute is the hub's (README "Presence write-back"): where the reconciliation knows what the
 * entry shows from the hub, the modify is applied only while the entry still holds it (client.ts
 * `replace` with `expected`). When someone else changed it meanwhile (an operator's hand edit, a
 * second writer), the hub's answer still replaces it, but not silently: a warning naming the entry
 * and the attribute (never a value) and the `overwrittenEdits` count.
 */
import { ResultCodeError } from 'ldapts';
import type { Presence } from '../../core/model/presence.ts';
import { CONFIRMED, type PublishTarget, type WriteOutcome } from '../../core/publish/target.ts';
import type { Clock } from '../../core/util/clock.ts';
import type { HealthReporter } from '../../core/connector/contract.ts';
import { WriteBatches } from '../directory-common/write-batches.ts';
import type { Logger } from '../../core/util/logger.ts';
import { ASSERTION_FAILED, classifyLdapError, type LdapClient, type LdapSession } from './client.ts';
import type { LdapConfig } from './config.ts';

type PublishConfig = NonNullable<LdapConfig['publish']>;
/** One write: the value wanted (null: none) and what the entry may hold from the hub (empty: not known). */
type Item = { person: string; value: string | null; expected: readonly (string | null)[] };

/** The attribute value the directory should hold for a person. */
export type LdapValue = string;

/** Result codes after which the modify may or may not have been applied. */
const MAYBE_APPLIED = new Set([3, 51, 52]);
const NO_SUCH_OBJECT = 32;

export class LdapPresenceTarget implements PublishTarget<LdapValue> {
  readonly concurrency: number;
  readonly batches: WriteBatches<Item>;

  constructor(
    private readonly deps: {
      config: PublishConfig;
      client: LdapClient;
      /** The entry DN of a person known from the last sync. */
      dnOf: (person: string) => string | undefined;
      /** Every person of the last sync. */
      people: () => Iterable<string>;
      /** What the hub may have left in a person's entry (the reconciliation's mayHold). */
      mayHold: (person: string) => readonly (LdapValue | null)[] | undefined;
      clock: Clock;
      report: HealthReporter;
      log: Logger;
    },
  ) {
    // Every write of a batch is in flight at once, so the reconciliation can fill a whole batch.
    this.concurrency = deps.config.batchSize;
    this.batches = new WriteBatches({ clock: deps.clock, batchSize: deps.config.batchSize, interval: deps.config.interval, send: (items) => this.send(items) });
  }

  plan(p: Presence): LdapValue | null {
    if (this.deps.dnOf(p.person) === undefined) return null;
    return this.deps.config.values[p.class] ?? p.class;
  }

  people(): Iterable<string> {
    return this.deps.people();
  }

  write(person: string, desired: LdapValue, shown: LdapValue | null | undefined): Promise<WriteOutcome> {
    return this.batches.submit({ person, value: desired, expected: this.expected(person, shown) });
  }

  clear(person: string, shown: LdapValue | null | undefined): Promise<WriteOutcome> {
    return this.batches.submit({ person, value: null, expected: this.expected(person, shown) });
  }

  /** What the entry may hold from the hub (docs/publishing.md `mayHold`); nothing known is no expectation. */
  private expected(person: string, shown: LdapValue | null | undefined): readonly (string | null)[] {
    return shown !== undefined ? [shown] : (this.deps.mayHold(person) ?? []);
  }

  /**
   * Replaces the attribute, expecting what the hub last wrote there; a value someone else put there
   * meanwhile is replaced too, warned about and counted. Throws what the directory answered.
   */
  private async replace(s: LdapSession, dn: string, it: Item): Promise<void> {
    const { attribute } = this.deps.config;
    try {
      await s.replace(dn, attribute, it.value, it.expected);
    } catch (e) {
      if (!(e instanceof ResultCodeError) || e.code !== ASSERTION_FAILED) throw e;
      this.deps.report.count('overwrittenEdits');
      this.deps.log.warn({ person: it.person, entry: dn, attribute }, `ldap-directory: ${attribute} of ${dn} was changed outside the hub since the hub wrote it; the hub's answer replaces it (the attribute is the hub's: see the connector README)`);
      await s.replace(dn, attribute, it.value);
    }
  }

  /** One bound session for the batch; one modify per person. */
  private async send(items: readonly Item[]): Promise<WriteOutcome[]> {
    const { config, client, dnOf } = this.deps;
    const outs: (WriteOutcome | undefined)[] = items.map(() => undefined);
    let written = 0;
    try {
      await client.session(async (s) => {
        for (const [i, it] of items.entries()) {
          const dn = dnOf(it.person);
          if (dn === undefined) {
            // Not in this directory (any more): nothing of the hub's can be there.
            outs[i] = it.value === null ? CONFIRMED : { outcome: 'failed', error: classifyLdapError(new Error(`${it.person} has no entry in the last sync`), `modify ${config.attribute}`) };
            continue;
          }
          try {
            await this.replace(s, dn, it);
            outs[i] = CONFIRMED;
            if (it.value !== null) written++;
          } catch (e) {
            const error = classifyLdapError(e, `modify ${config.attribute} of ${dn}`);
            if (!(e instanceof ResultCodeError)) {
              // The connection is gone mid-request: this one may have been applied, the rest were not sent.
              outs[i] = { outcome: 'unknown', error };
              break;
            }
            if (e.code === NO_SUCH_OBJECT && it.value === null) outs[i] = CONFIRMED;
            else outs[i] = MAYBE_APPLIED.has(e.code) ? { outcome: 'unknown', error } : { outcome: 'failed', error };
          }
        }
      });
    } catch (e) {
      // Connect, StartTLS or bind failed (or the session broke): what has no outcome was not sent.
      const error = classifyLdapError(e, `write ${config.attribute}`);
      return outs.map((o) => o ?? { outcome: 'failed', error });
    }
    if (written > 0) this.deps.report.count('presenceWrites', written);
    return outs.map((o) => o ?? { outcome: 'failed', error: classifyLdapError(new Error('not sent: the connection was lost'), `write ${config.attribute}`) });
  }
}
