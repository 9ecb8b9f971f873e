import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { build } from 'vite';
import { afterAll, expect, it } from 'vitest';
import { DIST } from './plugin.ts';

const out = mkdtempSync(join(tmpdir(), 'dashboard-dist-'));
afterAll(() => rmSync(out, { recursive: true, force: true }));

// The built page is committed so that `npm ci && npm start` serves it; a change to src/ without
// `npm run build:dashboard` would ship a stale page. Asset names carry content hashes.
it('the committed dist/ is the build of src/ (else run npm run build:dashboard)', async () => {
  // vitest sets NODE_ENV=test, which would change the bundle; build as `npm run build:dashboard` does.
  const env = process.env.NODE_ENV;
  process.env.NODE_ENV = 'production';
  await build({ mode: 'production', configFile: fileURLToPath(new URL('./vite.config.ts', import.meta.url)), logLevel: 'silent', build: { outDir: out, emptyOutDir: true } }).finally(() => {
    process.env.NODE_ENV = env;
  });
  expect(readdirSync(join(DIST, 'assets')).sort()).toEqual(readdirSync(join(out, 'assets')).sort());
  expect(readFileSync(join(DIST, 'index.html'), 'utf8')).toBe(readFileSync(join(out, 'index.html'), 'utf8'));
});
