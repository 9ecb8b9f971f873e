import { DestinationPolicy } from '../watch/destination-policy.ts';
import { MIN_SECRET_LENGTH } from '../util/redact.ts';
import { readFileSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { parse as parseYaml } from 'yaml';
import type { z } from 'zod';
import type { ConnectorManifest } from '../connector/contract.ts';
import { personSchema, type Person } from '../model/person.ts';
import { HubError } from '../errors.ts';
import { hubConfigSchema, type HubConfig } from './schema.ts';
import { parsePeopleCsv } from './people-file.ts';
import { envOverrides, portFromEnv, type EnvOverride } from './overrides.ts';

export interface LoadedConfig {
  readonly config: HubConfig;
  /** Every secret value substituted from the environment: redacted wherever text leaves the hub. */
  readonly secrets: readonly string[];
  /** Per connector id: its parsed, frozen configuration. */
  readonly connectorConfigs: ReadonlyMap<string, unknown>;
  readonly people: readonly Person[];
  /** The environment variables that override keys of the file (PORT over server.port, ...): what runs. */
  readonly overrides?: readonly EnvOverride[];
}

type Path = (string | number)[];

export function formatPath(path: readonly PropertyKey[]): string {
  let out = '';
  for (const p of path) out += typeof p === 'number' ? `[${p}]` : out === '' ? String(p) : `.${String(p)}`;
  return out === '' ? '(root)' : out;
}

export function zodIssues(err: z.ZodError, prefix: Path = []): string[] {
  return err.issues.map((i) => `${formatPath([...prefix, ...i.path])}: ${i.message}`);
}

const VAR = /\$\{([A-Za-z_][A-Za-z0-9_]*)\}/g;

/** The shortest API key accepted (README "Security": key rules). */
export const MIN_KEY_LENGTH = 16;

/**
 * `${VAR}` substitution from the environment. A secret field must be a reference: a literal secret
 * in the file is refused, so secrets live in the environment only.
 */
function substitute(node: unknown, env: NodeJS.ProcessEnv, path: Path, secrets: Set<string>, errors: string[], secretPaths: (p: Path) => boolean): unknown {
  if (typeof node === 'string') {
    const isSecret = secretPaths(path);
    if (isSecret && !/^\$\{[A-Za-z_][A-Za-z0-9_]*\}$/.test(node.trim())) {
      errors.push(`${formatPath(path)}: a secret must come from the environment, write it as \${VARIABLE}`);
      return node;
    }
    const out = node.replace(VAR, (_m, name: string) => {
      const v = env[name];
      if (v === undefined || v === '') {
        errors.push(`${formatPath(path)}: environment variable ${name} is not set`);
        return '';
      }
      if (isSecret) {
        // Never the value: its length and where it came from only.
        if (v.length < MIN_SECRET_LENGTH) errors.push(`${formatPath(path)}: the secret in ${name} has ${v.length} character${v.length === 1 ? '' : 's'}; a secret needs at least ${MIN_SECRET_LENGTH} (a shorter one cannot be told apart from ordinary text, so it could not be kept out of logs and answers)`);
        secrets.add(v);
      }
      return v;
    });
    return out;
  }
  if (Array.isArray(node)) return node.map((v, i) => substitute(v, env, [...path, i], secrets, errors, secretPaths));
  if (node !== null && typeof node === 'object') {
    const out: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(node)) out[k] = substitute(v, env, [...path, k], secrets, errors, secretPaths);
    return out;
  }
  return node;
}

function deepFreeze<T>(v: T): T {
  if (v !== null && typeof v === 'object' && !Object.isFrozen(v)) {
    Object.freeze(v);
    for (const x of Object.values(v)) deepFreeze(x);
  }
  return v;
}

/**
 * Parses and validates a configuration, with errors that name the path of the bad field
 * (`connectors[2].tenantId: required`). Connector sections are checked against their manifests.
 */
