/**
 * Replaces every configured secret value in a text: the last guard before text leaves the hub (an
 * API answer, a log line). Each secret is looked for as written and in the forms text carrying it
 * takes on the way out: JSON-escaped (a secret with a quote or backslash inside a JSON string) and
 * URL-encoded (a secret inside a URL). Values shorter than 4 characters are not redacted: they
 * would blank out ordinary words; the configuration refuses API keys under 16 characters
 * (core/config/load.ts MIN_KEY_LENGTH). Connector secrets that short stay unredacted.
 */
export function redactor(secrets: readonly string[]): (text: string) => string {
  const forms = new Set<string>();
  for (const s of secrets) {
    if (s.length < 4) continue;
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
