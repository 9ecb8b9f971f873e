/**
 * Fuzz target for the signal ingest: mutated JSON bodies (structure-aware mutations of valid
 * signals, byte-level damage, invalid UTF-8, odd content types, deep nesting, prototype keys)
 * through the real HTTP stack with `app.inject` POST /v1/signals: the JSON parser, the ingest's
 * validation and the error handler. Every answer must be 202 or a problem+json refusal (400, 413,
 * 415, 422) naming what is wrong; a 500, a thrown error, a slow case (in `npm run fuzz`) or unbounded heap is a failure.
 * Full run: `tsx scripts/fuzz.ts --only signals`.
 */
import type { FastifyInstance } from 'fastify';
import { buildApp } from '../../api/app.ts';
import { manifestsByKind } from '../../connectors/index.ts';
import { parseConfig } from '../../core/config/load.ts';
import { Hub } from '../../core/hub.ts';
import { ManualClock } from '../../core/util/clock.ts';
import { silentLogger } from '../../core/util/logger.ts';
import { seededRandom as rng } from '../../core/util/random.ts';
import { checkCaseTime } from '../fuzz-harness.ts';

const KEY = 'fuzz-publisher-key-0001';
const SEEDS: unknown[] = [
  { person: 'alice', source: 'api', category: 'user', availability: 'busy' },
  { identity: 'sip:alice@corp.example', source: 'sip', endpoint: 'desk', category: 'phone', availability: 6500, activity: 'on-the-phone' },
  { person: 'bob', source: 'laptop', endpoint: 'pc', category: 'machine', machineState: 'inactive', sourceTime: '2026-11-22T09:59:58Z', sourceVersion: 42 },
  { person: 'bob', source: 'exchange', endpoint: 'm1', category: 'calendar', availability: 'busy', activity: { token: 'in-a-meeting', text: 'Budget' }, from: '2026-11-22T10:00:00Z', until: '2026-11-22T10:30:00Z', expireType: 'time' },
  [
    { person: 'alice', source: 'api', category: 'device', availability: 'dnd' },
    { identity: 'tel:+15550101', source: 'pbx', category: 'phone', availability: 'available' },
  ],
];
const ATOMS: unknown[] = [
  null, true, false, 0, -1, 1.5, 1e308, -0, 2 ** 53 + 1, 3499, 18000, 99999, '', ' ', 'busy', 'offline', 'user', 'machine', 'away',
  '\u0000', '\ud800', '💥', 'x'.repeat(300), 'sip:', 'sip:nobody@corp.example', 'mailto:alice@corp.example', 'zed',
  '2026-13-45T99:99:99Z', '2026-11-22T10:00:00+99:00', [], {}, { token: '' }, { text: 'only text' }, ['busy'],
];
const KEYS = ['person', 'identity', 'source', 'endpoint', 'category', 'availability', 'activity', 'machineState', 'from', 'until', 'expireType', 'sourceTime', 'sourceVersion', '__proto__', 'constructor', 'prototype', 'colour', ''];
const DICTIONARY = ['{', '}', '[', ']', ',', ':', '"', '\\', '\\u0000', '\\ud800', 'null', 'true', '1e999', '-', '"__proto__":{"x":1}', '"constructor":{"prototype":{}}', '\u2028', '\ufeff'];
const TYPES = ['application/json', 'application/json; charset=utf-8', 'application/json; charset=latin1', 'text/plain', 'application/x-www-form-urlencoded', 'application/problem+json', 'APPLICATION/JSON'];

function pick<T>(r: () => number, xs: readonly T[]): T {
  return xs[Math.floor(r() * xs.length)]!;
}

function mutateValue(v: unknown, r: () => number, depth = 0): unknown {
  if (r() < 0.12 || depth > 5) return pick(r, ATOMS);
  if (Array.isArray(v)) {
    const out = v.map((x) => (r() < 0.7 ? x : mutateValue(x, r, depth + 1)));
    if (r() < 0.2) out.push(mutateValue(pick(r, SEEDS), r, depth + 1));
    if (r() < 0.1) out.splice(Math.floor(r() * out.length), 1);
    return out;
  }
  if (v !== null && typeof v === 'object') {
    const out: Record<string, unknown> = {};
    for (const [k, x] of Object.entries(v)) if (r() > 0.08) out[k] = r() < 0.7 ? x : mutateValue(x, r, depth + 1);
    if (r() < 0.2) Object.defineProperty(out, pick(r, KEYS), { value: mutateValue(pick(r, ATOMS), r, depth + 1), enumerable: true, configurable: true, writable: true });
    return out;
  }
  return r() < 0.5 ? v : pick(r, ATOMS);
}

