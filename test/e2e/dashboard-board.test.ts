/**
 * The board's density and habits, and the person page's plain explanation, in real Chromium through
 * the real hub (issue 20): with 5,000 people and 40 teams the rows fill the list from the filters
 * to the bottom of the window, at any window size, and scrolling shows the rest; a phone (390x844)
 * shows no row wider than the screen; sorting, scroll and focus survive a visit to a
 * person; a helpdesk key reads "Busy — in a meeting (calendar, until HH:MM)" in its own time zone
 * from a real calendar connector (domino-calendar against the Domino simulator); when that
 * connector fails, the rows it feeds carry a mark with its name; a calendar-decided state is a
 * faint "likely"; a failed fetch on the person page says so and offers to try again.
 */
import { mkdirSync } from 'node:fs';
import type { AddressInfo } from 'node:net';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { dashboard } from '../../api/dashboard/plugin.ts';
import { DominoSimulator } from '../../connectors/domino-calendar/simulator.ts';
import type { HubConfigInput } from '../../core/config/schema.ts';
import { systemClock } from '../../core/util/clock.ts';
import { expectNoAxeViolations } from '../support/axe.ts';
import { launchChromium, signedInPage } from '../support/chromium.ts';
import { auth, TEAM_ENV, teamConfig, testHub, withHelpdesk, type TestHub } from '../support/hub.ts';

const ART = 'test-artifacts';

async function listen(config: HubConfigInput, env: Record<string, string>): Promise<{ t: TestHub; url: string }> {
  const t = await testHub({ config, env, clock: systemClock, plugins: (ctx) => [dashboard(ctx)] });
  await t.app.listen({ host: '127.0.0.1', port: 0 });
  return { t, url: `http://127.0.0.1:${(t.app.server.address() as AddressInfo).port}` };
}

let browser: Browser;
beforeAll(async () => {
  mkdirSync(ART, { recursive: true });
  browser = await launchChromium();
});
afterAll(async () => {
  await browser?.close();
});

const signIn = (url: string, key: string, opts: { viewport?: { width: number; height: number }; timezoneId?: string } = {}): Promise<Page> => signedInPage(browser, url, key, opts);

/** Rows wholly inside the list's visible box. */
const fullyVisibleRows = (page: Page): Promise<number> =>
  page.$eval('.rows', (list) => {
    const top = list.getBoundingClientRect().top + list.clientTop;
    return [...list.querySelectorAll('.row')].filter((r) => {
      const b = r.getBoundingClientRect();
      return b.top >= top - 0.5 && b.bottom <= top + list.clientHeight + 0.5;
    }).length;
  });

/**
 * What keeps the board from filling the window ('' when nothing does): the list must reach down to
 * the bottom of the window (less main's padding) without the page itself scrolling, and the rows
 * must stand edge to edge from the list's top to its bottom (the last person's row may end the
 * list), none of them with its text cut off.
 */
const fillProblem = (page: Page): Promise<string> =>
  page.$eval('.rows', (list) => {
    const main = document.querySelector('main')!;
    const gap = innerHeight - parseFloat(getComputedStyle(main).paddingBottom) - list.getBoundingClientRect().bottom;
    if (Math.abs(gap) > 1) return `the list ends ${gap.toFixed(1)} px above the bottom of the window`;
    if (main.scrollHeight > main.clientHeight + 1) return `the page scrolls: ${main.scrollHeight} px in ${main.clientHeight}`;
    const top = list.getBoundingClientRect().top + list.clientTop;
    const bottom = top + list.clientHeight;
    const rows = [...list.querySelectorAll<HTMLElement>('.row')]
      .map((el) => ({ el, box: el.getBoundingClientRect() }))
      .filter((r) => r.box.bottom > top + 0.5 && r.box.top < bottom - 0.5)
      .sort((a, b) => a.box.top - b.box.top);
    if (rows.length === 0) return 'no row in view';
    if (rows[0]!.box.top > top + 0.5) return `${(rows[0]!.box.top - top).toFixed(1)} px blank above the first row`;
    for (const [i, r] of rows.entries()) {
      if (i > 0 && Math.abs(r.box.top - rows[i - 1]!.box.bottom) > 0.5) return `${(r.box.top - rows[i - 1]!.box.bottom).toFixed(1)} px between ${rows[i - 1]!.el.dataset.person} and ${r.el.dataset.person}`;
      const cut = [...r.el.querySelectorAll<HTMLElement>('.name, .sub, .status-cell, .since')].find((e) => e.scrollHeight > e.clientHeight + 1 || e.getBoundingClientRect().bottom > r.box.bottom + 0.5);
      if (cut !== undefined) return `the ${cut.className} of ${r.el.dataset.person} is cut off`;
    }
    const last = rows.at(-1)!;
    const atEnd = list.scrollTop + list.clientHeight >= list.scrollHeight - 1;
    if (last.box.bottom < bottom - 0.5 && !atEnd) return `${(bottom - last.box.bottom).toFixed(1)} px blank below ${last.el.dataset.person}`;
    return '';
  });
