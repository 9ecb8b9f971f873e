import type { DirectorySyncReport } from './report.ts';
import type { SyncSchedule } from './sync-schedule.ts';

/**
 * What every scheduled directory connector (entra-directory, ldap-directory) offers the hub beyond
 * start/stop: the report of the last complete sync and syncs run on demand, both through its
 * sync job and its SyncSchedule.
 */
export abstract class ScheduledDirectory<R> {
  protected abstract readonly sync: { report(): DirectorySyncReport };
  protected abstract readonly schedule: SyncSchedule<R>;

  /** What the last complete sync could not use (GET /v1/directory/report). */
  report(): DirectorySyncReport {
    return this.sync.report();
  }

  /** Runs a full sync now (or waits for the one running) and returns its result; rejects on failure. */
  fullSync(): Promise<R> {
    return this.schedule.run('full');
  }

  incrementalSync(): Promise<R> {
    return this.schedule.run('incremental');
  }
}
