/**
 * The only code of this connector that touches the file system: reads the people file and watches
 * its folder (fs.watch on the folder, not the file, so that editors that replace the file by a
 * rename are seen too).
 */
import { readFileSync, watch, type FSWatcher } from 'node:fs';
import { basename, dirname } from 'node:path';
import { HubError, errorMessage } from '../../core/errors.ts';

export class PeopleFile {
  private watcher: FSWatcher | undefined;

  constructor(readonly path: string) {}

  /** The file's text; a missing or unreadable file is transient (it may appear or be fixed). */
  read(): string {
    try {
      return readFileSync(this.path, 'utf8');
    } catch (e) {
      const code = (e as NodeJS.ErrnoException).code ?? errorMessage(e);
      throw new HubError('HUB_ERR_PEOPLE_FILE', `cannot read ${this.path}: ${code}`, { kind: 'transient', cause: e });
    }
  }

  /** Calls `onChange` for every change event naming the file (or naming nothing); `onError` when watching fails later. */
  watch(onChange: () => void, onError: (e: HubError) => void): void {
    const name = basename(this.path);
    try {
      this.watcher = watch(dirname(this.path), { persistent: false }, (_event, changed) => {
        if (changed === null || changed.toString() === name) onChange();
      });
    } catch (e) {
      throw new HubError('HUB_ERR_PEOPLE_FILE', `cannot watch ${dirname(this.path)}: ${errorMessage(e)}`, { kind: 'transient', cause: e });
    }
    this.watcher.on('error', (e) => onError(new HubError('HUB_ERR_PEOPLE_FILE', `watching ${this.path} failed: ${errorMessage(e)}`, { kind: 'transient' })));
  }

  close(): void {
    try {
      this.watcher?.close();
    } finally {
      this.watcher = undefined;
    }
  }
}
