import { mkdirSync } from 'node:fs';
import type { AddressInfo } from 'node:net';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { dashboard } from '../../api/dashboard/plugin.ts';
import { systemClock } from '../../core/util/clock.ts';
import { expectNoAxeViolations } from '../support/axe.ts';
import { launchChromium, signedInPage, signInDashboard } from '../support/chromium.ts';
import { auth, TEAM_ENV, teamConfig, testHub, withHelpdesk, type TestHub } from '../support/hub.ts';

const ART = 'test-artifacts';
const LDAP_PW = 'ldap-bind-password-0099';
const ENV = { ...TEAM_ENV, LDAP_PW };
// A directory connector pointed at a closed loopback port: it fails, and the console must say why.
const CONFIG = teamConfig({
  ...withHelpdesk(),
  connectors: [{ id: 'corp-ldap', kind: 'ldap-directory', url: 'ldap://127.0.0.1:1', bindDn: 'cn=hub,dc=corp', bindPassword: '${LDAP_PW}', baseDn: 'dc=corp' }],
});

async function startHub(port = 0): Promise<{ h: TestHub; url: string }> {
  const h = await testHub({ config: CONFIG, env: ENV, clock: systemClock, plugins: (ctx) => [dashboard(ctx)] });
  await h.app.listen({ host: '127.0.0.1', port });
  return { h, url: `http://127.0.0.1:${(h.app.server.address() as AddressInfo).port}` };
}

