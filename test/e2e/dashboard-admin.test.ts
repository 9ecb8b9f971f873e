/**
 * The admin console in Chromium (issue 20 item 3), through a hub started as `presence-hub start`
 * starts it (api/server.ts, a configuration file, the environment): a connector pointed at a closed
 * loopback port degrades for real and the overview shows the summary, its history, failing since,
 * next retry and its unsynced people; the row order holds and the Actions cells line up when it is
 * disabled, and the audit list says who did it; the webhooks page creates, shows the last delivery,
 * deletes; the configuration page shows the PORT override and masks the secret; the pipeline page
 * shows a dead letter (a store fault injected for one batch) and replays it. axe-core audits every
 * admin page in light and dark mode. Screenshots in test-artifacts/.
 */
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { dashboard } from '../../api/dashboard/plugin.ts';
import { startHub, type RunningHub } from '../../api/server.ts';
import { embeddedPipeline } from '../../core/pipeline/embedded/index.ts';
import { systemClock } from '../../core/util/clock.ts';
import { silentLogger } from '../../core/util/logger.ts';
import { auditBothSchemes } from '../support/axe.ts';
import { launchChromium, signedInPage } from '../support/chromium.ts';
import { auth, TEAM_ENV, teamConfig, testHub, type TestHub } from '../support/hub.ts';
import { freePort } from '../support/ports.ts';
import { webhookReceiver, type WebhookReceiver } from '../support/webhook-receiver.ts';
import { injecting } from '../support/poisoned-store.ts';

const ART = 'test-artifacts';
const XMPP_PW = 'xmpp-service-password-4711';