function mutateBytes(b: Buffer, r: () => number): Buffer {
  const n = 1 + Math.floor(r() * 4);
  for (let k = 0; k < n; k++) {
    const at = Math.floor(r() * (b.length + 1));
    switch (Math.floor(r() * 6)) {
      case 0:
        if (b.length > 0) b[Math.min(at, b.length - 1)] = Math.floor(r() * 256);
        break;
      case 1:
        b = Buffer.concat([b.subarray(0, at), b.subarray(at + Math.floor(r() * 16))]);
        break;
      case 2:
        b = Buffer.concat([b.subarray(0, at), Buffer.from(pick(r, DICTIONARY)), b.subarray(at)]);
        break;
      case 3:
        b = b.subarray(0, at);
        break;
      case 4: {
        // Deep nesting or a long run of one token.
        const tok = pick(r, ['[', '{"a":', '"x",', '[[]],']);
        b = Buffer.concat([b.subarray(0, at), Buffer.from(tok.repeat(Math.floor(r() * 5000))), b.subarray(at)]);
        break;
      }
      default:
        // Invalid UTF-8 sequences.
        b = Buffer.concat([b.subarray(0, at), Buffer.from(pick(r, [[0x80], [0xc0, 0xaf], [0xed, 0xa0, 0x80], [0xff], [0xf4, 0x90, 0x80, 0x80]])), b.subarray(at)]);
    }
  }
  return b;
}

async function makeApp(): Promise<{ app: FastifyInstance; close(): Promise<void> }> {
  const loaded = parseConfig(
    {
      server: { rateLimit: 0, bodyLimit: 262_144 },
      people: [
        { id: 'alice', identities: ['sip:alice@corp.example', 'tel:+15550101'] },
        { id: 'bob', identities: ['sip:bob@corp.example'] },
      ],
      auth: { keys: [{ name: 'fuzz', secret: '${FUZZ_KEY}', roles: ['publisher', 'admin'] }] },
    },
    { env: { FUZZ_KEY: KEY }, manifests: manifestsByKind },
  );
  const log = silentLogger();
  const clock = new ManualClock(Date.parse('2026-11-22T10:00:00Z'));
  const hub = new Hub({ loaded, manifests: manifestsByKind, clock, log });
  const app = await buildApp({ hub, loaded, log, clock });
  await hub.start();
  await app.ready();
  return {
    app,
    async close() {
      await app.close();
      await hub.stop();
    },
  };
}

const ALLOWED = new Set([202, 400, 413, 415, 422]);

export async function fuzz(iterations: number, seed: number): Promise<{ cases: number; statuses: Record<number, number> }> {
  const r = rng(seed);
  const { app, close } = await makeApp();
  const heapStart = process.memoryUsage().heapUsed;
  const statuses: Record<number, number> = {};
  try {
    for (let i = 0; i < iterations; i++) {
      const base = pick(r, SEEDS);
      const structured = r() < 0.6;
      const value = structured ? mutateValue(base, r) : base;
      let body: Buffer = Buffer.from(JSON.stringify(value) ?? 'null');
      if (!structured || r() < 0.2) body = mutateBytes(body, r);
      const type = r() < 0.9 ? 'application/json' : pick(r, TYPES);
      const t0 = performance.now();
      const res = await app.inject({ method: 'POST', url: '/v1/signals', headers: { authorization: `Bearer ${KEY}`, 'content-type': type }, payload: body });
      const ms = performance.now() - t0;
      const fail = (why: string): Error =>
        new Error(`signals fuzz case ${i} (seed ${seed}) ${why}\ncontent-type: ${type}\nanswer: ${res.statusCode} ${res.body.slice(0, 300)}\ninput (base64): ${body.toString('base64').slice(0, 4000)}`);
      if (!ALLOWED.has(res.statusCode)) throw fail(`answered ${res.statusCode}`);
      statuses[res.statusCode] = (statuses[res.statusCode] ?? 0) + 1;
      if (res.statusCode === 202) {
        const n = (res.json() as { accepted?: unknown }).accepted;
        if (typeof n !== 'number' || !Number.isInteger(n) || n < 0) throw fail('accepted without a count');
      } else {
        if (!String(res.headers['content-type']).startsWith('application/problem+json')) throw fail('refused without problem+json');
        const p = res.json() as { detail?: unknown; code?: unknown };
        if (typeof p.detail !== 'string' || p.detail === '' || typeof p.code !== 'string' || !p.code.startsWith('HUB_ERR_')) throw fail('refused without a detail and a code');
      }
      checkCaseTime(ms, fail);
      if (i % 1000 === 999 && process.memoryUsage().heapUsed - heapStart > 512 * 1024 * 1024) throw new Error(`heap grew by more than 512 MB after ${i} cases`);
    }
  } finally {
    await close();
  }
  return { cases: iterations, statuses };
}
