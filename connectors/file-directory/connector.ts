/**
 * The lifecycle of one file-directory instance: reads the people file at start, then watches it
 * (client.ts) and re-reads it after `debounce` of quiet (collector.ts).
 */
import { resolve } from 'node:path';
import type { Connector, ConnectorContext, TestResult } from '../../core/connector/contract.ts';
import type { DirectorySyncReport } from '../directory-common/report.ts';
import { PeopleFile } from './client.ts';
import { FileDirectoryCollector } from './collector.ts';
import type { FileDirectoryConfig } from './config.ts';
import { peopleOfFile } from './map.ts';

export class FileDirectoryConnector implements Connector {
  private readonly file: PeopleFile;
  private readonly collector: FileDirectoryCollector;
  private timer: NodeJS.Timeout | undefined;
  private running = false;

  constructor(private readonly ctx: ConnectorContext<FileDirectoryConfig>) {
    this.file = new PeopleFile(resolve(ctx.config.path));
    this.collector = new FileDirectoryCollector({ ctx, file: this.file });
  }

  /** Reads the file (a bad file fails the start as transient: the supervisor retries until it is fixed), then watches it. */
  async start(): Promise<void> {
    await this.collector.load();
    this.file.watch(
      () => this.schedule(),
      (e) => this.ctx.report.error(e),
    );
    this.running = true;
  }

  async stop(): Promise<void> {
    this.running = false;
    if (this.timer !== undefined) clearTimeout(this.timer);
    this.timer = undefined;
    try {
      this.file.close();
    } finally {
      await this.collector.settled();
    }
  }

  async testConnection(): Promise<TestResult> {
    const people = peopleOfFile(this.file.read(), this.file.path);
    return { ok: true, message: `${this.file.path}: ${people.length} people` };
  }

  report(): DirectorySyncReport {
    return this.collector.report;
  }

  /** Re-reads the file now; resolves true when the people changed. A bad file keeps the previous people. */
  reload(): Promise<boolean> {
    return this.collector.reload();
  }

  private schedule(): void {
    if (this.timer !== undefined) clearTimeout(this.timer);
    this.timer = setTimeout(() => {
      this.timer = undefined;
      if (this.running) void this.collector.reload();
    }, this.ctx.config.debounce);
    this.timer.unref?.();
  }
}
