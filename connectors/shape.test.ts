/**
 * Every connector kind has the same folder shape (docs/connectors.md "The folder"), so that a new
 * kind copies one pattern: the folder is named after the kind and holds the files below; a kind
 * that collects (or reads a directory) has collector.ts, one that publishes has publisher.ts.
 */
import { existsSync, readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { manifests } from './index.ts';

const ROOT = new URL('.', import.meta.url).pathname;
const EVERY_KIND = ['README.md', 'manifest.ts', 'config.ts', 'connector.ts', 'client.ts', 'map.ts', 'map.test.ts', 'simulator.ts', 'fixtures'];

function expectedFiles(capabilities: readonly string[]): string[] {
  const out = [...EVERY_KIND];
  if (capabilities.includes('collect') || capabilities.includes('directory')) out.push('collector.ts');
  if (capabilities.includes('publish')) out.push('publisher.ts');
  return out;
}

/** Kinds still being completed (a new kind lands in steps); each leaves this list when its folder is whole. */
const PENDING = new Set<string>([]);

describe('connector folder shape', () => {
  it.each(manifests.filter((m) => !PENDING.has(m.kind)).map((m) => [m.kind, m.capabilities] as const))('%s has the file set of its capabilities', (kind, capabilities) => {
    const dir = join(ROOT, kind);
    const missing = expectedFiles(capabilities).filter((f) => !existsSync(join(dir, f)));
    expect(missing, `${kind} is missing`).toEqual([]);
    const fixtures = join(dir, 'fixtures');
    expect(statSync(fixtures).isDirectory() && readdirSync(fixtures).length > 0, `${kind}/fixtures holds at least one payload`).toBe(true);
  });

  it('has no connector folder without its line in connectors/index.ts (family folders end in -common, -core or -shared)', () => {
    const kinds = new Set(manifests.map((m) => m.kind));
    const folders = readdirSync(ROOT).filter((f) => statSync(join(ROOT, f)).isDirectory() && !/-(common|core|shared)$/.test(f));
    expect(folders.filter((f) => !kinds.has(f))).toEqual([]);
  });
});
