/**
 * Presence out to the directory: the merged availability class written into one
 * configured attribute of each person's entry, only when the class changes, in rate-limited
 * batches. The attribute is never read by the sync (checked at configuration load), so a written
 * value cannot come back as input (docs/architecture.md invariant 4).
 */
import type { HealthReporter } from '../../core/connector/contract.ts';
import type { Presence } from '../../core/model/presence.ts';
import type { Clock } from '../../core/util/clock.ts';
import { isHubError } from '../../core/errors.ts';
import type { Logger } from '../../core/util/logger.ts';
import { ClassChangeBatcher, type ClassChange, type DeliveryOutcome } from '../directory-common/class-change-batcher.ts';
import type { LdapClient } from './client.ts';
import type { LdapConfig } from './config.ts';

type PublishConfig = NonNullable<LdapConfig['publish']>;

export class LdapPresencePublisher {
  readonly batcher: ClassChangeBatcher;

  constructor(
    private readonly deps: {
      config: PublishConfig;
      client: LdapClient;
      /** The entry DN of a person known from the last sync. */
      dnOf: (person: string) => string | undefined;
      clock: Clock;
      log: Logger;
      report: HealthReporter;
    },
  ) {
    this.batcher = new ClassChangeBatcher({
      clock: deps.clock,
      batchSize: deps.config.batchSize,
      interval: deps.config.interval,
      deliver: (batch) => this.write(batch),
    });
  }

  offer(changes: readonly Presence[]): void {
    // People this directory does not hold have no entry to write to.
    const mine = changes.filter((p) => this.deps.dnOf(p.person) !== undefined);
    this.batcher.offer(mine);
  }

  private async write(batch: readonly ClassChange[]): Promise<DeliveryOutcome> {
    const { config, client, dnOf, report, log } = this.deps;
    const delivered: string[] = [];
    const dropped: string[] = [];
    const todo = [...batch];
    try {
      await client.session(async (s) => {
        while (todo.length > 0) {
          const c = todo[0]!;
          const dn = dnOf(c.person);
          if (dn === undefined) dropped.push(c.person);
          else {
            try {
              await s.replace(dn, config.attribute, config.values[c.class] ?? c.class);
              delivered.push(c.person);
            } catch (e) {
              // A vanished entry is not worth retrying; the next full sync retires the person.
              if (isHubError(e) && e.code === 'HUB_ERR_LDAP_NO_OBJECT') dropped.push(c.person);
              else throw e;
            }
          }
          todo.shift();
        }
      });
    } catch (e) {
      report.error(e);
      if (isHubError(e) && e.kind === 'permanent') {
        // No write access or a refused value: retrying cannot help; the error stays in health until fixed.
        log.error({ code: e.code, people: todo.length }, 'ldap-directory: presence write refused');
        return { delivered, retry: [], dropped: [...dropped, ...todo.map((c) => c.person)] };
      }
      return { delivered, retry: todo.map((c) => c.person), dropped };
    }
    if (delivered.length > 0) {
      report.count('presenceWrites', delivered.length);
      report.ok();
    }
    return { delivered, retry: [], dropped };
  }
}
