/**
 * Fuzz target for the SIP connector family: mutated SIP messages (datagram and stream framing)
 * and mutated XML bodies (PIDF, dialog-info, multipart/related). Only the parsers' own refusals
 * (SipParseError, XmlError) are allowed; any other exception, a case that runs longer than a
 * second, a result larger than the limits, or heap growth beyond a bound is a failure.
 * Full run: `tsx scripts/fuzz/sip.ts 100000`.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { isDeepStrictEqual } from 'node:util';
import { parseDialogInfo } from '../../connectors/sip-core/dialog-info.ts';
import { parseChallenge } from '../../connectors/sip-core/digest.ts';
import { parseCSeq, parseNameAddr, parseSipUri, parseValueParams, parseVia } from '../../connectors/sip-core/header-values.ts';
import { StreamFramer } from '../../connectors/sip-core/framer.ts';
import { partsOfType } from '../../connectors/sip-core/multipart.ts';
import { DEFAULT_LIMITS, parseDatagram, SipParseError } from '../../connectors/sip-core/parser.ts';
import { parsePidf } from '../../connectors/sip-core/pidf.ts';
import { parseXmlHardened, XmlError } from '../../connectors/sip-core/xml.ts';
import { parsePlainXml } from '../../connectors/sip-core/xml-fast.ts';
import { seededRandom as rng } from '../../core/util/random.ts';
import { mutate as mutateWith, runCases, type Mutation } from '../fuzz-harness.ts';

/** The documented examples of the SIP family: messages (sip-core), PIDF (sip-presence), dialog-info (sip-dialog). */
const FIXTURES = ['sip-core', 'sip-presence', 'sip-dialog'].map((kind) => fileURLToPath(new URL(`../../connectors/${kind}/fixtures/`, import.meta.url)));

const DICTIONARY = [
  '\r\n', '\r\n\r\n', '\n', ' ', '\t', ':', ';', ',', '<', '>', '"', '\\', '=', '&', '&amp;', '&#x0;', '&#99999999;',
  'Content-Length: ', 'l: 99999', 'CSeq: 1 NOTIFY', 'Via: SIP/2.0/UDP x;branch=z9hG4bK', '<!DOCTYPE a [<!ENTITY b "c">]>',
  '<![CDATA[', ']]>', '<!--', '-->', '<tuple id="x">', '</tuple>', '<dialog id="d"><state>', '</state></dialog>', 'version="4294967296"',
  '--boundary', '\u0000', '\uffff', '💥',
];

export function seeds(): { sip: Buffer[]; xml: string[] } {
  const files = FIXTURES.flatMap((dir) => readdirSync(dir).map((f) => dir + f));
  const xml = files.filter((f) => f.endsWith('.xml')).map((f) => readFileSync(f, 'utf8'));
  const sip = files.filter((f) => f.endsWith('.sip')).map((f) => readFileSync(f));
  for (const body of xml) {
    const b = Buffer.from(body);
    sip.push(Buffer.concat([Buffer.from(`NOTIFY sip:w@127.0.0.1 SIP/2.0\r\nVia: SIP/2.0/UDP 127.0.0.1;branch=z9hG4bKf\r\nFrom: <sip:a@b>;tag=1\r\nTo: <sip:w@c>;tag=2\r\nCall-ID: f\r\nCSeq: 9 NOTIFY\r\nEvent: presence\r\nSubscription-State: active;expires=60\r\nContent-Type: application/pidf+xml\r\nContent-Length: ${b.length}\r\n\r\n`), b]));
  }
  return { sip, xml };
}

const MUTATION: Mutation = { dictionary: DICTIONARY, encoding: 'utf8', repeat: 'X-H: 1\r\n', maxRepeat: 300, maxBytes: 200_000 };

export function mutate(input: Buffer, r: () => number): Buffer {
  return mutateWith(input, r, MUTATION);
}

function allowed(e: unknown): boolean {
  return e instanceof SipParseError || e instanceof XmlError;
}

function one(kind: number, input: Buffer): void {
  switch (kind) {
    case 0: {
      const m = parseDatagram(input);
      if (m.headers.entries.length > DEFAULT_LIMITS.maxHeaders) throw new Error('more headers than the limit');
      if (m.body.length > DEFAULT_LIMITS.maxMessageBytes) throw new Error('body beyond the limit');
      // The structured header parsers never throw on odd input: they return undefined.
      for (const v of m.headers.getAll('Via')) parseVia(v);
      for (const n of ['From', 'To', 'Contact', 'Route']) for (const v of m.headers.getAll(n)) parseSipUri(parseNameAddr(v)?.uri ?? v);
      parseCSeq(m.headers.get('CSeq') ?? '');
      parseValueParams(m.headers.get('Subscription-State') ?? '');
      for (const [, v] of m.headers.entries) parseChallenge(`Digest ${v}`);
      break;
    }
    case 1: {
      const f = new StreamFramer();
      for (let i = 0; i < input.length; i += 97) f.push(input.subarray(i, i + 97));
      break;
    }
    case 2:
      plainAgrees(input.toString('utf8'));
      parsePidf(input.toString('utf8'));
      break;
    case 3:
      plainAgrees(input.toString('utf8'));
      parseDialogInfo(input.toString('utf8'));
      break;
    default:
      partsOfType(input.toString('utf8'), 'multipart/related;boundary=boundary', 'application/pidf+xml');
  }
}

/**
 * The plain-document reader (xml-fast.ts) may only accept what the hardened parser accepts, with
 * the same tree: a disagreement is a failure of the fuzz run, not a refusal.
 */
export function plainAgrees(xml: string): boolean {
  const plain = parsePlainXml(xml);
  if (plain === undefined) return false;
  let hardened: unknown;
  try {
    hardened = parseXmlHardened(xml);
  } catch (e) {
    throw new Error(`the plain XML reader accepted a document the hardened parser refuses (${e instanceof Error ? e.message : String(e)}): ${JSON.stringify(xml.slice(0, 300))}`);
  }
  if (!isDeepStrictEqual(plain, hardened)) throw new Error(`the plain XML reader and the hardened parser disagree on ${JSON.stringify(xml.slice(0, 300))}: ${JSON.stringify(plain)} vs ${JSON.stringify(hardened)}`);
  return true;
}

export function fuzz(iterations: number, seed: number): { cases: number } {
  const r = rng(seed);
  const { sip, xml } = seeds();
  return runCases(iterations, seed, allowed, () => {
    const kind = Math.floor(r() * 5);
    const base = kind <= 1 ? sip[Math.floor(r() * sip.length)]! : Buffer.from(kind === 4 ? `--boundary\r\nContent-Type: application/pidf+xml\r\n\r\n${xml[0]}\r\n--boundary--` : xml[Math.floor(r() * xml.length)]!);
    const input = mutate(base, r);
    return { kind, input, run: () => one(kind, input) };
  });
}

if (process.argv[1] !== undefined && fileURLToPath(import.meta.url) === process.argv[1]) {
  const n = Number(process.argv[2] ?? 100_000);
  const seed = Number(process.argv[3] ?? 1);
  const t0 = Date.now();
  const res = fuzz(n, seed);
  console.log(`sip fuzz: ${res.cases} cases, seed ${seed}, ${((Date.now() - t0) / 1000).toFixed(1)} s, no crash`);
}
