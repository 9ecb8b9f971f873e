/**
 * A private OpenLDAP server for tests (docs/connectors.md, "Test tiers" and adding a peer): a
 * throwaway slapd.conf with the core, cosine and inetorgperson schemas, an mdb database seeded
 * offline with slapadd, slapd in the foreground (`-d 0`) on a free loopback port, stopped by pid.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Client } from 'ldapts';
import { canConnect, launchInDir, PeerProcess } from './process.ts';
import { freePort } from '../ports.ts';
export { freePort };

export const SLAPD_INSTALL = 'apt-get install -y slapd ldap-utils';
const SLAPD = '/usr/sbin/slapd';
const SLAPADD = '/usr/sbin/slapadd';

export interface SlapdOptions {
  /** Default `dc=corp,dc=example`. */
  suffix?: string;
  /** LDIF added with slapadd before the server starts (the suffix entry is added when absent). */
  ldif?: string;
  /** Extra schema text (attributetype / objectclass lines) loaded after the standard schemas. */
  schema?: string;
  /** Extra slapd.conf lines for the database (ACLs, limits, indexes, overlays). */
  databaseConfig?: string;
  /** Extra global slapd.conf lines, before the database: the frontend's ACLs, which also govern the root DSE. */
  frontendConfig?: string;
  /** Extra modules to load from /usr/lib/ldap (e.g. `retcode`, for an overlay in `databaseConfig`). */
  modules?: readonly string[];
  /** slapadd quick mode (`-q`): much faster for large seeds. */
  quick?: boolean;
  /** Serve StartTLS with a fresh self-signed certificate for 127.0.0.1 (needs openssl); its path is `Slapd.certFile`. */
  tls?: boolean;
}

export interface Slapd {
  readonly url: string;
  readonly port: number;
  readonly suffix: string;
  readonly rootDn: string;
  readonly rootPassword: string;
  readonly dir: string;
  /** The self-signed server certificate (PEM) when started with `tls`. */
  readonly certFile?: string;
  stop(): Promise<void>;
  /** Stops the server and keeps its database (a directory outage); SIGTERM by default. */
  kill(signal?: NodeJS.Signals): Promise<void>;
  /** Starts it again on the same port after `kill()`. */
  start(): Promise<void>;
}

export function requireSlapd(): void {
  if (!existsSync(SLAPD) || !existsSync(SLAPADD)) {
    throw new Error(`slapd is not installed; install it with: ${SLAPD_INSTALL}`);
  }
}

export async function startSlapd(opts: SlapdOptions = {}): Promise<Slapd> {
  requireSlapd();
  const suffix = opts.suffix ?? 'dc=corp,dc=example';
  const rootDn = `cn=admin,${suffix}`;
  const rootPassword = 'root-secret';
  const dir = mkdtempSync(join(tmpdir(), 'ph-slapd-'));
  mkdirSync(join(dir, 'db'));
  const schemaLines = ['core', 'cosine', 'inetorgperson'].map((s) => `include /etc/ldap/schema/${s}.schema`);
  if (opts.schema !== undefined) {
    writeFileSync(join(dir, 'extra.schema'), opts.schema);
    schemaLines.push(`include ${join(dir, 'extra.schema')}`);
  }
  const certFile = join(dir, 'cert.pem');
  const tlsLines: string[] = [];
  if (opts.tls) {
    const gen = spawnSync(
      'openssl',
      ['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-days', '1', '-subj', '/CN=127.0.0.1', '-addext', 'subjectAltName=IP:127.0.0.1', '-keyout', join(dir, 'key.pem'), '-out', certFile],
      { encoding: 'utf8' },
    );
    if (gen.status !== 0) {
      rmSync(dir, { recursive: true, force: true });
      throw new Error(`openssl could not make a test certificate (apt-get install -y openssl): ${gen.stderr ?? gen.error?.message}`);
    }
    tlsLines.push(`TLSCertificateFile ${certFile}`, `TLSCertificateKeyFile ${join(dir, 'key.pem')}`);
  }
  const conf = [
    ...schemaLines,
    ...tlsLines,
    'modulepath /usr/lib/ldap',
    'moduleload back_mdb',
    ...(opts.modules ?? []).map((m) => `moduleload ${m}`),
    `pidfile ${join(dir, 'slapd.pid')}`,
    `argsfile ${join(dir, 'slapd.args')}`,
    'sizelimit unlimited',
    opts.frontendConfig ?? '',
    'database mdb',
    'maxsize 4294967296',
    `suffix "${suffix}"`,
    `rootdn "${rootDn}"`,
    `rootpw ${rootPassword}`,
    `directory ${join(dir, 'db')}`,
    'index objectClass eq',
    opts.databaseConfig ?? '',
    '',
  ].join('\n');
  writeFileSync(join(dir, 'slapd.conf'), conf);
  const rdn = /^dc=([^,]+)/.exec(suffix)?.[1] ?? 'corp';
  let ldif = opts.ldif ?? '';
  if (!new RegExp(`^dn:\\s*${suffix}\\s*$`, 'mi').test(ldif)) {
    ldif = `dn: ${suffix}\nobjectClass: dcObject\nobjectClass: organization\no: ${rdn}\ndc: ${rdn}\n\n${ldif}`;
  }
  writeFileSync(join(dir, 'seed.ldif'), ldif);
  const add = spawnSync(SLAPADD, [...(opts.quick ? ['-q'] : []), '-f', join(dir, 'slapd.conf'), '-l', join(dir, 'seed.ldif')], { encoding: 'utf8' });
  if (add.status !== 0) {
    rmSync(dir, { recursive: true, force: true });
    throw new Error(`slapadd failed: ${add.stderr}`);
  }
  const port = await freePort();
  const url = `ldap://127.0.0.1:${port}/`;
  const proc = new PeerProcess({
    name: `slapd on ${url}`,
    command: SLAPD,
    args: () => ['-h', url, '-f', join(dir, 'slapd.conf'), '-d', '0'],
    ready: () => canConnect(port),
    stdout: false,
  });
  const peer = await launchInDir(proc, dir);
  return {
    url: `ldap://127.0.0.1:${port}`,
    port,
    suffix,
    rootDn,
    rootPassword,
    dir,
    ...(opts.tls ? { certFile } : {}),
    ...peer,
  };
}

/** Runs `fn` on a session bound as the server's rootdn (the test's own edits of the directory); always unbinds. */
export async function asRootOf<T>(slapd: Slapd, fn: (c: Client) => Promise<T>): Promise<T> {
  const c = new Client({ url: slapd.url });
  try {
    await c.bind(slapd.rootDn, slapd.rootPassword);
    return await fn(c);
  } finally {
    await c.unbind();
  }
}