describe('dashboard end to end (chromium)', () => {
  let hub: TestHub;
  let url: string;
  let browser: Browser;
  const contexts: BrowserContext[] = [];

  beforeAll(async () => {
    mkdirSync(ART, { recursive: true });
    browser = await launchChromium();
    ({ h: hub, url } = await startHub());
  });
  afterAll(async () => {
    for (const c of contexts) await c.close().catch(() => undefined);
    await browser?.close();
    await hub?.close();
  });

  async function signIn(key: string, viewport = { width: 1280, height: 720 }): Promise<Page> {
    const page = await signedInPage(browser, url, key, { viewport });
    contexts.push(page.context());
    return page;
  }

  const post = async (body: unknown): Promise<void> => {
    const res = await fetch(`${url}/v1/signals`, { method: 'POST', headers: { ...auth(TEAM_ENV.PUB_KEY), 'content-type': 'application/json' }, body: JSON.stringify(body) });
    expect(res.status).toBe(202);
  };
  /** Rows dimmed: greyed (no colour) and their names in the muted colour, not the text colour. */
  const dimmed = (page: Page): Promise<boolean> =>
    page.$eval('.rows', (el) => {
      const probe = document.body.appendChild(document.createElement('span'));
      probe.style.color = 'var(--muted)';
      const muted = getComputedStyle(probe).color;
      probe.remove();
      const name = el.querySelector('.row .name');
      return getComputedStyle(el).filter.includes('grayscale') && name !== null && getComputedStyle(name).color === muted;
    });
  /** Bob on a call: the change the stream case pushes, and the busy row the filter case selects. */
  const BOB_ON_THE_PHONE = { person: 'bob', source: 'webhook', endpoint: 'desk', category: 'user', availability: 'busy', activity: { token: 'in-a-call', text: 'On the phone' } };
  const shown = (page: Page): Promise<string[]> => page.$$eval('.row', (rows) => rows.map((r) => (r as HTMLElement).dataset.person!).sort());

  it('refuses a wrong key, then signs in with a cookie the page cannot read', async () => {
    const ctx = await browser.newContext();
    contexts.push(ctx);
    const page = await ctx.newPage();
    await page.goto(url);
    await page.fill('#key', 'not-a-key');
    await page.click('button[type=submit]');
    await expect(page.locator('[role=alert]').textContent()).resolves.toContain('unknown key');
    await page.fill('#key', TEAM_ENV.ADMIN_KEY);
    await page.click('button[type=submit]');
    await page.waitForSelector('.link-live');
    expect(await page.evaluate(() => document.cookie)).toBe('');
    const [cookie] = await ctx.cookies();
    expect(cookie).toMatchObject({ name: 'ph_session', httpOnly: true, sameSite: 'Strict', secure: false });
    expect(cookie!.value).not.toContain(TEAM_ENV.ADMIN_KEY);
    expect(await page.content()).not.toContain(TEAM_ENV.ADMIN_KEY);
  });

  it('with the stream delayed, no row says Offline before its first view', async () => {
    const ctx = await browser.newContext({ viewport: { width: 1366, height: 800 } });
    contexts.push(ctx);
    const page = await ctx.newPage();
    let release!: () => void;
    const gate = new Promise<void>((r) => (release = r));
    // Hold the SSE request (the snapshot of current views) until the rows have been looked at.
    await page.route('**/v1/stream*', async (route) => {
      await gate;
      await route.continue();
    });
    await signInDashboard(page, url, TEAM_ENV.ADMIN_KEY, '[data-person=alice]');
    expect(await page.$$eval('.row .ind', (els) => els.map((e) => (e as HTMLElement).dataset.class))).toEqual(['unknown', 'unknown', 'unknown', 'unknown', 'unknown']);
    expect(await page.$$eval('.row', (rows) => rows.map((r) => r.textContent ?? '').join('\n'))).not.toContain('Offline');
    expect(await page.textContent('.counts li:first-child')).toContain('— of 5 available');
    await page.screenshot({ path: `${ART}/dashboard-board-unknown.png` });
    release();
    await page.waitForSelector('.link-live');
    // The snapshot arrives: every row now has a real state (people without signals are Offline).
    await page.waitForFunction(() => document.querySelectorAll('.row [data-class=unknown]').length === 0);
    expect(await page.$$eval('.row .ind', (els) => els.every((e) => (e as HTMLElement).dataset.class !== 'unknown'))).toBe(true);
  });

  it('a signal posted to the API changes the indicator, pushed over the open stream, without reload', async () => {
    const page = await signIn(TEAM_ENV.ADMIN_KEY);
    expect(await shown(page)).toEqual(['alice', 'bob', 'carol', 'dave', 'mallory']);
    await page.evaluate(() => ((window as unknown as { marker: number }).marker = 1));
    // What makes it quick is the mechanism, checked here rather than by a wall-clock bound a loaded
    // machine misses: the change arrives over the stream already open (no new stream, no poll of
    // the presence or people API, no reload), so it is shown as soon as the hub sends it.
    // (The board does ask POST /v1/presence/query for the confidence of the rows it shows; the store
    // takes only the confidence from it, never the state, so it is not counted.)
    const asked: string[] = [];
    page.on('request', (r) => {
      const what = `${r.method()} ${new URL(r.url()).pathname}`;
      if ((/\/v1\/(stream|presence|people)/.test(what) && what !== 'POST /v1/presence/query') || r.isNavigationRequest()) asked.push(what);
    });
    await post(BOB_ON_THE_PHONE);
    await page.waitForSelector('[data-person=bob] [data-class=busy]', { timeout: 20_000 });
    expect(asked).toEqual([]);
    expect(await page.textContent('[data-person=bob] .activity')).toBe('On the phone');
    expect(await page.evaluate(() => (window as unknown as { marker?: number }).marker)).toBe(1); // same document: no reload
    expect(await page.textContent('[data-person=bob] .ind')).toContain('Busy'); // a label, not colour alone
    await page.screenshot({ path: `${ART}/dashboard-board.png` });
  });

  it('search and filters narrow the board; per-team counts', async () => {
    // Its own set-up (the case before leaves bob busy too, but this one also runs alone, with -t).
    await post(BOB_ON_THE_PHONE);
    const page = await signIn(TEAM_ENV.ADMIN_KEY);
    await page.waitForSelector('[data-person=bob] [data-class=busy]', { timeout: 20_000 });
    await page.fill('#search', 'carol');
    await page.waitForFunction(() => document.querySelectorAll('.row').length === 1);
    expect(await shown(page)).toEqual(['carol']);
    await page.fill('#search', 'sip:dave@');
    await page.waitForFunction(() => document.querySelector('.row')?.getAttribute('data-person') === 'dave');
    await page.fill('#search', '');
    await page.fill('#team', 'sales');
    await page.waitForFunction(() => document.querySelectorAll('.row').length === 2);
    expect(await shown(page)).toEqual(['carol', 'dave']);
    await page.fill('#team', '');
    await page.selectOption('#class', 'busy');
    await page.waitForFunction(() => document.querySelectorAll('.row').length === 1);
    expect(await shown(page)).toEqual(['bob']);
    expect(await page.textContent('[data-team=support]')).toContain('0 of 3 available');
    // Keyboard: focus the list, arrow to the row, Enter opens the person.
    await page.selectOption('#class', '');
    await page.focus('.rows');
    await page.keyboard.press('ArrowDown');
    await page.keyboard.press('Enter');
    await page.waitForSelector('#person-name');
    expect(page.url()).toBe(`${url}/person/bob`);
  });

  it('search and filters survive a reload and Back from a person page', async () => {
    const page = await signIn(TEAM_ENV.ADMIN_KEY);
    await page.fill('#search', 'example');
    await page.fill('#team', 'sales');
    await page.waitForFunction(() => document.querySelectorAll('.row').length === 2);
    // The URL follows the filters in an effect that runs after the rows render.
    await page.waitForFunction(() => location.search === '?q=example&team=sales');
    expect(page.url()).toBe(`${url}/?q=example&team=sales`);
    await page.reload();
    await page.waitForSelector('.link-live');
    await page.waitForFunction(() => document.querySelectorAll('.row').length === 2);
    expect(await shown(page)).toEqual(['carol', 'dave']);
    expect(await page.inputValue('#search')).toBe('example');
    expect(await page.inputValue('#team')).toBe('sales');
    await page.click('[data-person=carol]');
    await page.waitForSelector('#person-name');
    await page.goBack();
    await page.waitForFunction(() => document.querySelectorAll('.row').length === 2);
    expect(await shown(page)).toEqual(['carol', 'dave']);
  });

  it('the admin sees the explanation and the timeline of a person', async () => {
    const page = await signIn(TEAM_ENV.ADMIN_KEY);
    await page.goto(`${url}/person/bob`);
    await page.waitForSelector('.explain .why-summary');
    // The raw signals are on demand: a disclosure, closed at first.
    expect(await page.isVisible('.explain .rule')).toBe(false);
    await page.click('.explain details > summary');
    await page.waitForSelector('.explain .rule');
    const explain = await page.textContent('.explain');
    expect(explain).toContain('webhook / desk');
    expect(explain).toMatch(/decided/);
    await page.waitForSelector('.explain li.signal');
    expect(await page.textContent('.explain .signals')).toContain('in-a-call');
    await page.screenshot({ path: `${ART}/dashboard-person-admin.png`, fullPage: true });
  });

  it('a helpdesk key sees the explanation and timeline of anyone, and cannot reach configuration', async () => {
    const page = await signIn(TEAM_ENV.HELPDESK_KEY);
    await expect(page.locator('nav >> text=Admin').count()).resolves.toBe(0);
    await page.goto(`${url}/person/bob`);
    await page.waitForSelector('.explain .why-summary');
    await page.click('.explain details > summary');
    expect(await page.textContent('.explain')).toContain('webhook / desk');
    await page.waitForSelector('.explain li.signal');
    // The page's own session may not read the configuration or switch a connector.
    const statuses = await page.evaluate(async () => [(await fetch('/v1/config')).status, (await fetch('/v1/connectors')).status, (await fetch('/v1/connectors/corp-ldap/disable', { method: 'POST' })).status]);
    expect(statuses).toEqual([403, 403, 403]);
    await page.screenshot({ path: `${ART}/dashboard-person-helpdesk.png`, fullPage: true });
  });

  it('a watcher opening /admin is told why; an unknown person gets a page with a way back', async () => {
    const page = await signIn(TEAM_ENV.BOB_KEY);
    await page.goto(`${url}/admin`);
    await page.waitForSelector('#no-admin');
    expect(await page.textContent('main')).toContain('You are signed in as bob (watcher)');
    expect(await page.locator('.rows').count()).toBe(0); // not silently the board
    await page.goto(`${url}/person/nobody-here`);
    await page.waitForSelector('#person-missing');
    expect(await page.textContent('#person-missing')).toBe('Person not found');
    expect(await page.textContent('main')).toContain('No one in the directory has the id nobody-here');
    await page.click('main >> text=Back to the board');
    await page.waitForSelector('[data-person=bob]');
    expect(page.url()).toBe(`${url}/`);
  });

  it("the connector list shows a failing connector's error; secrets are masked", async () => {
    const page = await signIn(TEAM_ENV.ADMIN_KEY);
    await page.click('nav >> text=Admin');
    await page.waitForFunction(() => /HUB_ERR_/.test(document.querySelector('[data-connector=corp-ldap] .error')?.textContent ?? ''), undefined, { timeout: 15_000 });
    expect(await page.textContent('[data-connector=corp-ldap]')).toContain('ldap-directory');
    // The configuration has its own page of the console.
    await page.click('.admin-nav >> text=Configuration');
    await page.waitForFunction(() => document.querySelector('pre.config')?.textContent?.includes('corp-ldap') === true);
    const cfg = await page.textContent('pre.config');
    expect(cfg).toContain('"bindPassword": "********"');
    expect(cfg).not.toContain(LDAP_PW);
    expect(cfg).not.toContain(TEAM_ENV.ADMIN_KEY);
    await page.click('.admin-nav >> text=Overview');
    await page.waitForSelector('[data-connector=corp-ldap] .state');
    await page.click('[data-connector=corp-ldap] >> text=Test connection');
    await page.waitForSelector('[data-connector=corp-ldap] .test.failed');
    // Disabling asks first and says how long it lasts; dismissing changes nothing.
    const dialogs: string[] = [];
    page.once('dialog', (d) => {
      dialogs.push(d.message());
      void d.dismiss();
    });
    await page.click('[data-connector=corp-ldap] >> text=Disable');
    await expect.poll(() => dialogs.length).toBe(1);
    expect(dialogs).toEqual([expect.stringMatching(/^Disable corp-ldap on every node\? It stays off until it is enabled again \(across restarts in Redis mode or with dataDir; otherwise until the hub restarts\)/)]);
    expect(hub.hub.disabled.has('corp-ldap')).toBe(false);
    page.once('dialog', (d) => void d.accept());
    await page.click('[data-connector=corp-ldap] >> text=Disable');
    await page.waitForFunction(() => document.querySelector('[data-connector=corp-ldap] .state')?.textContent === 'disabled');
    expect(hub.hub.disabled.has('corp-ldap')).toBe(true);
    // Disabled on purpose is not a fault: not the error colour.
    const colours = await page.$eval('[data-connector=corp-ldap] .state', (el) => {
      const probe = (v: string): string => {
        const p = document.body.appendChild(document.createElement('span'));
        p.style.color = `var(${v})`;
        const c = getComputedStyle(p).color;
        p.remove();
        return c;
      };
      return { state: getComputedStyle(el).color, muted: probe('--muted'), busy: probe('--busy') };
    });
    expect(colours.state).toBe(colours.muted);
    expect(colours.state).not.toBe(colours.busy);
    await page.screenshot({ path: `${ART}/dashboard-admin.png`, fullPage: true });
  });

  it('a watcher key in the public container sees no activity text anywhere', async () => {
    const page = await signIn(TEAM_ENV.PUBLIC_KEY);
    await post({ person: 'alice', source: 'webhook', endpoint: 'desk', category: 'user', availability: 'busy', activity: { token: 'offsite', text: 'Secret offsite with ACME' } });
    await page.waitForSelector('[data-person=alice] [data-class=busy]');
    await expect(page.locator('nav >> text=Admin').count()).resolves.toBe(0);
    await page.click('[data-person=alice]');
    await page.waitForSelector('#person-name');
    await page.waitForSelector('.current [data-class=busy]');
    for (const text of [await page.content(), await page.evaluate(() => document.body.innerText)]) {
      expect(text).not.toContain('Secret offsite');
      expect(text).not.toContain('offsite');
    }
    expect(await page.locator('.explain, .timeline').count()).toBe(0);
    await page.screenshot({ path: `${ART}/dashboard-public-watcher.png` });
    await page.goto(url);
    await page.waitForSelector('[data-person=alice] [data-class=busy]');
    expect(await page.content()).not.toContain('offsite');
  });

  it('reconnects by itself after the hub restarts, and signs out', async () => {
    const page = await signIn(TEAM_ENV.ADMIN_KEY, { width: 2560, height: 1440 });
    await page.screenshot({ path: `${ART}/dashboard-wall.png` });
    const port = Number(new URL(url).port);
    await hub.close();

    // Within 2 s a banner says the board is no longer current, since when, and the rows dim.
    const banner = await page.waitForSelector('.stale-banner', { timeout: 2000 });
    expect(await banner.textContent()).toMatch(/Connection to the hub lost: presence shown as of \d{1,2}:\d{2}:\d{2}/);
    await page.waitForSelector('.link-reconnecting');
    expect(await dimmed(page)).toBe(true);
    await page.screenshot({ path: `${ART}/dashboard-board-stale.png` });
    // The stale board (banner, dimmed rows) is a page too: axe-core finds nothing in either scheme.
    for (const colorScheme of ['light', 'dark'] as const) await expectNoAxeViolations(page, 'the stale board', colorScheme);
    ({ h: hub } = await startHub(port));
    await page.waitForSelector('.link-live', { timeout: 15_000 });
    await page.waitForSelector('.stale-banner', { state: 'detached' });
    expect(await dimmed(page)).toBe(false);
    await post({ person: 'dave', source: 'webhook', endpoint: 'desk', category: 'user', availability: 'dnd' });
    await page.waitForSelector('[data-person=dave] [data-class=dnd]', { timeout: 2000 });
    await page.click('button.logout');
    await page.waitForSelector('#key');
    const status = await page.evaluate(async () => (await fetch('/v1/session')).status);
    expect(status).toBe(401);
  });
});
