/**
 * A private Prosody 0.12 XMPP server for tests: a throwaway configuration and data directory, client
 * (c2s) and component (XEP-0114) ports on free loopback ports, users registered with prosodyctl, one
 * external component, Prosody in the foreground (`-F`), stopped with SIGTERM. Nothing of the
 * Debian package's own service is used (its ports 5222/5269/5347 are never touched).
 *
 * `groups` writes a mod_groups file: a public group (`[+Name]`) holding the component's JID gives
 * every user the component as a contact with subscription both (the server then sends their
 * presence to the component and answers its probes).
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { canConnect, launchInDir, PeerProcess } from './process.ts';
import { freePort } from '../ports.ts';

export const PROSODY_INSTALL = 'apt-get install -y prosody';
const PROSODY = '/usr/bin/prosody';
const PROSODYCTL = '/usr/bin/prosodyctl';

export interface ProsodyOptions {
  /** The users' virtual host; default `corp.example`. */
  domain?: string;
  /** The external component's domain; default `presence.<domain>`. */
  component?: string;
  componentSecret?: string;
  /** Users to register before the start: name -> password. */
  users?: Record<string, string>;
  /** mod_groups file content (enables mod_groups). */
  groups?: string;
  /** Offer XEP-0198 stream management (mod_smacks). */
  smacks?: boolean;
}

export interface Prosody {
  readonly domain: string;
  readonly component: string;
  readonly componentSecret: string;
  readonly c2sPort: number;
  readonly componentPort: number;
  /** `xmpp://127.0.0.1:PORT` for clients. */
  readonly service: string;
  /** `xmpp://127.0.0.1:PORT` for the component. */
  readonly componentService: string;
  readonly dir: string;
  register(user: string, password: string): void;
  /** The end of Prosody's log, for failure messages. */
  log(): string;
  /** Stops the server and keeps its data (an outage); `start()` brings it back on the same ports. */
  kill(signal?: NodeJS.Signals): Promise<void>;
  start(): Promise<void>;
  stop(): Promise<void>;
}

export function requireProsody(): void {
  if (!existsSync(PROSODY) || !existsSync(PROSODYCTL)) throw new Error(`prosody is not installed; install it with: ${PROSODY_INSTALL}`);
}

const lua = (s: string): string => JSON.stringify(s);

export async function startProsody(opts: ProsodyOptions = {}): Promise<Prosody> {
  requireProsody();
  const domain = opts.domain ?? 'corp.example';
  const component = opts.component ?? `presence.${domain}`;
  const componentSecret = opts.componentSecret ?? 'component-secret';
  const dir = mkdtempSync(join(tmpdir(), 'ph-prosody-'));
  mkdirSync(join(dir, 'data'));
  mkdirSync(join(dir, 'certs'));
  const [c2sPort, componentPort] = [await freePort(), await freePort()];
  const modules = ['roster', 'saslauth', 'disco', 'ping', 'presence', 'lastactivity'];
  if (opts.groups !== undefined) {
    writeFileSync(join(dir, 'groups.txt'), opts.groups);
    modules.push('groups');
  }
  if (opts.smacks === true) modules.push('smacks');
  const conf = [
    `run_as_root = true`,
    `daemonize = false`,
    `pidfile = ${lua(join(dir, 'prosody.pid'))}`,
    `data_path = ${lua(join(dir, 'data'))}`,
    `certificates = ${lua(join(dir, 'certs'))}`,
    `log = { { levels = { min = "info" }, to = "file", filename = ${lua(join(dir, 'prosody.log'))} } }`,
    `interfaces = { "127.0.0.1" }`,
    `c2s_ports = { ${c2sPort} }`,
    `component_ports = { ${componentPort} }`,
    `component_interfaces = { "127.0.0.1" }`,
    `s2s_ports = { }`,
    `c2s_direct_tls_ports = { }`,
    `s2s_direct_tls_ports = { }`,
    `legacy_ssl_ports = { }`,
    `http_ports = { }`,
    `https_ports = { }`,
    `modules_enabled = { ${modules.map(lua).join(', ')} }`,
    `modules_disabled = { "s2s", "s2s_auth_certs", "offline" }`,
    `authentication = "internal_hashed"`,
    `c2s_require_encryption = false -- tests on loopback only`,
    `allow_unencrypted_plain_auth = true -- tests on loopback only`,
    `allow_registration = false`,
    ...(opts.groups !== undefined ? [`groups_file = ${lua(join(dir, 'groups.txt'))}`] : []),
    `VirtualHost ${lua(domain)}`,
    `Component ${lua(component)}`,
    `  component_secret = ${lua(componentSecret)}`,
    '',
  ].join('\n');
  const file = join(dir, 'prosody.cfg.lua');
  writeFileSync(file, conf);
  const register = (user: string, password: string): void => {
    const r = spawnSync(PROSODYCTL, ['--config', file, 'register', user, domain, password], { encoding: 'utf8' });
    if (r.status !== 0) throw new Error(`prosodyctl register ${user}@${domain} failed: ${r.stderr}${r.stdout}`);
  };
  const readLog = (): string => {
    try {
      return spawnSync('tail', ['-n', '30', join(dir, 'prosody.log')], { encoding: 'utf8' }).stdout;
    } catch {
      return '';
    }
  };
  const proc = new PeerProcess({
    name: `prosody on 127.0.0.1:${c2sPort}`,
    command: PROSODY,
    args: () => ['-F', '--config', file],
    ready: async () => (await canConnect(c2sPort)) && (await canConnect(componentPort)),
  });
  const peer = await launchInDir(proc, dir, {
    prepare: () => {
      for (const [u, p] of Object.entries(opts.users ?? {})) register(u, p);
    },
    detail: readLog,
    keep: () => process.env.KEEP_PROSODY !== undefined,
  });
  return {
    domain,
    component,
    componentSecret,
    c2sPort,
    componentPort,
    service: `xmpp://127.0.0.1:${c2sPort}`,
    componentService: `xmpp://127.0.0.1:${componentPort}`,
    dir,
    register,
    log: readLog,
    ...peer,
  };
}