const names = (page: Page): Promise<string[]> => page.$$eval('.row .name', (els) => els.map((e) => e.textContent ?? ''));

describe('a board of 5,000 people in 40 teams (chromium, 1366x800)', () => {
  let t: TestHub;
  let url: string;
  beforeAll(async () => {
    const teams = Array.from({ length: 40 }, (_, i) => `team ${i + 1}`);
    // Team k has k*5 people or so: sizes differ, so the largest teams are the chips.
    const people = Array.from({ length: 5000 }, (_, i) => ({ id: `p${i + 1}`, name: `Anna Berg ${i + 1}`, identities: [`sip:p${i + 1}@corp.example`], teams: [teams[Math.floor(Math.sqrt((i * 1600) / 5000))]!] }));
    ({ t, url } = await listen({ people, auth: { keys: [{ name: 'helpdesk', secret: '${HELPDESK_KEY}', roles: ['helpdesk'] }] } }, { HELPDESK_KEY: TEAM_ENV.HELPDESK_KEY }));
  }, 60_000);
  afterAll(async () => t?.close());

  it('the rows fill the list down to the bottom of the window at any size; scrolling shows the rest', async () => {
    const page = await signIn(url, TEAM_ENV.HELPDESK_KEY);
    await page.waitForSelector('[data-person=p1] [data-class=offline]', { timeout: 20_000 });
    expect(await fillProblem(page)).toBe('');
    const rh = await page.$eval('.row', (r) => r.getBoundingClientRect().height);
    const listHeight = (): Promise<number> => page.$eval('.rows', (el) => el.clientHeight);
    // Every whole row the list has room for is shown (the next one in part).
    expect(await fullyVisibleRows(page)).toBe(Math.floor((await listHeight()) / rh));
    // The keyboard reaches the last person, shown whole at the list's bottom edge, and comes back.
    await page.focus('.rows');
    await page.keyboard.press('End');
    await page.waitForSelector('[data-person=p5000]');
    await expect.poll(() => fillProblem(page)).toBe('');
    expect(await page.getAttribute('.rows', 'aria-activedescendant')).toBe('row-p5000');
    const end = await page.$eval('.rows', (list) => list.querySelector('[data-person=p5000]')!.getBoundingClientRect().bottom - (list.getBoundingClientRect().top + list.clientTop + list.clientHeight));
    expect(Math.abs(end)).toBeLessThanOrEqual(0.5);
    await page.keyboard.press('PageUp');
    await expect.poll(() => fillProblem(page)).toBe('');
    await page.keyboard.press('Home');
    await page.waitForSelector('[data-person=p1]');
    await expect.poll(() => fillProblem(page)).toBe('');
    // A scroll that stops between two rows: still no blank band.
    await page.$eval('.rows', (el) => {
      el.scrollTop = 100_003;
    });
    await expect.poll(() => fillProblem(page)).toBe('');
    // A taller, a shorter and a phone-sized window: the list follows, the rows still fill it.
    const before = await fullyVisibleRows(page);
    for (const viewport of [{ width: 1366, height: 1200 }, { width: 1366, height: 500 }, { width: 390, height: 844 }, { width: 1366, height: 800 }]) {
      await page.setViewportSize(viewport);
      await expect.poll(() => fillProblem(page), { message: `${viewport.width}x${viewport.height}` }).toBe('');
      if (viewport.height === 1200) expect(await fullyVisibleRows(page)).toBeGreaterThan(before);
    }
    await page.context().close();
  }, 60_000);

  it('teams as a dropdown with a few chips, names in natural order', async () => {
    const page = await signIn(url, TEAM_ENV.HELPDESK_KEY);
    await page.waitForSelector('[data-person=p1] [data-class=offline]', { timeout: 20_000 });
    // 40 teams: the five largest are chips on one line, the rest in the searchable list.
    expect(await page.locator('.counts button[data-team]').count()).toBe(5);
    expect(await page.$$eval('#team-list option', (os) => os.length)).toBe(40);
    expect(await page.textContent('.counts .more')).toBe('+35 more teams in the list');
    const bar = await page.$eval('.summary-bar', (el) => el.getBoundingClientRect().height);
    const chip = await page.$eval('.counts button', (el) => el.getBoundingClientRect().height);
    expect(bar).toBeLessThan(chip * 1.5);
    // Natural order: 1, 2, 3 (plain text order would give 1, 10, 100).
    expect((await names(page)).slice(0, 3)).toEqual(['Anna Berg 1', 'Anna Berg 2', 'Anna Berg 3']);
    await page.fill('#search', 'Anna Berg 49');
    await page.waitForFunction(() => document.querySelector('.shown')?.textContent === '111 shown');
    const found = await names(page);
    // 49, 490..499, then 4900..: plain text order would put "4900" before "494".
    expect(found.slice(0, 3)).toEqual(['Anna Berg 49', 'Anna Berg 490', 'Anna Berg 491']);
    expect(found.indexOf('Anna Berg 494')).toBeGreaterThan(-1);
    expect(found.indexOf('Anna Berg 494')).toBeLessThan(found.indexOf('Anna Berg 4900'));
    await page.fill('#search', '');
    // A team typed into the dropdown filters the board; the counts by status follow.
    await page.fill('#team', 'team 17');
    await page.waitForFunction(() => [...document.querySelectorAll('.row .team')].every((e) => e.textContent === 'team 17'));
    const shown = Number((await page.textContent('.shown'))!.split(' ')[0]);
    expect(shown).toBeGreaterThan(0);
    expect(await page.textContent('.by-status [data-status=offline]')).toContain(`${shown} Offline`);
    expect(page.url()).toContain('team=team+17');
    await page.screenshot({ path: `${ART}/dashboard-board-5000.png` });
    await expectNoAxeViolations(page, 'board of 5000', 'light');
    await page.fill('#team', '');
    await page.waitForFunction(() => document.querySelector('.shown')?.textContent === '5000 shown');
    await page.context().close();
  }, 60_000);

  it('sorts by a column header (kept in the URL); scroll position and focus come back from a person page', async () => {
    const page = await signIn(url, TEAM_ENV.HELPDESK_KEY);
    await page.waitForSelector('[data-person=p1] [data-class=offline]', { timeout: 20_000 });
    await page.click('.colheads [data-sort=name]');
    await page.waitForFunction(() => document.querySelector('.row .name')?.textContent === 'Anna Berg 5000');
    expect(page.url()).toBe(`${url}/?dir=desc`);
    expect(await page.getAttribute('.colheads [data-sort=name]', 'aria-pressed')).toBe('true');
    await page.reload();
    await page.waitForSelector('.link-live');
    await page.waitForFunction(() => document.querySelector('.row .name')?.textContent === 'Anna Berg 5000');
    // Scroll far down, open someone, come back.
    await page.$eval('.rows', (el) => {
      el.scrollTop = 40_000;
    });
    await page.waitForFunction(() => {
      const list = document.querySelector('.rows')!;
      const box = list.getBoundingClientRect();
      return [...list.querySelectorAll('.row')].some((r) => r.getBoundingClientRect().top > box.top + 100 && r.getBoundingClientRect().bottom < box.bottom);
    });
    const target = await page.$eval('.rows', (list) => {
      const box = list.getBoundingClientRect();
      const r = [...list.querySelectorAll<HTMLElement>('.row')].find((x) => x.getBoundingClientRect().top > box.top + 100)!;
      return r.dataset.person!;
    });
    await new Promise((r) => setTimeout(r, 300)); // the scroll position is written to history at most every 200 ms
    await page.click(`[data-person=${target}]`);
    await page.waitForSelector('#person-name');
    expect(page.url()).toBe(`${url}/person/${target}`);
    await page.goBack();
    await page.waitForSelector(`[data-person=${target}]`);
    expect(await page.$eval('.rows', (el) => el.scrollTop)).toBe(40_000);
    expect(await page.evaluate(() => document.activeElement?.className)).toBe('rows');
    expect(await page.getAttribute('.rows', 'aria-activedescendant')).toBe(`row-${target}`);
    expect(await page.getAttribute(`[data-person=${target}]`, 'aria-selected')).toBe('true');
    // The keyboard goes on from there; the page's own "← Board" link brings the list back the same way.
    await page.keyboard.press('Enter');
    await page.waitForSelector('#person-name');
    expect(page.url()).toBe(`${url}/person/${target}`);
    await page.click('main >> text=← Board');
    await page.waitForSelector(`[data-person=${target}]`);
    expect(page.url()).toBe(`${url}/?dir=desc`);
    expect(await page.$eval('.rows', (el) => el.scrollTop)).toBe(40_000);
    expect(await page.getAttribute('.rows', 'aria-activedescendant')).toBe(`row-${target}`);
    await page.context().close();
  }, 60_000);
});

