import { randomUUID } from 'node:crypto';
import type { ConnectorStore } from '../connector/contract.ts';
import { personSchema, type Person } from '../model/person.ts';
import { errorMessage } from '../errors.ts';
import type { Logger } from '../util/logger.ts';

/**
 * The people directory connectors contributed, shared by every node in Redis mode: a directory
 * connector runs on one node (its lease), yet every node must resolve the identities it synced.
 * The node that syncs writes the complete contribution and a new version token; the others check
 * the token (one small read per interval, never a scan of people) and load the contributions when
 * it moved. A node that starts loads them before it serves.
 */
export class SharedDirectory {
  private seen: string | undefined;
  private timer: NodeJS.Timeout | undefined;
  private polling = false;

  constructor(
    private readonly deps: {
      store: ConnectorStore;
      log: Logger;
      /** Called with every contribution after another node changed one. */
      onRemote: (contributions: Map<string, Person[]>) => void;
      pollMs?: number;
    },
  ) {}

  async save(connectorId: string, people: Iterable<Person>): Promise<void> {
    const token = randomUUID();
    await this.deps.store.set([
      [`contribution:${connectorId}`, JSON.stringify([...people])],
      ['version', token],
    ]);
    this.seen = token;
  }

  /** The stored contributions of these connectors; unreadable entries are logged and skipped. */
  async load(connectorIds: readonly string[]): Promise<Map<string, Person[]>> {
    const keys = connectorIds.map((id) => `contribution:${id}`);
    const got = await this.deps.store.get([...keys, 'version']);
    this.seen = got.get('version');
    const out = new Map<string, Person[]>();
    connectorIds.forEach((id, i) => {
      const raw = got.get(keys[i]!);
      if (raw === undefined) return;
      try {
        out.set(id, (JSON.parse(raw) as unknown[]).map((p) => personSchema.parse(p)));
      } catch (e) {
        this.deps.log.error({ connector: id, err: errorMessage(e) }, 'shared directory contribution unreadable, ignored');
      }
    });
    return out;
  }

  start(connectorIds: readonly string[]): void {
    if (connectorIds.length === 0) return;
    this.timer = setInterval(() => void this.poll(connectorIds), this.deps.pollMs ?? 2000);
    this.timer.unref?.();
  }

  private async poll(connectorIds: readonly string[]): Promise<void> {
    if (this.polling) return;
    this.polling = true;
    try {
      const version = (await this.deps.store.get(['version'])).get('version');
      if (version !== undefined && version !== this.seen) this.deps.onRemote(await this.load(connectorIds));
    } catch (e) {
      this.deps.log.debug({ err: errorMessage(e) }, 'shared directory check failed; retrying');
    } finally {
      this.polling = false;
    }
  }

  stop(): void {
    if (this.timer !== undefined) clearInterval(this.timer);
    this.timer = undefined;
  }
}
