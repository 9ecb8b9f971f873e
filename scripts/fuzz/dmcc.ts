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
import { mutate, runCases, type Mutation } from '../fuzz-harness.ts';

const FIXTURES = fileURLToPath(new URL('../../connectors/avaya-aes/fixtures/', import.meta.url));

const DICTIONARY = [
  '<', '>', '/>', '"', '&', '&amp;', '&#x0;', '&#99999999;', '&lt;', '<!DOCTYPE a [<!ENTITY b "c">]>', '<![CDATA[', ']]>', '<!--', '-->', '<?xml version="1.0"?>',
  '<callID>', '</callID>', '<deviceID>4750:CM1::0</deviceID>', '<localConnectionInfo>null</localConnectionInfo>', '<monitorCrossRefID>1</monitorCrossRefID>',
  '<connectionListItem>', '</connectionListItem>', '<snapshotDeviceResponseInfo>', 'xmlns:a="x"', 'a:', '\u0000', '\uffff', '💥', '\r\n', '9999', '0000',
  '\u0000\u0000\u00ff\u00ff', '\u0000\u0000\u0000\u0004',
];

const MUTATION: Mutation = {
  dictionary: DICTIONARY,
  encoding: 'latin1',
  repeat: '<connectionListItem><newConnection><callID>1</callID></newConnection></connectionListItem>',
  maxRepeat: 200,
  maxBytes: 100_000,
};

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
  return runCases(iterations, seed, allowed, () => {
    const kind = Math.floor(r() * 2);
    const base = kind === 0 ? xml[Math.floor(r() * xml.length)]! : streams[Math.floor(r() * streams.length)]!;
    const input = mutate(base, r, MUTATION);
    return { kind, input, run: () => one(kind, input, r) };
  });
}

if (process.argv[1] !== undefined && fileURLToPath(import.meta.url) === process.argv[1]) {
  const n = Number(process.argv[2] ?? 100_000);
  console.log(`dmcc: ${fuzz(n, Number(process.argv[3] ?? 1)).cases} cases ok`);
}
