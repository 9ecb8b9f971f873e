/**
 * axe-core audits every page of the dashboard (sign-in, board, person as admin, helpdesk and
 * watcher, person not found, a watcher on /admin, the admin console, the board while the stream is
 * down) in light and dark mode: any violation fails, listing its rule ids and nodes.
 */
import { mkdirSync } from 'node:fs';
import type { AddressInfo } from 'node:net';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { dashboard } from '../../api/dashboard/plugin.ts';
import { systemClock } from '../../core/util/clock.ts';
import { auditBothSchemes, axeViolations, formatViolations } from '../support/axe.ts';
import { launchChromium, signedInPage, signInDashboard } from '../support/chromium.ts';
import { auth, TEAM_ENV, teamConfig, testHub, withHelpdesk, type TestHub } from '../support/hub.ts';

const ART = 'test-artifacts';
const ENV = { ...TEAM_ENV, LDAP_PW: 'ldap-bind-password-0099' };
// A failing directory connector, so that the console shows an error row as well.
const CONFIG = teamConfig({
  ...withHelpdesk(),
  connectors: [{ id: 'corp-ldap', kind: 'ldap-directory', url: 'ldap://127.0.0.1:1', bindDn: 'cn=hub,dc=corp', bindPassword: '${LDAP_PW}', baseDn: 'dc=corp' }],
});

describe('dashboard accessibility: axe-core on every page, light and dark (chromium)', () => {
  let hub: TestHub;
  let url: string;
  let browser: Browser;
  const failures: string[] = [];

  beforeAll(async () => {
    mkdirSync(ART, { recursive: true });
    browser = await launchChromium();
    hub = await testHub({ config: CONFIG, env: ENV, clock: systemClock, plugins: (ctx) => [dashboard(ctx)] });
    await hub.app.listen({ host: '127.0.0.1', port: 0 });
    url = `http://127.0.0.1:${(hub.app.server.address() as AddressInfo).port}`;
    const now = Date.now();
    const signals = [
      { person: 'bob', source: 'webhook', endpoint: 'desk', category: 'user', availability: 'busy', activity: { token: 'in-a-call', text: 'On the phone' } },
      { person: 'alice', source: 'webhook', endpoint: 'cal-1', category: 'calendar', availability: 'busy', activity: { token: 'in-a-meeting', text: 'In a meeting' }, from: new Date(now - 60_000).toISOString(), until: new Date(now + 3_600_000).toISOString() },
      { person: 'alice', source: 'webhook', endpoint: 'laptop', category: 'machine', machineState: 'active' },
      { person: 'carol', source: 'webhook', endpoint: 'desk', category: 'user', availability: 'dnd' },
      { person: 'dave', source: 'webhook', endpoint: 'desk', category: 'user', availability: 'away' },
    ];
    const res = await fetch(`${url}/v1/signals`, { method: 'POST', headers: { ...auth(TEAM_ENV.PUB_KEY), 'content-type': 'application/json' }, body: JSON.stringify(signals) });
    expect(res.status).toBe(202);
    await hub.settle();
  });
  afterAll(async () => {
    await browser?.close();
    await hub?.close();
  });

  /** Audits the page as it is now in both schemes; records every violation with where it was found. */
  async function audit(page: Page, what: string): Promise<void> {
    failures.push(...(await auditBothSchemes(page, what, `${ART}/a11y-${what.replace(/[^a-z0-9]+/gi, '-')}`)));
  }

  const signIn = (key: string, viewport?: { width: number; height: number }): Promise<Page> => signedInPage(browser, url, key, viewport !== undefined ? { viewport } : {});

  it('the audit fails on a real violation, naming the rule and the node', async () => {
    const page = await browser.newPage();
    await page.setContent('<!doctype html><html lang="en"><title>t</title><main><img id="pic" src="data:,"><p style="color:#bbb;background:#fff">faint</p></main></html>');
    const vs = await axeViolations(page);
    expect(vs.map((v) => v.id)).toEqual(expect.arrayContaining(['color-contrast', 'image-alt']));
    expect(formatViolations(vs)).toMatch(/image-alt \(critical\): .*\n {4}#pic: /);
    await page.close();
  });

  it('every page has 0 violations in light and dark mode', async () => {
    {
      const ctx = await browser.newContext({ viewport: { width: 1366, height: 800 } });
      const page = await ctx.newPage();
      await page.goto(url);
      await page.waitForSelector('#key');
      await audit(page, 'sign-in');
      await page.fill('#key', 'not-a-key');
      await page.click('button[type=submit]');
      await page.waitForSelector('[role=alert]');
      await audit(page, 'sign-in refused');
      await ctx.close();
    }
    for (const [who, key] of [
      ['admin', TEAM_ENV.ADMIN_KEY],
      ['helpdesk', TEAM_ENV.HELPDESK_KEY],
      ['watcher', TEAM_ENV.BOB_KEY],
    ] as const) {
      const page = await signIn(key);
      await page.waitForSelector('[data-person=bob] [data-class=busy]');
      await audit(page, `board ${who}`);
      await page.goto(`${url}/person/alice`);
      await page.waitForSelector('.current [data-class]');
      if (who !== 'watcher') await page.waitForSelector('.explain');
      await audit(page, `person ${who}`);
      if (who !== 'watcher') {
        // The raw signals, opened.
        await page.click('.explain details > summary');
        await page.waitForSelector('.explain .rule');
        await audit(page, `person ${who} raw signals`);
      }
      await page.goto(`${url}/person/nobody-here`);
      await page.waitForSelector('#person-missing');
      await audit(page, `not found ${who}`);
      await page.goto(`${url}/admin`);
      if (who === 'admin') {
        // The overview (summary and connectors); test/e2e/dashboard-admin.test.ts audits every other admin page.
        await page.waitForSelector('.admin .summary');
        await page.waitForFunction(() => /HUB_ERR_/.test(document.querySelector('[data-connector=corp-ldap] .error')?.textContent ?? ''), undefined, { timeout: 15_000 });
        await audit(page, 'admin console');
      } else {
        await page.waitForSelector('#no-admin');
        await audit(page, `admin refused ${who}`);
      }
      await page.context().close();
    }
    {
      // On a phone.
      const page = await signIn(TEAM_ENV.HELPDESK_KEY, { width: 390, height: 844 });
      await page.waitForSelector('[data-person=bob] [data-class=busy]');
      await audit(page, 'board phone');
      await page.context().close();
    }
    {
      // The stream held back: rows say Unknown until their first view.
      const ctx = await browser.newContext({ viewport: { width: 1366, height: 800 } });
      const page = await ctx.newPage();
      await page.route('**/v1/stream*', () => undefined);
      await signInDashboard(page, url, TEAM_ENV.ADMIN_KEY, '[data-person=alice] [data-class=unknown]');
      await audit(page, 'board unknown');
      await ctx.close();
    }
    expect(failures, failures.join('\n\n')).toEqual([]);
  }, 180_000);
});
