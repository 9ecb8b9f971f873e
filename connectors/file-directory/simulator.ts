/**
 * The stand-in for the system this connector reads: an administrator or a tool editing the people
 * file, the ways editors save (in place, possibly in several writes; or a new file renamed over
 * the old one, as vim and most sync tools do), so tests see what fs.watch sees in production.
 */
import { renameSync, writeFileSync } from 'node:fs';

export class PeopleFileEditor {
  constructor(readonly path: string) {}

  /** Overwrites the file in place. */
  write(text: string): void {
    writeFileSync(this.path, text);
  }

  /** Writes a new file beside it and renames it over the old one (an atomic save). */
  replace(text: string): void {
    const tmp = `${this.path}.tmp`;
    writeFileSync(tmp, text);
    renameSync(tmp, this.path);
  }
}