export function parseConfig(
  raw: unknown,
  opts: { env?: NodeJS.ProcessEnv; manifests: ReadonlyMap<string, ConnectorManifest>; baseDir?: string },
): LoadedConfig {
  const env = opts.env ?? process.env;
  const errors: string[] = [];
  const secrets = new Set<string>();
  const rawObj = (raw ?? {}) as Record<string, unknown>;
  const connectorsRaw = Array.isArray(rawObj.connectors) ? (rawObj.connectors as unknown[]) : [];
  const secretPaths = (p: Path): boolean => {
    if (p[0] === 'auth' && p[1] === 'keys' && p[3] === 'secret' && p.length === 4) return true;
    if (p[0] === 'triggers' && p[1] === 'rules' && p[3] === 'action' && p[4] === 'secret' && p.length === 5) return true;
    if (p[0] === 'connectors' && typeof p[1] === 'number') {
      const entry = connectorsRaw[p[1]] as { kind?: unknown } | undefined;
      const m = typeof entry?.kind === 'string' ? opts.manifests.get(entry.kind) : undefined;
      return m !== undefined && m.secretFields.includes(p.slice(2).join('.'));
    }
    return false;
  };
  const substituted = substitute(raw ?? {}, env, [], secrets, errors, secretPaths);
  const parsed = hubConfigSchema.safeParse(substituted);
  if (!parsed.success) errors.push(...zodIssues(parsed.error));
  const connectorConfigs = new Map<string, unknown>();
  let people: Person[] = [];
  if (parsed.success) {
    const cfg = parsed.data;
    const seen = new Set<string>();
    cfg.connectors.forEach((entry, i) => {
      if (seen.has(entry.id)) errors.push(`connectors[${i}].id: duplicate id ${entry.id}`);
      seen.add(entry.id);
      const m = opts.manifests.get(entry.kind);
      if (m === undefined) {
        errors.push(`connectors[${i}].kind: unknown connector kind ${entry.kind} (known: ${[...opts.manifests.keys()].sort().join(', ')})`);
        return;
      }
      const { id: _id, kind: _kind, enabled: _enabled, ...rest } = entry;
      const c = m.configSchema.safeParse(rest);
      if (!c.success) errors.push(...zodIssues(c.error, ['connectors', i]));
      else connectorConfigs.set(entry.id, deepFreeze(c.data));
    });
    const names = new Set<string>();
    cfg.auth.keys.forEach((k, i) => {
      if (names.has(k.name)) errors.push(`auth.keys[${i}].name: duplicate key name ${k.name}`);
      names.add(k.name);
      // A short key is guessed; the length (never the value) is named.
      if (k.secret.length < MIN_KEY_LENGTH) errors.push(`auth.keys[${i}].secret: an API key needs at least ${MIN_KEY_LENGTH} characters (key ${k.name} has ${k.secret.length}); use a random key of 32 or more`);
    });
    people = [...cfg.people];
    if (cfg.peopleFile !== undefined) {
      try {
        people.push(...readPeopleFile(resolve(opts.baseDir ?? process.cwd(), cfg.peopleFile)));
      } catch (e) {
        errors.push(`peopleFile: ${(e as Error).message}`);
      }
    }
    const ids = new Set<string>();
    people.forEach((p, i) => {
      if (ids.has(p.id)) errors.push(`people[${i}].id: duplicate person ${p.id}`);
      ids.add(p.id);
    });
    let policy: DestinationPolicy | undefined;
    try {
      policy = new DestinationPolicy(cfg.webhooks.allowPrivateTargets);
    } catch (e) {
      errors.push((e as Error).message);
    }
    // A trigger's webhook goes through the same destination policy as at delivery (which checks
    // again, after resolving names): what can be told without DNS is refused at load.
    cfg.triggers.rules.forEach((t, i) => {
      if (t.action.type !== 'webhook' || policy === undefined) return;
      const v = policy.checkLiteral(t.action.url);
      if (v !== undefined && !v.ok) errors.push(`triggers.rules[${i}].action.url: trigger ${t.id}: destination refused: ${v.reason}`);
    });
    // Without a directory connector the people are all known now: a trigger naming someone else is a mistake.
    const directoryKinds = cfg.connectors.some((c) => opts.manifests.get(c.kind)?.capabilities.includes('directory'));
    if (!directoryKinds) {
      cfg.triggers.rules.forEach((t, i) => {
        t.people?.forEach((p, j) => {
          if (!ids.has(p)) errors.push(`triggers.rules[${i}].people[${j}]: unknown person ${p}`);
        });
      });
    }
    cfg.auth.keys.forEach((k, i) => {
      if (k.person !== undefined && !ids.has(k.person)) errors.push(`auth.keys[${i}].person: unknown person ${k.person}`);
    });
  }
  const port = portFromEnv(env);
  if (typeof port === 'object') errors.push(port.error);
  if (errors.length > 0) {
    throw new HubError('HUB_ERR_CONFIG', `invalid configuration:\n  ${errors.join('\n  ')}`);
  }
  return { config: deepFreeze(parsed.data!), secrets: [...secrets], connectorConfigs, people: deepFreeze(people), overrides: deepFreeze(envOverrides(env)) };
}

export function loadConfigFile(file: string, opts: { env?: NodeJS.ProcessEnv; manifests: ReadonlyMap<string, ConnectorManifest> }): LoadedConfig {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (e) {
    throw new HubError('HUB_ERR_CONFIG', `cannot read configuration ${file}: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`);
  }
  let raw: unknown;
  try {
    raw = parseYaml(text, { maxAliasCount: 100 });
  } catch (e) {
    throw new HubError('HUB_ERR_CONFIG', `configuration ${file} is not valid YAML: ${(e as Error).message}`);
  }
  return parseConfig(raw, { ...opts, baseDir: dirname(resolve(file)) });
}

/** People from a YAML list (the `people:` shape) or a CSV file with a header row. */
export function readPeopleFile(file: string): Person[] {
  return parsePeopleText(readFileSync(file, 'utf8'), file);
}

/** The people of a file's text: CSV when `file` ends in .csv, else YAML; errors name the file and the entry. */
export function parsePeopleText(text: string, file: string): Person[] {
  const rows: unknown[] = file.toLowerCase().endsWith('.csv') ? parsePeopleCsv(text) : ((parseYaml(text) as unknown[]) ?? []);
  if (!Array.isArray(rows)) throw new Error(`${file}: expected a list of people`);
  return rows.map((r, i) => {
    const p = personSchema.safeParse(r);
    if (!p.success) throw new Error(`${file}: ${zodIssues(p.error, [i]).join('; ')}`);
    return p.data;
  });
}
