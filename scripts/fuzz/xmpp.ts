/**
 * Fuzz target for the xmpp connector: mutated XMPP streams (the RFC 6121 / XEP-0319 / XEP-0256
 * examples in connectors/xmpp/fixtures) through the inbound guard and xmpp.js's parser in uneven
 * reads (parseStream), and every element read through readPresence. Only the connector's own
 * refusals are allowed (a guard refusal is a returned value; PresenceRefused); any other
 * exception, an element over the size limit, a case longer than a second (in `npm run fuzz`) or heap growth beyond a
 * bound is a failure. Full run: `npm run fuzz -- --only xmpp`.
 */
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { PresenceRefused, readPresence } from '../../connectors/xmpp/map.ts';
import { parseStream } from '../../connectors/xmpp/xml-guard.ts';
import { seededRandom as rng } from '../../core/util/random.ts';
import { runCases } from '../fuzz-harness.ts';

const FIXTURE = readFileSync(new URL('../../connectors/xmpp/fixtures/rfc6121-presence.txt', import.meta.url), 'utf8');
const LIMIT = 16_384;

const DICTIONARY = [
  '<', '>', '/>', "'", '"', '&', '&amp;', '&xxe;', '&#0;', '&#x10FFFF;', '&#99999999;', '<!DOCTYPE a [<!ENTITY b "c">]>', '<![CDATA[x]]>', '<!--', '-->', '<?xml version="1.0"?>', '<?pi?>',
  '<show>dnd</show>', '<show>busy</show>', '<priority>999</priority>', '<priority>-128</priority>', "<idle xmlns='urn:xmpp:idle:1' since='x'/>", "<query xmlns='jabber:iq:last' seconds='-1'/>",
  "type='unavailable'", "type='bogus'", "from=''", "from='@/'", "from='a@b/c'", '</stream:stream>', '<stream:error>', '\u0000', '\uffff', '💥', '\r\n',
];

function mutate(input: string, r: () => number): string {
  let s = input;
  const n = 1 + Math.floor(r() * 6);
  for (let k = 0; k < n; k++) {
    const at = Math.floor(r() * (s.length + 1));
    switch (Math.floor(r() * 6)) {
      case 0:
        s = s.slice(0, at) + String.fromCharCode(Math.floor(r() * 128)) + s.slice(at + 1);
        break;
      case 1:
        s = s.slice(0, at) + s.slice(at + Math.floor(r() * 32));
        break;
      case 2:
        s = s.slice(0, at) + DICTIONARY[Math.floor(r() * DICTIONARY.length)]! + s.slice(at);
        break;
      case 3:
        s = s.slice(0, at) + s.slice(at, at + Math.floor(r() * 400)) + s.slice(at);
        break;
      case 4:
        s = s.slice(0, at) + 'x'.repeat(Math.floor(r() * 40_000)) + s.slice(at);
        break;
      default:
        s = s.slice(0, at);
    }
    if (s.length > 200_000) s = s.slice(0, 200_000);
  }
  return s;
}

function one(input: string, r: () => number): void {
  const { elements } = parseStream(input, LIMIT, 3 + Math.floor(r() * 5000));
  for (const el of elements) {
    // The guard lets a stanza through at most one read beyond the limit.
    if (el.toString().length > LIMIT + 5003 + 1024) throw new Error(`an element of ${el.toString().length} characters passed the ${LIMIT}-byte limit`);
    try {
      readPresence(el, Date.parse('2026-11-22T10:00:00Z'));
    } catch (e) {
      if (!(e instanceof PresenceRefused)) throw e;
    }
  }
}

export function fuzz(iterations: number, seed: number): { cases: number } {
  const r = rng(seed);
  // Only the connector's own refusals are caught (in one()); any exception reaching here is a crash.
  return runCases(iterations, seed, () => false, () => {
    const input = mutate(FIXTURE, r);
    return { input: Buffer.from(input), run: () => one(input, r) };
  });
}

if (process.argv[1] !== undefined && fileURLToPath(import.meta.url) === process.argv[1]) {
  const n = Number(process.argv[2] ?? 100_000);
  console.log(`xmpp: ${fuzz(n, Number(process.argv[3] ?? 1)).cases} cases ok`);
}
