/**
 * Test peers for the SIP family: a real Kamailio 5.6 presence server (modules presence,
 * presence_xml, presence_dialoginfo; throwaway SQLite database) on a free loopback port, and sipp
 * (package sip-tester) runs of scenario files. Used by the interop tests only.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import dgram from 'node:dgram';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import net from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const INSTALL = 'apt-get install -y kamailio kamailio-presence-modules kamailio-sqlite-modules sip-tester sqlite3';

function need(bin: string, file: string): void {
  if (!existsSync(file)) throw new Error(`${bin} is missing (${file}); install it with: ${INSTALL}`);
}

/** A port free for both UDP and TCP on 127.0.0.1. */
export async function freePort(): Promise<number> {
  for (let i = 0; i < 20; i++) {
    const srv = net.createServer();
    const port = await new Promise<number>((resolve) => srv.listen(0, '127.0.0.1', () => resolve((srv.address() as net.AddressInfo).port)));
    const udp = dgram.createSocket('udp4');
    const ok = await new Promise<boolean>((resolve) => {
      udp.once('error', () => resolve(false));
      udp.bind(port, '127.0.0.1', () => resolve(true));
    });
    await new Promise<void>((r) => srv.close(() => r()));
    if (ok) {
      await new Promise<void>((r) => udp.close(() => r()));
      return port;
    }
  }
  throw new Error('no free port pair found');
}

const MODULES = '/usr/lib/x86_64-linux-gnu/kamailio/modules/';

export interface KamailioPeer {
  readonly port: number;
  readonly uri: string;
  readonly log: () => string;
  stop(): Promise<void>;
  /** SIGKILL: no shutdown at all (a crash); the throwaway directory is removed. */
  kill(): Promise<void>;
}

/**
 * Starts Kamailio; `port` reuses a port (a restart test), else a free one is picked. `cleanPeriod`
 * (seconds) sets the presence module's sweep of expired publications (default 100 s); the
 * presence_dialoginfo settings stay at their defaults.
 */
