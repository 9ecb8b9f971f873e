/**
 * The shortest secret the hub accepts. A shorter value cannot be told apart from ordinary text
 * ("ok", "42"): redacting it would blank out ordinary words, not redacting it would let it out. So
 * the configuration refuses shorter secrets (core/config/load.ts), and every secret the hub holds
 * is redacted. (API keys need far more: MIN_KEY_LENGTH.)
 */
export const MIN_SECRET_LENGTH = 4;

/**
 * Replaces every configured secret value in a text: the last guard before text leaves the hub (an
 * API answer, a log line). Each secret is looked for as written and in the forms text carrying it
 * takes on the way out: JSON-escaped (a secret with a quote or backslash inside a JSON string) and
 * URL-encoded (a secret inside a URL). A value shorter than MIN_SECRET_LENGTH is refused by the
 * configuration and never gets here; one given anyway is not looked for (it would blank out
 * ordinary words).
 */
export function redactor(secrets: readonly string[]): (text: string) => string {
  const forms = new Set<string>();
  for (const s of secrets) {
    if (s.length < MIN_SECRET_LENGTH) continue;
    forms.add(s);
    forms.add(JSON.stringify(s).slice(1, -1));
    forms.add(encodeURIComponent(s));
  }
  const list = [...forms].sort((a, b) => b.length - a.length);
  if (list.length === 0) return (t) => t;
  return (text) => {
    let out = text;
    for (const s of list) if (out.includes(s)) out = out.split(s).join('[redacted]');
    return out;
  };
}
