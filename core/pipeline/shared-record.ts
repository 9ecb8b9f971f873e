import type { ConnectorStore } from '../connector/contract.ts';
import { errorMessage } from '../errors.ts';
import type { Logger } from '../util/logger.ts';
import type { Notices } from './ports.ts';

/**
 * One piece of hub state that every node must agree on (relationships, sign-outs, connector
 * switches): kept in a store of the pipeline (Redis in Redis mode, `dataDir` files or memory in
 * embedded mode), and announced with a notice on each change so that every node re-reads it at
 * once. A node reads it whole when it starts and after every notice; `onChange` receives the
 * complete content each time, so a lost or doubled notice changes nothing.
 */
export class SharedRecord {
  private off: (() => void) | undefined;
  private reading: Promise<void> | undefined;
  private again = false;

  constructor(
    private readonly deps: {
      store: ConnectorStore;
      notices?: Notices;
      topic: string;
      log: Logger;
      onChange: (entries: Map<string, string>) => void;
    },
  ) {}

  /** Reads the current content (before the node serves), then follows changes. */
  async start(): Promise<void> {
    this.off ??= this.deps.notices?.subscribe(this.deps.topic, () => void this.refresh());
    await this.read();
  }

  stop(): void {
    this.off?.();
    this.off = undefined;
  }

  async set(entries: readonly (readonly [string, string])[]): Promise<void> {
    await this.deps.store.set(entries as [string, string][]);
    await this.announce();
  }

  async delete(keys: readonly string[]): Promise<void> {
    await this.deps.store.delete([...keys]);
    await this.announce();
  }

  /** The stored content now (for a writer that must merge before it writes). */
  entries(): Promise<Map<string, string>> {
    return this.deps.store.entries('');
  }

  private async announce(): Promise<void> {
    // The change is stored: a notice that cannot be sent only delays the other nodes until their
    // connection comes back (they re-read everything then).
    await this.deps.notices?.publish(this.deps.topic).catch((e: unknown) => this.deps.log.warn({ topic: this.deps.topic, err: errorMessage(e) }, 'shared state notice not sent'));
  }

  /** Reads at most one at a time; a notice during a read causes one more read after it. */
  private async refresh(): Promise<void> {
    if (this.reading !== undefined) {
      this.again = true;
      return;
    }
    this.reading = (async () => {
      do {
        this.again = false;
        await this.read().catch((e: unknown) => this.deps.log.warn({ topic: this.deps.topic, err: errorMessage(e) }, 'shared state not readable now; kept the last one'));
      } while (this.again);
    })();
    await this.reading;
    this.reading = undefined;
  }

  private async read(): Promise<void> {
    this.deps.onChange(await this.deps.store.entries(''));
  }
}