export async function startKamailio(opts: { port?: number; cleanPeriod?: number } = {}): Promise<KamailioPeer> {
  need('kamailio', '/usr/sbin/kamailio');
  need('kamailio-presence-modules', `${MODULES}presence_dialoginfo.so`);
  need('kamailio-sqlite-modules', `${MODULES}db_sqlite.so`);
  need('sqlite3', '/usr/bin/sqlite3');
  const dir = mkdtempSync(join(tmpdir(), 'hub-kamailio-'));
  const db = join(dir, 'presence.sqlite');
  for (const f of ['standard-create.sql', 'presence-create.sql']) {
    const r = spawnSync('sh', ['-c', `sqlite3 '${db}' < /usr/share/kamailio/db_sqlite/${f}`]);
    if (r.status !== 0) throw new Error(`creating the Kamailio database failed: ${r.stderr.toString()}`);
  }
  const port = opts.port ?? (await freePort());
  const cfg = join(dir, 'kamailio.cfg');
  writeFileSync(
    cfg,
    `#!KAMAILIO
debug=2
log_stderror=yes
children=2
listen=udp:127.0.0.1:${port}
listen=tcp:127.0.0.1:${port}
mpath="${MODULES}"
loadmodule "db_sqlite.so"
loadmodule "tm.so"
loadmodule "sl.so"
loadmodule "maxfwd.so"
loadmodule "textops.so"
loadmodule "presence.so"
loadmodule "presence_xml.so"
loadmodule "presence_dialoginfo.so"
modparam("presence|presence_xml", "db_url", "sqlite://${db}")
modparam("presence", "subs_db_mode", 0)
modparam("presence", "publ_cache", 2)
modparam("presence", "server_address", "sip:127.0.0.1:${port}")
modparam("presence_xml", "force_active", 1)
${opts.cleanPeriod !== undefined ? `modparam("presence", "clean_period", ${opts.cleanPeriod})\n` : ''}request_route {
  if (!mf_process_maxfwd_header("10")) { sl_send_reply("483","Too Many Hops"); exit; }
  if (!is_method("PUBLISH|SUBSCRIBE")) { sl_send_reply("405","Method Not Allowed"); exit; }
  if (!t_newtran()) { sl_reply_error(); exit; }
  if (is_method("PUBLISH")) { handle_publish(); } else { handle_subscribe(); }
  t_release(); exit;
}
`,
  );
  let out = '';
  // Its own process group, so that kill() ends the main process and its children at once (a crash).
  const child: ChildProcess = spawn('/usr/sbin/kamailio', ['-f', cfg, '-DD', '-E', '-m', '128', '-M', '16', '-P', join(dir, 'kamailio.pid')], { cwd: dir, stdio: ['ignore', 'pipe', 'pipe'], detached: true });
  child.stdout?.on('data', (b: Buffer) => (out += b.toString()));
  child.stderr?.on('data', (b: Buffer) => (out += b.toString()));
  // Ready when the TCP listener accepts.
  const t0 = Date.now();
  for (;;) {
    if (child.exitCode !== null) throw new Error(`kamailio exited with ${child.exitCode}:\n${out.slice(-2000)}`);
    if (await listening(port)) break;
    if (Date.now() - t0 > 15_000) {
      child.kill('SIGKILL');
      throw new Error(`kamailio did not listen within 15 s:\n${out.slice(-2000)}`);
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  return {
    port,
    uri: `sip:127.0.0.1:${port}`,
    log: () => out,
    async stop() {
      if (child.exitCode === null) {
        const exited = new Promise<void>((r) => child.once('exit', () => r()));
        child.kill('SIGTERM');
        const t = setTimeout(() => {
          try {
            process.kill(-child.pid!, 'SIGKILL');
          } catch {
            // already gone
          }
        }, 5000);
        await exited;
        clearTimeout(t);
      }
      rmSync(dir, { recursive: true, force: true });
    },
    async kill() {
      if (child.exitCode === null && child.signalCode === null) {
        const exited = new Promise<void>((r) => child.once('exit', () => r()));
        process.kill(-child.pid!, 'SIGKILL');
        await exited;
      }
      // The children die with the group; wait until the port is free again.
      for (let i = 0; i < 50 && (await listening(port)); i++) await new Promise((r) => setTimeout(r, 100));
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

/** Whether something accepts TCP connections on 127.0.0.1:port. */
function listening(port: number): Promise<boolean> {
  return new Promise<boolean>((resolve) => {
    const s = net.connect(port, '127.0.0.1', () => {
      s.destroy();
      resolve(true);
    });
    s.once('error', () => resolve(false));
  });
}

/** Runs a sipp scenario against `target` (host:port); resolves with its exit code and output. */
export async function runSipp(scenarioXml: string, target: string, opts: { transport?: 'u1' | 't1'; timeoutS?: number; calls?: number } = {}): Promise<{ code: number | null; output: string }> {
  need('sipp (package sip-tester)', '/usr/bin/sipp');
  const dir = mkdtempSync(join(tmpdir(), 'hub-sipp-'));
  const file = join(dir, 'scenario.xml');
  writeFileSync(file, scenarioXml);
  const port = await freePort();
  const args = ['-sf', file, '-m', String(opts.calls ?? 1), '-i', '127.0.0.1', '-p', String(port), '-t', opts.transport ?? 'u1', '-timeout', `${opts.timeoutS ?? 15}s`, '-timeout_error', '-nostdin', '-trace_err', '-error_file', join(dir, 'err.log'), target];
  const child = spawn('/usr/bin/sipp', args, { cwd: dir, stdio: ['ignore', 'pipe', 'pipe'] });
  let output = '';
  child.stdout.on('data', (b: Buffer) => (output += b.toString()));
  child.stderr.on('data', (b: Buffer) => (output += b.toString()));
  const code = await new Promise<number | null>((r) => child.once('exit', (c) => r(c)));
  try {
    output += spawnSync('cat', [join(dir, 'err.log')]).stdout.toString();
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
  return { code, output };
}

/** A sipp scenario that PUBLISHes one body and expects 200 (RFC 3903 section 4.1). */
export function publishScenario(o: { aor: string; event: 'presence' | 'dialog'; contentType: string; body: string }): string {
  return `<?xml version="1.0" encoding="ISO-8859-1" ?>
<scenario name="publish">
  <send retrans="500">
    <![CDATA[
PUBLISH ${o.aor} SIP/2.0
Via: SIP/2.0/[transport] [local_ip]:[local_port];branch=[branch]
Max-Forwards: 70
From: <${o.aor}>;tag=[pid]SIPp[call_number]
To: <${o.aor}>
Call-ID: [call_id]
CSeq: 1 PUBLISH
Event: ${o.event}
Expires: 600
Content-Type: ${o.contentType}
Content-Length: [len]

${o.body}
    ]]>
  </send>
  <recv response="200"/>
</scenario>
`;
}

/** A sipp watcher: SUBSCRIBE, 200, then a NOTIFY whose body must match `expect` (a regular expression). */
export function watchScenario(o: { aor: string; expect: string }): string {
  return `<?xml version="1.0" encoding="ISO-8859-1" ?>
<scenario name="watch">
  <send retrans="500">
    <![CDATA[
SUBSCRIBE ${o.aor} SIP/2.0
Via: SIP/2.0/[transport] [local_ip]:[local_port];branch=[branch]
Max-Forwards: 70
From: <sip:sipp-watcher@example.com>;tag=[pid]SIPp[call_number]
To: <${o.aor}>
Call-ID: [call_id]
CSeq: 1 SUBSCRIBE
Contact: <sip:sipp@[local_ip]:[local_port]>
Event: presence
Accept: application/pidf+xml
Expires: 60
Content-Length: 0

    ]]>
  </send>
  <recv response="200"/>
  <recv request="NOTIFY">
    <action>
      <ereg regexp="${o.expect}" search_in="body" check_it="true" assign_to="found"/>
    </action>
  </recv>
  <send>
    <![CDATA[
SIP/2.0 200 OK
[last_Via:]
[last_From:]
[last_To:]
[last_Call-ID:]
[last_CSeq:]
Content-Length: 0

    ]]>
  </send>
  <Reference variables="found"/>
</scenario>
`;
}