/** The calendar date at `ms` in `zone`, as the reader there would name it. */
function localDay(zone: string, ms: number): string {
  return new Intl.DateTimeFormat('en-CA', { timeZone: zone, year: 'numeric', month: '2-digit', day: '2-digit' }).format(ms);
}

describe('the helpdesk and a calendar connector that fails (chromium)', () => {
  let sim: DominoSimulator;
  let t: TestHub;
  let url: string;
  // A meeting that started a minute ago and ends in an hour (whole seconds: the simulator's precision).
  const start = Math.floor((Date.now() - 60_000) / 1000) * 1000;
  const end = start + 3_600_000;

  beforeAll(async () => {
    sim = new DominoSimulator({ username: 'presence', password: 'domino-pw-0042' });
    await sim.start();
    sim.addPerson(['alice@corp.example'], { entries: [{ start: new Date(start).toISOString().replace(/\.\d{3}Z$/, 'Z'), duration: 'PT1H', title: 'Customer call', privacy: 'public' }] });
    ({ t, url } = await listen(teamConfig({ ...withHelpdesk(), connectors: [{ id: 'notes', kind: 'domino-calendar', url: sim.url, username: 'presence', password: '${DOMINO_PW}', pollInterval: '1s' }] }), { ...TEAM_ENV, DOMINO_PW: 'domino-pw-0042' }));
  });
  afterAll(async () => {
    await t?.close();
    await sim?.stop();
  });

  it("a helpdesk key reads the meeting's end in its own time zone; raw signals only on demand", async () => {
    const res = await fetch(`${url}/v1/signals`, { method: 'POST', headers: { ...auth(TEAM_ENV.PUB_KEY), 'content-type': 'application/json' }, body: JSON.stringify({ person: 'bob', source: 'webhook', endpoint: 'desk', category: 'user', availability: 'available' }) });
    expect(res.status).toBe(202);
    // India (UTC+5:30) or Newfoundland (UTC-3:30, -2:30 in summer): a local time is never the UTC one. Of the two
    // (nine hours apart), the one where the meeting ends on today's date, so the summary names a time without a date
    // whatever the hour the test runs at (at 17:31 UTC the hour ahead crosses midnight in India).
    const timezoneId = ['Asia/Kolkata', 'America/St_Johns'].find((zone) => localDay(zone, Date.now()) === localDay(zone, end))!;
    const page = await signIn(url, TEAM_ENV.HELPDESK_KEY, { timezoneId });
    await page.waitForSelector('[data-person=alice] [data-class=busy]', { timeout: 15_000 });
    // Time in state to the second during the first minute.
    expect(await page.textContent('[data-person=bob] .since')).toMatch(/^\d{1,2} s$/);
    // A meeting decided by a calendar is a judgement: a faint "likely"; a state Bob set is not.
    await page.waitForSelector('[data-person=alice] .likely');
    expect(await page.locator('[data-person=bob] .likely').count()).toBe(0);
    // Nor on Offline (carol has sent nothing: the least confidence, but "Offline likely" says nothing).
    expect(await page.locator('[data-person=carol] [data-class=offline]').count()).toBe(1);
    expect(await page.locator('[data-person=carol] .likely').count()).toBe(0);
    expect(Number(await page.getAttribute('[data-person=alice] .likely', 'data-confidence'))).toBeLessThan(0.6);
    await page.click('[data-person=alice]');
    await page.waitForSelector('.why-summary');
    const local = await page.evaluate((iso) => new Date(iso).toLocaleTimeString([], { hour: '2-digit', minute: '2-digit' }), new Date(end).toISOString());
    const utc = new Date(end).toISOString().slice(11, 16);
    expect(local).not.toContain(utc);
    const words = await page.textContent('.why-summary');
    expect(words).toBe(`Busy — in a meeting (calendar, until ${local})`);
    // The default view has no availability numbers, tokens, verdict codes or UTC.
    const shown = await page.evaluate(() => document.querySelector('main')!.innerText);
    for (const raw of ['6500', 'in-a-meeting', 'counted', 'decided', 'UTC', 'least available']) expect(shown).not.toContain(raw);
    expect(await page.textContent('.changes')).toMatch(/Busy\s*In a meeting\s*for \d+ (s|min) so far/);
    await page.screenshot({ path: `${ART}/dashboard-person-helpdesk-plain.png`, fullPage: true });
    await page.click('.explain details > summary');
    await page.waitForSelector('.explain .rule');
    expect(await page.textContent('.explain details')).toContain('in-a-meeting');

    // The calendar server starts failing: alice's row and page carry the connector's name.
    sim.failNext(1_000_000);
    await page.goBack();
    await page.waitForSelector('[data-person=alice] .feed-mark', { timeout: 20_000 });
    expect(await page.textContent('[data-person=alice] .feed-mark')).toContain('notes');
    expect(await page.getAttribute('[data-person=alice] .feed-mark', 'title')).toBe('Fed by notes, which is failing: this state may be out of date');
    expect(await page.locator('[data-person=bob] .feed-mark').count()).toBe(0);
    await page.screenshot({ path: `${ART}/dashboard-board-degraded.png` });
    // The marks, the "likely" and the column headers pass axe-core in both schemes.
    await expectNoAxeViolations(page, 'board with a failing connector', 'dark');
    await expectNoAxeViolations(page, 'board with a failing connector', 'light');
    await page.click('[data-person=alice]');
    await page.waitForSelector('.current .degraded .feed-mark');
    expect(await page.textContent('.current .degraded')).toMatch(/notes failing since \d{1,2}:\d{2}.*what it said about Alice Example may be old/);
    await page.context().close();

    // A watcher's board names no connector (the call is refused to watchers).
    const watcher = await signIn(url, TEAM_ENV.BOB_KEY);
    await watcher.waitForSelector('[data-person=alice] [data-class=busy]');
    expect(await watcher.evaluate(async () => (await fetch('/v1/degraded')).status)).toBe(403);
    await new Promise((r) => setTimeout(r, 500));
    expect(await watcher.locator('.feed-mark').count()).toBe(0);
    await watcher.context().close();
  }, 60_000);

  it('a failed fetch on the person page says so in words and tries again', async () => {
    const page = await signIn(url, TEAM_ENV.HELPDESK_KEY);
    await page.route('**/v1/people/carol', (route) => route.abort('connectionrefused'));
    await page.goto(`${url}/person/carol`);
    await page.waitForSelector('.fetch-failed');
    expect(await page.textContent('#person-missing')).toBe('This person cannot be shown right now');
    expect(await page.textContent('.fetch-failed')).toContain('Could not load this person. The hub did not answer: it may be restarting, or the network is down.');
    expect(await page.evaluate(() => document.body.innerText)).not.toContain('Failed to fetch');
    await page.unroute('**/v1/people/carol');
    await page.click('.fetch-failed >> text=Try again');
    await page.waitForFunction(() => document.querySelector('#person-name')?.textContent === 'Carol Example');
    await page.context().close();
  });
});

