import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import type { Page } from 'playwright-core';

/** axe-core's browser bundle, injected into the page under test (no CDN, no network). */
const AXE_SOURCE = readFileSync(createRequire(import.meta.url).resolve('axe-core/axe.min.js'), 'utf8');

export interface AxeViolation {
  id: string;
  impact: string | null;
  help: string;
  nodes: { target: string[]; summary: string }[];
}

/**
 * Runs the axe-core audit (WCAG 2.x A/AA and best practices) on what the page shows now and
 * returns its violations. The bundle is evaluated through the DevTools protocol, so the page's own
 * Content-Security-Policy stays as served.
 */
export async function axeViolations(page: Page): Promise<AxeViolation[]> {
  const loaded = await page.evaluate(() => typeof (window as unknown as { axe?: unknown }).axe === 'object');
  if (!loaded) await page.evaluate(AXE_SOURCE);
  return page.evaluate(async () => {
    const axe = (window as unknown as { axe: { run: (ctx: unknown, opts: unknown) => Promise<{ violations: { id: string; impact: string | null; help: string; nodes: { target: unknown[]; failureSummary?: string }[] }[] }> } }).axe;
    const r = await axe.run(document, { resultTypes: ['violations'], runOnly: { type: 'tag', values: ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa', 'wcag22aa', 'best-practice'] } });
    return r.violations.map((v) => ({
      id: v.id,
      impact: v.impact,
      help: v.help,
      nodes: v.nodes.map((n) => ({ target: n.target.map(String), summary: n.failureSummary ?? '' })),
    }));
  });
}

/** "rule-id (impact): help\n    selector: why" for every violation, one block per rule. */
export function formatViolations(vs: readonly AxeViolation[]): string {
  return vs.map((v) => `${v.id} (${v.impact ?? 'n/a'}): ${v.help}\n${v.nodes.map((n) => `    ${n.target.join(' ')}: ${n.summary.replace(/\s+/g, ' ')}`).join('\n')}`).join('\n');
}

/** The page in the given colour scheme (prefers-color-scheme emulated), restyled. */
async function inScheme(page: Page, colorScheme: 'light' | 'dark'): Promise<void> {
  await page.emulateMedia({ colorScheme });
  // Let the page restyle (transitions are not used, one frame is enough).
  await page.evaluate(() => new Promise((r) => requestAnimationFrame(() => requestAnimationFrame(r))));
}

/**
 * Fails, naming every rule id and node, when axe finds any violation on the page in the given
 * colour scheme (prefers-color-scheme emulated; the scheme is left as asked).
 */
export async function expectNoAxeViolations(page: Page, what: string, colorScheme: 'light' | 'dark'): Promise<void> {
  await inScheme(page, colorScheme);
  const vs = await axeViolations(page);
  if (vs.length > 0) throw new Error(`axe-core: ${vs.length} violation(s) on ${what} (${colorScheme}):\n${formatViolations(vs)}`);
}

/**
 * axe-core on the page as it is, in light then in dark, with a full-page screenshot of each at
 * `${shot}-light.png` and `${shot}-dark.png`. Returns "what (scheme):\n violations" for each scheme
 * that has any, for the caller to collect over several pages and assert once; leaves the page light.
 */
export async function auditBothSchemes(page: Page, what: string, shot: string): Promise<string[]> {
  const failures: string[] = [];
  for (const scheme of ['light', 'dark'] as const) {
    await inScheme(page, scheme);
    const vs = await axeViolations(page);
    if (vs.length > 0) failures.push(`${what} (${scheme}):\n${formatViolations(vs)}`);
    await page.screenshot({ path: `${shot}-${scheme}.png`, fullPage: true });
  }
  await page.emulateMedia({ colorScheme: 'light' });
  return failures;
}