describe('admin console end to end (chromium)', () => {
  let dir: string;
  let hub: RunningHub;
  let url: string;
  let port: number;
  let closedPort: number;
  let browser: Browser;
  let receiver: WebhookReceiver;
  const contexts: BrowserContext[] = [];
  const a11y: string[] = [];

  beforeAll(async () => {
    mkdirSync(ART, { recursive: true });
    dir = mkdtempSync(join(tmpdir(), 'ph-admin-e2e-'));
    closedPort = await freePort();
    port = await freePort();
    receiver = await webhookReceiver();
    writeFileSync(join(dir, 'people.csv'), ['id,name,identities,teams', 'erin,Erin Example,mailto:erin@corp.example,support'].join('\n'));
    // Alice and Bob have an XMPP address, Carol, Dave and Mallory none: the chat connector cannot match them.
    const people = teamConfig().people!.map((p) => (p.id === 'alice' || p.id === 'bob' ? { ...p, identities: [...p.identities!, `xmpp:${p.id}@corp.example`] } : p));
    const config = {
      server: { port: 8080 },
      people,
      auth: teamConfig().auth,
      webhooks: { allowPrivateTargets: ['127.0.0.1'] },
      connectors: [
        // Nobody listens on closedPort: the connection is refused, for real; retries wait 30 s.
        { id: 'chat', kind: 'xmpp', service: `xmpp://127.0.0.1:${closedPort}`, jid: 'hub@corp.example', password: '${XMPP_PW}', reconnect: { base: '30s', max: '60s' } },
        { id: 'people-file', kind: 'file-directory', path: join(dir, 'people.csv') },
      ],
    };
    // JSON is YAML: the file is read as `presence-hub start --config` reads it.
    writeFileSync(join(dir, 'hub.yaml'), JSON.stringify(config, null, 2));
    hub = await startHub({ configFile: join(dir, 'hub.yaml'), env: { ...TEAM_ENV, XMPP_PW, PORT: String(port) }, log: silentLogger() });
    url = `http://127.0.0.1:${port}`;
    browser = await launchChromium();
  });
  afterAll(async () => {
    for (const c of contexts) await c.close().catch(() => undefined);
    await browser?.close();
    await hub?.close();
    await receiver?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  async function signIn(): Promise<Page> {
    const page = await signedInPage(browser, url, TEAM_ENV.ADMIN_KEY);
    contexts.push(page.context());
    return page;
  }

  /** axe-core on the page as it is, light and dark; violations are collected and asserted at the end. */
  async function audit(page: Page, what: string): Promise<void> {
    a11y.push(...(await auditBothSchemes(page, what, `${ART}/admin-${what}`)));
  }

  const post = (path: string, body: unknown) => fetch(`${url}${path}`, { method: 'POST', headers: { ...auth(TEAM_ENV.PUB_KEY), 'content-type': 'application/json' }, body: JSON.stringify(body) });

  it("the overview shows the summary, a degraded connector's history, failing since, next retry and its unsynced people", async () => {
    // Alice has been heard from through the chat source; a signal for an address nobody has is refused.
    expect((await post('/v1/signals', { person: 'alice', source: 'chat', category: 'user', availability: 'available' })).status).toBe(202);
    expect((await post('/v1/signals', { identity: 'xmpp:ghost@corp.example', source: 'chat', category: 'user', availability: 'available' })).status).toBe(422);
    const page = await signIn();
    await page.click('nav >> text=Admin');
    await page.waitForFunction(() => document.querySelector('.summary')?.textContent === '1 running, 1 degraded', undefined, { timeout: 15_000 });
    const chat = page.locator('[data-connector=chat]');
    expect(await chat.locator('.state').textContent()).toBe('degraded');
    expect(await chat.locator('.failing-since').textContent()).toMatch(/failing since \d/);
    expect(await chat.locator('.next-retry').textContent()).toMatch(/next retry \d/);
    // The history is open for a failing connector: each failure with its code and message.
    await page.waitForSelector('[data-connector=chat] details.history[open] li.failed');
    expect(await chat.locator('details.history li.failed').first().textContent()).toMatch(/✘ HUB_ERR_\w+ \S/);
    // The unsynced people come from the directory report (refreshed on load).
    await page.waitForSelector('[data-connector=chat] details.unsynced');
    expect(await chat.locator('.unsynced li.not-matched').textContent()).toBe('Not matched (4) no xmpp: identity: carol, dave, mallory, erin');
    expect(await chat.locator('.unsynced li.silent').textContent()).toBe('No signal for 7 days (1): bob (never)');
    expect(await chat.locator('.unsynced li.refused').textContent()).toContain('identity xmpp:ghost@corp.example ×1');
    // The running directory connector: no failure shown.
    expect(await page.locator('[data-connector=people-file] .state').textContent()).toBe('running');
    expect(await page.locator('[data-connector=people-file] .failing-since').count()).toBe(0);
    expect(await page.content()).not.toContain(XMPP_PW);
    await page.screenshot({ path: `${ART}/admin-overview-degraded.png`, fullPage: true });
    await audit(page, 'overview');
  });

  it('disabling keeps the row order and the Actions cells aligned; the audit list says who disabled what', async () => {
    const page = await signIn();
    await page.goto(`${url}/admin`);
    await page.waitForSelector('[data-connector=chat] .state');
    const order = (): Promise<string[]> => page.$$eval('tbody[data-connector]', (els) => els.map((e) => (e as HTMLElement).dataset.connector!));
    const actionsBox = (): Promise<{ display: string; left: number; width: number }[]> =>
      page.$$eval('.connectors td.actions', (cells) =>
        cells.map((c) => {
          const r = c.getBoundingClientRect();
          return { display: getComputedStyle(c).display, left: Math.round(r.left), width: Math.round(r.width) };
        }),
      );
    const before = await order();
    expect(before).toEqual(['chat', 'people-file']);
    const boxBefore = await actionsBox();
    // Disabling asks first; saying no changes nothing (the audit list below has one disable, the accepted one).
    const asked: string[] = [];
    page.once('dialog', (d) => {
      asked.push(d.message());
      void d.dismiss();
    });
    await page.click('[data-connector=chat] >> button:has-text("Disable")');
    expect(asked).toEqual([expect.stringMatching(/^Disable chat on every node\? It stays off until it is enabled again/)]);
    expect(await page.locator('[data-connector=chat] .state').textContent()).toBe('degraded');
    page.once('dialog', (d) => void d.accept());
    await page.click('[data-connector=chat] >> button:has-text("Disable")');
    await page.waitForFunction(() => document.querySelector('[data-connector=chat] .state')?.textContent === 'disabled');
    await page.waitForFunction(() => document.querySelector('.summary')?.textContent === '1 running, 1 disabled');
    // Stable order: the disabled connector keeps its place.
    expect(await order()).toEqual(before);
    // The Actions cells are table cells in one column: the same left edge and width, before and after.
    const boxAfter = await actionsBox();
    expect(boxAfter.every((b) => b.display === 'table-cell')).toBe(true);
    expect(new Set(boxAfter.map((b) => b.left)).size).toBe(1);
    expect(boxAfter.map((b) => b.left)).toEqual(boxBefore.map((b) => b.left));
    expect(boxAfter.map((b) => b.width)).toEqual(boxBefore.map((b) => b.width));
    // The buttons sit at the top of their cell, in one line, in every row.
    const tops = await page.$$eval('.connectors td.actions', (cells) => cells.map((c) => [...c.querySelectorAll('button')].map((b) => b.getBoundingClientRect().top - c.getBoundingClientRect().top)));
    const spread = (xs: number[]): number => Math.max(...xs) - Math.min(...xs);
    for (const t of tops) expect(spread(t), `buttons of one row: ${t.join(', ')}`).toBeLessThanOrEqual(1);
    expect(spread(tops.map((t) => t[0]!)), `first button of each row: ${tops.map((t) => t[0]).join(', ')}`).toBeLessThanOrEqual(1);
    await page.screenshot({ path: `${ART}/admin-overview-disabled.png`, fullPage: true });

    await page.click('.admin-nav >> text=Audit');
    await page.waitForSelector('tr[data-action="connector.disable"][data-target=chat]');
    const row = await page.textContent('tr[data-action="connector.disable"][data-target=chat]');
    expect(row).toMatch(/admin \(admin\)disabled connector chat/);
    expect(await page.locator('tr[data-action="connector.disable"][data-target=chat]').count()).toBe(1);
    expect(await page.content()).not.toContain(TEAM_ENV.ADMIN_KEY);
    await audit(page, 'audit');
    // Back on: the summary counts it again as what it is.
    await page.click('.admin-nav >> text=Overview');
    await page.click('[data-connector=chat] >> button:has-text("Enable")');
    await page.waitForFunction(() => document.querySelector('[data-connector=chat] .state')?.textContent !== 'disabled');
    expect(await order()).toEqual(before);
  });

  it('the webhooks page creates a webhook, shows its last delivery, and deletes it', async () => {
    const page = await signIn();
    await page.goto(`${url}/admin/webhooks`);
    await page.waitForSelector('text=No webhooks.');
    await audit(page, 'webhooks-empty');
    await page.fill('#wh-url', `${receiver.url}/console`);
    await page.fill('#wh-people', 'carol, dave');
    await page.selectOption('#wh-container', 'team');
    await page.click('button:has-text("Create webhook")');
    await page.waitForSelector('p.secret code');
    expect((await page.textContent('p.secret code'))!.length).toBeGreaterThan(20);
    const row = page.locator('tr[data-webhook]');
    await expect.poll(() => row.count()).toBe(1);
    expect(await row.textContent()).toContain(`${receiver.url}/console`);
    // A change for Carol is delivered (after the current views, which a new webhook gets first), and the page says so.
    expect((await post('/v1/signals', { person: 'carol', source: 'api', category: 'user', availability: 'busy' })).status).toBe(202);
    await expect.poll(() => (receiver.deliveries.get('console') ?? []).some((b) => /"person":"carol","availability":6500/.test(b)), { timeout: 10_000 }).toBe(true);
    const deliveredNow = receiver.deliveries.get('console')!.reduce((n, b) => n + (JSON.parse(b) as { presence: unknown[] }).presence.length, 0);
    // The page refreshes every 5 s: it shows the delivery and the views delivered so far.
    await page.waitForFunction((n) => {
      const r = document.querySelector('tr[data-webhook]');
      return r?.querySelector('.last-delivery')?.textContent?.startsWith('✔ delivered') === true && r.querySelector('td.delivered')?.textContent === `${n} / 0`;
    }, deliveredNow, { timeout: 10_000 });
    await audit(page, 'webhooks');
    const id = await row.getAttribute('data-webhook');
    page.once('dialog', (d) => void d.accept());
    await page.click(`tr[data-webhook="${id}"] >> button:has-text("Delete")`);
    await page.waitForSelector('text=No webhooks.');
    const left = await fetch(`${url}/v1/webhooks`, { headers: auth(TEAM_ENV.ADMIN_KEY) }).then((r) => r.json() as Promise<{ webhooks: unknown[] }>);
    expect(left.webhooks).toEqual([]);
    // Both are in the audit list.
    await page.goto(`${url}/admin/audit`);
    await page.waitForSelector(`tr[data-action="webhook.delete"][data-target="${id}"]`);
    await page.waitForSelector(`tr[data-action="webhook.create"][data-target="${id}"]`);
  });

  it('the configuration page shows what runs: the PORT override, the secret masked', async () => {
    const page = await signIn();
    await page.goto(`${url}/admin/config`);
    await page.waitForSelector('tr[data-override="server.port"]');
    expect(await page.textContent('tr[data-override="server.port"]')).toBe(`server.port${port}PORT`);
    await page.waitForFunction(() => document.querySelector('pre.config')?.textContent?.includes('"chat"') === true);
    const cfg = (await page.textContent('pre.config'))!;
    expect(cfg).toContain(`"port": ${port}`);
    expect(cfg).not.toContain('"port": 8080');
    expect(cfg).toContain('"password": "********"');
    expect(cfg).not.toContain(XMPP_PW);
    for (const k of Object.values(TEAM_ENV)) expect(cfg).not.toContain(k);
    await audit(page, 'config');
  });

  it('axe-core finds no violation on any admin page (collected above), nor on the pipeline page', async () => {
    const page = await signIn();
    await page.goto(`${url}/admin/pipeline`);
    await page.waitForSelector('.pipeline-stats .depth');
    await audit(page, 'pipeline-empty');
    expect(a11y, a11y.join('\n\n')).toEqual([]);
  });
});

describe('admin console pipeline page (chromium)', () => {
  let t: TestHub;
  let url: string;
  let browser: Browser;
  let heal: () => void;

  beforeAll(async () => {
    const injected = injecting(embeddedPipeline({ clock: systemClock, log: silentLogger() }));
    heal = injected.heal;
    t = await testHub({ config: teamConfig(), env: TEAM_ENV, clock: systemClock, pipeline: injected.pipeline, plugins: (ctx) => [dashboard(ctx)] });
    await t.app.listen({ host: '127.0.0.1', port: 0 });
    url = `http://127.0.0.1:${(t.app.server.address() as AddressInfo).port}`;
    browser = await launchChromium();
  });
  afterAll(async () => {
    await browser?.close();
    await t?.close();
  });

  it('shows a dead letter with its reason and replays it', async () => {
    const res = await fetch(`${url}/v1/signals`, { method: 'POST', headers: { ...auth(TEAM_ENV.PUB_KEY), 'content-type': 'application/json' }, body: JSON.stringify({ person: 'dave', source: 'api', category: 'user', availability: 'dnd' }) });
    expect(res.status).toBe(202);
    const page = await signedInPage(browser, url, TEAM_ENV.ADMIN_KEY);
    await page.goto(`${url}/admin/pipeline`);
    await page.waitForSelector('tr[data-dead-letter]', { timeout: 10_000 });
    expect(await page.textContent('.dead-count')).toBe('1');
    expect(await page.textContent('tr[data-dead-letter]')).toContain('HUB_ERR_SIGNAL_INVALID');
    expect(await page.textContent('tr[data-dead-letter]')).toContain('injected handler failure for this batch');
    const failures = await auditBothSchemes(page, 'pipeline', `${ART}/admin-pipeline-dead-letter`);
    expect(failures, failures.join('\n\n')).toEqual([]);
    heal();
    const id = await page.getAttribute('tr[data-dead-letter]', 'data-dead-letter');
    await page.click('tr[data-dead-letter] >> button:has-text("Replay")');
    await page.waitForSelector(`text=Dead letter ${id} queued again.`);
    await page.waitForFunction(() => document.querySelector('.dead-count')?.textContent === '0', undefined, { timeout: 10_000 });
    // Replayed for real: Dave's do-not-disturb is applied.
    await expect.poll(async () => ((await t.app.inject({ url: '/v1/presence/dave', headers: auth(TEAM_ENV.ADMIN_KEY) })).json() as { class: string }).class, { timeout: 5000 }).toBe('dnd');
    await page.goto(`${url}/admin/audit`);
    await page.waitForSelector(`tr[data-action="dead-letter.replay"][data-target="${id}"]`);
    await page.context().close();
  });
});
