/**
 * Watches one people file (fs.watch on its folder, so that editors that replace the file by a
 * rename are seen too), debounces change events, and re-reads it. The hub only ever gets a
 * complete, valid list (`replaceAll`); a file that does not parse leaves the previous people in
 * place and the error in health until the file is fixed.
 */
import { watch, type FSWatcher } from 'node:fs';
import { basename, dirname, resolve } from 'node:path';
import { readPeopleFile } from '../../core/config/load.ts';
import type { Connector, ConnectorContext, TestResult } from '../../core/connector/contract.ts';
import type { Person } from '../../core/model/person.ts';
import { HubError, errorMessage } from '../../core/util/errors.ts';
import { buildReport, EMPTY_REPORT, type DirectorySyncReport } from '../directory-common/report.ts';
import type { FileDirectoryConfig } from './config.ts';

export class FileDirectoryConnector implements Connector {
  private readonly file: string;
  private watcher: FSWatcher | undefined;
  private timer: NodeJS.Timeout | undefined;
  private running = false;
  private lastJson: string | undefined;
  private lastReport: DirectorySyncReport = EMPTY_REPORT;
  private reloading: Promise<boolean> | undefined;

  constructor(private readonly ctx: ConnectorContext<FileDirectoryConfig>) {
    this.file = resolve(ctx.config.path);
  }

  /** Reads the file (a bad file fails the start as transient: the supervisor retries until it is fixed), then watches it. */
  async start(): Promise<void> {
    await this.apply(this.read());
    const name = basename(this.file);
    try {
      this.watcher = watch(dirname(this.file), { persistent: false }, (_event, changed) => {
        if (changed === null || changed.toString() === name) this.schedule();
      });
    } catch (e) {
      throw new HubError('HUB_ERR_PEOPLE_FILE', `cannot watch ${dirname(this.file)}: ${errorMessage(e)}`, { kind: 'transient', cause: e });
    }
    this.watcher.on('error', (e) => this.ctx.report.error(new HubError('HUB_ERR_PEOPLE_FILE', `watching ${this.file} failed: ${errorMessage(e)}`, { kind: 'transient' })));
    this.running = true;
  }

  async stop(): Promise<void> {
    this.running = false;
    if (this.timer !== undefined) clearTimeout(this.timer);
    this.timer = undefined;
    try {
      this.watcher?.close();
    } finally {
      this.watcher = undefined;
      await this.reloading?.catch(() => undefined);
    }
  }

  async testConnection(): Promise<TestResult> {
    const people = this.read();
    return { ok: true, message: `${this.file}: ${people.length} people` };
  }

  report(): DirectorySyncReport {
    return this.lastReport;
  }

  /** Re-reads the file now; resolves true when the people changed. A bad file keeps the previous people. */
  reload(): Promise<boolean> {
    const job = (this.reloading ?? Promise.resolve(false)).then(async () => {
      try {
        return await this.apply(this.read());
      } catch (e) {
        this.ctx.report.error(e);
        this.ctx.log.warn({ file: this.file, err: errorMessage(e) }, 'file-directory: keeping the previous people');
        return false;
      }
    });
    this.reloading = job;
    return job;
  }

  private schedule(): void {
    if (this.timer !== undefined) clearTimeout(this.timer);
    this.timer = setTimeout(() => {
      this.timer = undefined;
      if (this.running) void this.reload();
    }, this.ctx.config.debounce);
    this.timer.unref?.();
  }

  private read(): Person[] {
    let people: Person[];
    try {
      people = readPeopleFile(this.file);
    } catch (e) {
      const code = (e as NodeJS.ErrnoException).code;
      if (code === 'ENOENT' || code === 'EACCES') {
        throw new HubError('HUB_ERR_PEOPLE_FILE', `cannot read ${this.file}: ${code}`, { kind: 'transient', cause: e });
      }
      throw new HubError('HUB_ERR_PEOPLE_FILE', `bad people file: ${errorMessage(e)}`, { kind: 'transient', cause: e });
    }
    const seen = new Set<string>();
    people.forEach((p, i) => {
      if (seen.has(p.id)) throw new HubError('HUB_ERR_PEOPLE_FILE', `bad people file ${this.file}: [${i}].id: duplicate person ${p.id}`, { kind: 'transient' });
      seen.add(p.id);
    });
    return people;
  }

  private async apply(people: Person[]): Promise<boolean> {
    const json = JSON.stringify(people);
    if (json === this.lastJson) {
      this.ctx.report.ok();
      return false;
    }
    await this.ctx.directorySink.replaceAll(people);
    this.lastJson = json;
    this.lastReport = buildReport({ people, entryOf: (id) => `${basename(this.file)}#${id}`, skipped: [], at: this.ctx.clock.now() });
    this.ctx.directorySink.progress(people.length, people.length);
    this.ctx.report.count('reloads');
    this.ctx.report.ok();
    this.ctx.log.info({ file: this.file, people: people.length, conflicts: this.lastReport.conflicts.length }, 'file-directory: people loaded');
    return true;
  }
}
