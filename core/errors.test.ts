import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';
import { describe, expect, it } from 'vitest';
import { errorsMarkdown } from './errors-doc.ts';
import { ERRORS, errorEntry, failureKind, HubError, isErrorCode } from './errors.ts';

const ROOT = join(import.meta.dirname, '..');

function sources(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const p = join(dir, name);
    if (name === 'node_modules' || name === 'dist' || name.startsWith('.')) return [];
    if (statSync(p).isDirectory()) return sources(p);
    return /\.(ts|tsx)$/.test(name) && !name.endsWith('.test.ts') ? [p] : [];
  });
}

describe('the error catalogue', () => {
  it('has a kind, an HTTP status, a title and an action for every code', () => {
    for (const e of Object.values(ERRORS)) {
      expect(['transient', 'permanent', 'throttled']).toContain(e.kind);
      expect(e.status >= 400 && e.status < 600, e.code).toBe(true);
      expect(e.title.length, e.code).toBeGreaterThan(3);
      expect(e.action.length, e.code).toBeGreaterThan(10);
    }
  });

  it('lists every code the production code names', () => {
    const missing = new Set<string>();
    for (const f of ['core', 'api', 'connectors', 'bin'].flatMap((d) => sources(join(ROOT, d)))) {
      for (const [, code] of readFileSync(f, 'utf8').matchAll(/'(HUB_ERR_[A-Z0-9_]*[A-Z0-9])'/g)) {
        if (!isErrorCode(code!)) missing.add(`${code} (${relative(ROOT, f)})`);
      }
    }
    expect([...missing]).toEqual([]);
  });

  it('docs/errors.md is the catalogue (regenerate with npm run docs:errors)', () => {
    expect(readFileSync(join(ROOT, 'docs/errors.md'), 'utf8')).toBe(errorsMarkdown());
  });
});

describe('HubError', () => {
  it('takes its kind from the catalogue unless the call overrides it', () => {
    expect(new HubError('HUB_ERR_GRAPH_AUTH', 'x')).toMatchObject({ code: 'HUB_ERR_GRAPH_AUTH', kind: 'permanent' });
    expect(new HubError('HUB_ERR_GRAPH_UNREACHABLE', 'x')).toMatchObject({ kind: 'transient' });
    expect(new HubError('HUB_ERR_RATE_LIMITED', 'x').kind).toBe('throttled');
    expect(new HubError('HUB_ERR_EWS_MAILBOX', 'x', { kind: 'transient' }).kind).toBe('transient');
    expect(new HubError(ERRORS.HUB_ERR_CONFIG, 'x').entry).toBe(ERRORS.HUB_ERR_CONFIG);
  });

  it('an error of unknown kind counts as transient; an unknown code reads as a connector failure', () => {
    expect(failureKind(new Error('boom'))).toBe('transient');
    expect(failureKind(new HubError('HUB_ERR_CONFIG', 'x'))).toBe('permanent');
    expect(errorEntry('HUB_ERR_NOT_IN_THE_CATALOGUE')).toMatchObject({ code: 'HUB_ERR_NOT_IN_THE_CATALOGUE', kind: 'transient', status: 502 });
  });
});
