import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';

/** The Debian packages the suite's real peers come from, by the binary each provides. */
export const PEER_PACKAGES: readonly { bin: string; packages: readonly string[] }[] = [
  { bin: 'redis-server', packages: ['redis-server'] },
  { bin: 'redis-sentinel', packages: ['redis-sentinel'] },
  { bin: 'kamailio', packages: ['kamailio', 'kamailio-presence-modules', 'kamailio-sqlite-modules'] },
  { bin: 'sipp', packages: ['sip-tester'] },
  { bin: 'sqlite3', packages: ['sqlite3'] },
  { bin: 'slapd', packages: ['slapd', 'ldap-utils'] },
  { bin: 'ldapsearch', packages: ['ldap-utils'] },
  { bin: 'chromium', packages: ['chromium'] },
  { bin: 'openssl', packages: ['openssl'] },
  { bin: 'prosody', packages: ['prosody'] },
];
const KAMAILIO_PRESENCE = '/usr/lib/x86_64-linux-gnu/kamailio/modules/presence.so';

function has(bin: string): boolean {
  return spawnSync('sh', ['-c', `command -v ${bin} || test -x /usr/sbin/${bin}`], { stdio: 'ignore' }).status === 0;
}

export function missingPackages(): string[] {
  const missing = new Set<string>();
  for (const { bin, packages } of PEER_PACKAGES) if (!has(bin)) for (const p of packages) missing.add(p);
  if (has('kamailio') && !existsSync(KAMAILIO_PRESENCE)) ['kamailio-presence-modules', 'kamailio-sqlite-modules'].forEach((p) => missing.add(p));
  return [...missing];
}

/**
 * Installs the peers' packages when they are missing and this process may (root, or passwordless
 * sudo); otherwise stops the run at once with the exact command to type.
 */
export function ensurePackages(): void {
  const missing = missingPackages();
  if (missing.length === 0) return;
  const command = `apt-get install -y ${missing.join(' ')}`;
  const root = process.getuid?.() === 0;
  const sudo = !root && spawnSync('sudo', ['-n', 'true'], { stdio: 'ignore' }).status === 0;
  if (!root && !sudo) throw new Error(`the test peers need Debian packages that are missing; run:\n  sudo apt-get update && sudo ${command}`);
  const prefix = root ? [] : ['sudo', '-n'];
  const env = { ...process.env, DEBIAN_FRONTEND: 'noninteractive' };
  console.log(`installing test peers: ${command}`);
  execFileSync(prefix[0] ?? 'apt-get', [...prefix.slice(1), ...(root ? [] : ['apt-get']), 'update'], { stdio: 'inherit', env });
  execFileSync(prefix[0] ?? 'apt-get', [...prefix.slice(1), ...(root ? [] : ['apt-get']), 'install', '-y', ...missing], { stdio: 'inherit', env });
}
