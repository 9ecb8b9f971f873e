import { spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { sseClient } from '../support/sse.ts';
import { until } from '../support/wait.ts';

const dir = mkdtempSync(join(tmpdir(), 'ph-cli-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
const BIN = join(import.meta.dirname, '../../bin/presence-hub.js');

describe('the presence-hub command', () => {
  it('starts the demo with no configuration: a presence answers and the stream shows changes within seconds', async () => {
    const child = spawn(process.execPath, [BIN, 'start'], { env: { ...process.env, PORT: '0', HUB_CONFIG: '', REDIS_URL: '' }, stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    try {
      const url = await new Promise<string>((resolve, reject) => {
        // Generous: a loaded machine may take long to start a process; what is asserted is that it starts with no configuration.
        const t = setTimeout(() => reject(new Error(`no listening line within 60 s:\n${out}`)), 60_000);
        child.stdout.on('data', (d: Buffer) => {
          out += d.toString();
          const m = /presence hub listening on (http:\/\/[^"\s]+)/.exec(out);
          if (m) {
            clearTimeout(t);
            resolve(m[1]!);
          }
        });
        child.on('exit', (code) => reject(new Error(`exited ${code}:\n${out}`)));
      });
      expect(out).toMatch(/no API keys configured: the hub listens on 127\.0\.0\.1 only/);
      // `npm start` says where the dashboard is, and that address serves it.
      await until(() => /dashboard at (http:\/\/\S+\/) /.test(out));
      const board = /dashboard at (http:\/\/\S+\/) /.exec(out)![1]!;
      expect(board).toBe(`${url}/`);
      const page = await fetch(board);
      expect(page.status).toBe(200);
      expect(await page.text()).toContain('<div id="app">');
      const res = await fetch(`${url}/v1/presence/alice`);
      expect(res.status).toBe(200);
      expect(await res.json()).toMatchObject({ person: 'alice', class: expect.any(String) });
      // `explain` asks the running hub why a person shows what they show.
      const explain = spawnSync(process.execPath, [BIN, 'explain', 'alice', '--url', url], { encoding: 'utf8' });
      expect(explain.status).toBe(0);
      expect(explain.stdout).toMatch(/^alice: \w+ \(.+\)\nrule: /);
      expect(explain.stdout).toMatch(/counted\s+demo\/laptop machine/);
      expect(explain.stdout).toMatch(/\nin words: [A-Z].+\n$/);
      const people = (await (await fetch(`${url}/v1/people?limit=100`)).json()) as { total: number };
      expect(people.total).toBe(50);
      // The stream sends 50 current views, then changes from the demo connector.
      const s = await sseClient(`${url}/v1/stream`, {});
      try {
        const current: { person: string }[] = [];
        for (let i = 0; i < 50; i++) current.push(await s.next(20_000));
        expect(new Set(current.map((p) => p.person)).size).toBe(50);
        // The demo connector changes someone every tick (2 s by default); 20 s leaves room for load.
        const change = await s.next(20_000);
        expect(change.version).toBeGreaterThan(0);
      } finally {
        s.close();
      }
    } finally {
      child.kill('SIGTERM');
      await new Promise((r) => child.once('exit', r));
    }
  }, 120_000);

  it('validates a configuration file and names the bad field', () => {
    writeFileSync(join(dir, 'bad.yaml'), 'connectors:\n  - {id: d, kind: demo, perTick: 0}\n');
    const bad = spawnSync(process.execPath, [BIN, 'validate', join(dir, 'bad.yaml')], { encoding: 'utf8' });
    expect(bad.status).toBe(1);
    expect(bad.stderr).toMatch(/connectors\[0\]\.perTick: /);
    writeFileSync(join(dir, 'good.yaml'), 'people: [{id: alice}]\nconnectors:\n  - {id: d, kind: demo}\n');
    const good = spawnSync(process.execPath, [BIN, 'validate', join(dir, 'good.yaml')], { encoding: 'utf8' });
    expect(good.stdout).toMatch(/valid \(1 people, 1 connectors, 0 keys\)/);
    expect(good.status).toBe(0);
  }, 30_000);
});
