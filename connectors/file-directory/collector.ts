/**
 * Hands the people of each valid version of the file to the hub (`replaceAll`), once per change:
 * an unchanged file only reports ok; a file that does not parse leaves the previous people in
 * place and the error in health until the file is fixed.
 */
import type { ConnectorContext } from '../../core/connector/contract.ts';
import { errorMessage } from '../../core/errors.ts';
import { buildReport, EMPTY_REPORT, type DirectorySyncReport } from '../directory-common/report.ts';
import type { PeopleFile } from './client.ts';
import type { FileDirectoryConfig } from './config.ts';
import { entryOf, peopleOfFile } from './map.ts';

export class FileDirectoryCollector {
  private lastJson: string | undefined;
  private lastReport: DirectorySyncReport = EMPTY_REPORT;
  private reloading: Promise<boolean> | undefined;

  constructor(private readonly o: { ctx: ConnectorContext<FileDirectoryConfig>; file: PeopleFile }) {}

  get report(): DirectorySyncReport {
    return this.lastReport;
  }

  /** Reads and applies the file; rejects on a bad file (the start fails as transient). */
  async load(): Promise<boolean> {
    const { ctx, file } = this.o;
    const people = peopleOfFile(file.read(), file.path);
    const json = JSON.stringify(people);
    if (json === this.lastJson) {
      ctx.report.ok();
      return false;
    }
    await ctx.directorySink.replaceAll(people);
    this.lastJson = json;
    this.lastReport = buildReport({ people, entryOf: (id) => entryOf(file.path, id), skipped: [], at: ctx.clock.now() });
    ctx.directorySink.progress(people.length, people.length);
    ctx.report.count('reloads');
    ctx.report.ok();
    ctx.log.info({ file: file.path, people: people.length, conflicts: this.lastReport.conflicts.length }, 'file-directory: people loaded');
    return true;
  }

  /** Re-reads the file after the one in flight; resolves true when the people changed. A bad file keeps the previous people. */
  reload(): Promise<boolean> {
    const job = (this.reloading ?? Promise.resolve(false)).then(async () => {
      try {
        return await this.load();
      } catch (e) {
        this.o.ctx.report.error(e);
        this.o.ctx.log.warn({ file: this.o.file.path, err: errorMessage(e) }, 'file-directory: keeping the previous people');
        return false;
      }
    });
    this.reloading = job;
    return job;
  }

  /** Resolves when the reload in flight is done. */
  async settled(): Promise<void> {
    await this.reloading?.catch(() => undefined);
  }
}
