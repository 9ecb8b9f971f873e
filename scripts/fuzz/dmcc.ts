/**
 * Fuzz target for the avaya-aes connector: mutated DMCC messages (the published shapes in
 * connectors/avaya-aes/fixtures) through the XML reader, and mutated framed byte streams through
 * the deframer in uneven chunks; every event read is applied to a line tracker. Only the parsers'
 * own refusals (XmlError, FramingError) are allowed; any other exception, a case that runs longer
 * than a second, a frame beyond the 16-bit length, or heap growth beyond a bound is a failure.
 * Full run: `tsx scripts/fuzz/dmcc.ts 100000` (or `npm run fuzz -- --only dmcc`).
 */
import { readdirSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { Deframer, encodeFrame, FramingError, MAX_FRAME_BYTES } from '../../connectors/avaya-aes/framing.ts';
import { LineTracker } from '../../connectors/avaya-aes/map.ts';
import { parseIncoming } from '../../connectors/avaya-aes/messages.ts';
import { XmlError } from '../../connectors/avaya-aes/xml.ts';
import { seededRandom as rng } from '../../core/util/random.ts';

const FIXTURES = fileURLToPath(new URL('../../connectors/avaya-aes/fixtures/', import.meta.url));

const DICTIONARY = [
  '<', '>', '/>', '"', '&', '&amp;', '&#x0;', '&#99999999;', '&lt;', '<!DOCTYPE a [<!ENTITY b "c">]>', '<![CDATA[', ']]>', '<!--', '-->', '<?xml version="1.0"?>',
  '<callID>', '</callID>', '<deviceID>4750:CM1::0</deviceID>', '<localConnectionInfo>null</localConnectionInfo>', '<monitorCrossRefID>1</monitorCrossRefID>',
  '<connectionListItem>', '</connectionListItem>', '<snapshotDeviceResponseInfo>', 'xmlns:a="x"', 'a:', '\u0000', '\uffff', '💥', '\r\n', '9999', '0000',
  '\u0000\u0000\u00ff\u00ff', '\u0000\u0000\u0000\u0004',
];

function mutate(input: Buffer, r: () => number): Buffer {
  let b = Buffer.from(input);
  const n = 1 + Math.floor(r() * 6);
  for (let k = 0; k < n; k++) {
    const at = Math.floor(r() * (b.length + 1));
    switch (Math.floor(r() * 7)) {
      case 0:
        if (b.length > 0) b[Math.min(at, b.length - 1)] = Math.floor(r() * 256);
        break;
      case 1:
        b = Buffer.concat([b.subarray(0, at), b.subarray(at + Math.floor(r() * 32))]);
        break;
      case 2:
        b = Buffer.concat([b.subarray(0, at), Buffer.from(DICTIONARY[Math.floor(r() * DICTIONARY.length)]!, 'latin1'), b.subarray(at)]);
        break;
      case 3:
        b = Buffer.concat([b.subarray(0, at), b.subarray(at, at + Math.floor(r() * 512)), b.subarray(at)]);
        break;
      case 4:
        b = b.subarray(0, at);
        break;
      case 5:
        b = Buffer.concat([b.subarray(0, at), Buffer.from((r() < 0.5 ? '<a>' : '<connectionListItem><newConnection><callID>1</callID></newConnection></connectionListItem>').repeat(Math.floor(r() * 200))), b.subarray(at)]);
        break;
      default:
        b = Buffer.from(b.toString('latin1').replace(/[a-z]/g, (c) => (r() < 0.1 ? c.toUpperCase() : c)), 'latin1');
    }
    if (b.length > 100_000) b = b.subarray(0, 100_000);
  }
  return b;
}

function allowed(e: unknown): boolean {
  return e instanceof XmlError || e instanceof FramingError;
}

function read(xml: string, tracker: LineTracker): void {
  const m = parseIncoming(xml);
  if (m.kind === 'event') tracker.apply(m.event);
  if (m.kind === 'snapshot') tracker.replace(m.calls);
  tracker.state();
}

function one(kind: number, input: Buffer, r: () => number): void {
  const tracker = new LineTracker('4750');
  if (kind === 0) {
    read(input.toString('utf8'), tracker);
    return;
  }
  const d = new Deframer();
  for (let i = 0; i < input.length; ) {
    const step = 1 + Math.floor(r() * 200);
    for (const f of d.push(input.subarray(i, i + step))) {
      if (Buffer.byteLength(f.xml) > MAX_FRAME_BYTES) throw new Error('a frame beyond the 16-bit length');
      try {
        read(f.xml, tracker);
      } catch (e) {
        if (!allowed(e)) throw e;
      }
    }
    i += step;
  }
  if (d.buffered > MAX_FRAME_BYTES) throw new Error('the deframer kept more than one frame');
}

export function fuzz(iterations: number, seed: number): { cases: number } {
  const r = rng(seed);
  const xml = readdirSync(FIXTURES)
    .filter((f) => f.endsWith('.xml'))
    .map((f) => readFileSync(FIXTURES + f));
  const streams = xml.map((x, i) => Buffer.concat([encodeFrame(i + 1, x.toString('utf8')), encodeFrame(9999, xml[(i + 1) % xml.length]!.toString('utf8'))]));
  const heapStart = process.memoryUsage().heapUsed;
  for (let i = 0; i < iterations; i++) {
    const kind = Math.floor(r() * 2);
    const base = kind === 0 ? xml[Math.floor(r() * xml.length)]! : streams[Math.floor(r() * streams.length)]!;
    const input = mutate(base, r);
    const t0 = performance.now();
    try {
      one(kind, input, r);
    } catch (e) {
      if (!allowed(e)) throw new Error(`fuzz case ${i} (seed ${seed}, kind ${kind}) crashed: ${e instanceof Error ? e.stack : String(e)}\ninput (base64): ${input.toString('base64')}`);
    }
    const ms = performance.now() - t0;
    if (ms > 1000) throw new Error(`fuzz case ${i} (seed ${seed}) took ${ms.toFixed(0)} ms\ninput (base64): ${input.toString('base64')}`);
    if (i % 1000 === 999 && process.memoryUsage().heapUsed - heapStart > 512 * 1024 * 1024) throw new Error(`heap grew by more than 512 MB after ${i} cases`);
  }
  return { cases: iterations };
}

if (process.argv[1] !== undefined && fileURLToPath(import.meta.url) === process.argv[1]) {
  const n = Number(process.argv[2] ?? 100_000);
  console.log(`dmcc: ${fuzz(n, Number(process.argv[3] ?? 1)).cases} cases ok`);
}
