/**
 * JSON text built by hand where JSON.stringify of an object would walk keys per call: the same
 * characters JSON.stringify writes for a string or a number (core/pipeline/redis/codec.ts,
 * core/watch/timeline.ts).
 */

/** What JSON.stringify escapes in a text: quote, backslash, control characters, surrogates (lone ones; paired ones go the slow way too). */
const NEEDS_ESCAPE = /["\\\u0000-\u001f\ud800-\udfff]/;

/** A text as JSON.stringify writes it; one that needs no escape (nearly all) without calling it. */
export function jsonText(t: string): string {
  return NEEDS_ESCAPE.test(t) ? JSON.stringify(t) : `"${t}"`;
}

/** A number as JSON.stringify writes it (finite numbers as String() does, the others as null). */
export function jsonNumber(n: number): string {
  return Number.isFinite(n) ? String(n) : 'null';
}
