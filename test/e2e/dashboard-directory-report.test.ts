/**
 * The admin console's directory report lists what a directory connector did not use as read
 * (skipped entries, unusable and truncated values): "Everyone is synced" only when nothing is left out.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { dashboard } from '../../api/dashboard/plugin.ts';
import { systemClock } from '../../core/util/clock.ts';
import { launchChromium, signedInPage } from '../support/chromium.ts';
import { TEAM_ENV, teamConfig, testHub, type TestHub } from '../support/hub.ts';

describe('dashboard directory report (chromium)', () => {
  let hub: TestHub;
  let url: string;
  let browser: Browser;
  let dir: string;

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'ph-dash-dir-'));
    // Two people claiming one number: both entries are listed as not used for that identity.
    writeFileSync(join(dir, 'people.csv'), ['id,name,identities,teams', 'erin,Erin,tel:+15550199,support', 'frank,Frank,tel:+15550199,sales'].join('\n'));
    const config = teamConfig({ connectors: [{ id: 'people-file', kind: 'file-directory', path: join(dir, 'people.csv') }] });
    hub = await testHub({ config, env: TEAM_ENV, clock: systemClock, plugins: (ctx) => [dashboard(ctx)] });
    await hub.app.listen({ host: '127.0.0.1', port: 0 });
    url = `http://127.0.0.1:${(hub.app.server.address() as AddressInfo).port}`;
    browser = await launchChromium();
  });
  afterAll(async () => {
    await browser?.close();
    await hub?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('shows the entries a connector could not use, and does not claim everyone is synced', async () => {
    const page = await signedInPage(browser, url, TEAM_ENV.ADMIN_KEY);
    await page.click('nav >> text=Admin');
    await page.waitForSelector('table.not-used', { timeout: 15_000 });
    const text = await page.textContent('table.not-used');
    expect(text).toContain('people-file');
    expect(text).toMatch(/identity shared by erin and frank/);
    expect(await page.textContent('.report')).not.toContain('Everyone is synced');
  });
});
