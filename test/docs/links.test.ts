/**
 * The repository explains itself: no file points at documents outside it, and every relative link in
 * the README and docs/ leads to a file that exists.
 */
import { execFileSync } from 'node:child_process';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';

const ROOT = resolve(import.meta.dirname, '../..');
/** Every file under `dir` but dependencies, git's own and links (for a copy without git, e.g. an unpacked archive). */
function walk(dir: string): string[] {
  return readdirSync(join(ROOT, dir), { withFileTypes: true }).flatMap((e) => {
    const rel = dir === '' ? e.name : `${dir}/${e.name}`;
    if (e.isSymbolicLink()) return [];
    if (e.isDirectory()) return e.name === 'node_modules' || e.name === '.git' ? [] : walk(rel);
    return [rel];
  });
}
/** The repository's files: git's list in a clone, else the walk. */
function repositoryFiles(): string[] {
  try {
    return execFileSync('git', ['ls-files'], { cwd: ROOT, encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }).split('\n');
  } catch {
    return walk('');
  }
}
const tracked = repositoryFiles()
  .filter((f) => f !== '' && existsSync(join(ROOT, f)) && !f.endsWith('package-lock.json') && !f.startsWith('api/dashboard/dist/'));
const SELF = 'test/docs/links.test.ts';
// Built from parts so that this file does not match itself.
const OUTSIDE = [['..', 'shared'].join('/'), ['', 'work', 'shared'].join('/'), ['DESIGN', 'md'].join('.'), ['CONVENTIONS', 'md'].join('.')];

describe('documentation inside the repository', () => {
  it('no tracked file refers to documents outside the repository', () => {
    const offenders: string[] = [];
    for (const f of tracked) {
      if (f === SELF) continue;
      const text = readFileSync(join(ROOT, f), 'utf8');
      for (const needle of OUTSIDE) if (text.includes(needle)) offenders.push(`${f}: ${needle}`);
    }
    expect(offenders).toEqual([]);
  });

  it('every relative link in README.md and docs/ resolves to a file in the repository', () => {
    const broken: string[] = [];
    for (const f of tracked.filter((t) => t.endsWith('.md'))) {
      const text = readFileSync(join(ROOT, f), 'utf8');
      for (const m of text.matchAll(/\]\(([^)\s]+)\)/g)) {
        const target = m[1]!.split('#')[0]!;
        if (target === '' || /^[a-z]+:/i.test(target)) continue;
        if (!existsSync(join(ROOT, dirname(f), target))) broken.push(`${f} -> ${m[1]}`);
      }
    }
    expect(broken).toEqual([]);
  });
});