describe('a phone (chromium, 390x844)', () => {
  let t: TestHub;
  let url: string;
  beforeAll(async () => {
    ({ t, url } = await listen(teamConfig(withHelpdesk()), TEAM_ENV));
    await fetch(`${url}/v1/signals`, {
      method: 'POST',
      headers: { ...auth(TEAM_ENV.PUB_KEY), 'content-type': 'application/json' },
      body: JSON.stringify({ person: 'mallory', source: 'webhook', endpoint: 'desk', category: 'user', availability: 'busy', activity: { token: 'in-a-long-meeting', text: 'In a very long quarterly planning meeting with the whole department' } }),
    });
  });
  afterAll(async () => t?.close());

  it('no row is wider than the screen; rows stack', async () => {
    const page = await signIn(url, TEAM_ENV.HELPDESK_KEY, { viewport: { width: 390, height: 844 } });
    await page.waitForSelector('[data-person=mallory] [data-class=busy]');
    const boxes = await page.$$eval('.row', (rows) => rows.map((r) => ({ left: r.getBoundingClientRect().left, right: r.getBoundingClientRect().right, height: r.getBoundingClientRect().height })));
    expect(boxes).toHaveLength(5);
    for (const b of boxes) {
      expect(b.left).toBeGreaterThanOrEqual(0);
      expect(b.right).toBeLessThanOrEqual(390);
    }
    // Nothing on the page scrolls sideways.
    expect(await page.evaluate(() => document.documentElement.scrollWidth)).toBeLessThanOrEqual(390);
    // Stacked: the name and the state are on different lines.
    const [nameTop, stateTop] = await page.$eval('[data-person=mallory]', (r) => [r.querySelector('.name')!.getBoundingClientRect().top, r.querySelector('.status-cell')!.getBoundingClientRect().top]);
    expect(stateTop! - nameTop!).toBeGreaterThan(10);
    await page.screenshot({ path: `${ART}/dashboard-board-phone.png` });
    await expectNoAxeViolations(page, 'board on a phone', 'dark');
    await page.context().close();
  });
});
