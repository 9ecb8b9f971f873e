import { parseArgs } from 'node:util';
import { manifestsByKind } from '../connectors/index.ts';
import { loadConfigFile } from '../core/config/load.ts';
import { errorMessage } from '../core/errors.ts';
import { startHub } from './server.ts';

const USAGE = `presence-hub: enterprise presence connector hub

  presence-hub start [--config hub.yaml]     run the hub (no config: demo mode, embedded)
  presence-hub validate <hub.yaml>           check a configuration and exit
  presence-hub explain <person> [--url U]    why a person shows what they show (admin key in PRESENCE_HUB_KEY)

Environment: HUB_CONFIG (configuration file), PORT, REDIS_URL (Redis mode), NODE_ID, LOG_LEVEL.`;

export async function main(argv: string[]): Promise<number> {
  const { values, positionals } = parseArgs({
    args: argv,
    allowPositionals: true,
    options: { config: { type: 'string', short: 'c' }, url: { type: 'string' }, help: { type: 'boolean', short: 'h' } },
  });
  const [cmd, arg] = positionals;
  if (values.help === true || cmd === undefined) {
    console.log(USAGE);
    return cmd === undefined && values.help !== true ? 2 : 0;
  }
  switch (cmd) {
    case 'start': {
      const running = await startHub(values.config !== undefined ? { configFile: values.config } : {});
      const stop = (signal: string): void => {
        running.hub.deps.log.info({ signal }, 'shutting down');
        void running.close().then(() => process.exit(0));
      };
      process.once('SIGTERM', () => stop('SIGTERM'));
      process.once('SIGINT', () => stop('SIGINT'));
      return -1;
    }
    case 'validate': {
      if (arg === undefined) {
        console.error('usage: presence-hub validate <hub.yaml>');
        return 2;
      }
      const loaded = loadConfigFile(arg, { manifests: manifestsByKind });
      console.log(`${arg}: valid (${loaded.people.length} people, ${loaded.config.connectors.length} connectors, ${loaded.config.auth.keys.length} keys)`);
      return 0;
    }
    case 'explain': {
      if (arg === undefined) {
        console.error('usage: presence-hub explain <person> [--url http://127.0.0.1:8080]');
        return 2;
      }
      const url = values.url ?? `http://127.0.0.1:${process.env.PORT ?? 8080}`;
      const key = process.env.PRESENCE_HUB_KEY;
      const res = await fetch(`${url}/v1/presence/${encodeURIComponent(arg)}/explain`, { headers: key ? { authorization: `Bearer ${key}` } : {} });
      const body = await res.text();
      if (!res.ok) {
        console.error(`${res.status}: ${body}`);
        return 1;
      }
      const e = JSON.parse(body) as { presence: { class: string; activity: { text: string } }; rule: string; summary?: string; registers: { source: string; endpoint: string; category: string; verdict: string; reason: string }[] };
      console.log(`${arg}: ${e.presence.class} (${e.presence.activity.text})\nrule: ${e.rule}`);
      for (const r of e.registers) console.log(`  ${r.verdict.padEnd(20)} ${r.source}/${r.endpoint} ${r.category}: ${r.reason}`);
      if (e.summary !== undefined) console.log(`in words: ${e.summary}`);
      return 0;
    }
    default:
      console.error(`unknown command ${cmd}\n\n${USAGE}`);
      return 2;
  }
}

main(process.argv.slice(2)).then(
  (code) => {
    if (code >= 0) process.exit(code);
  },
  (e: unknown) => {
    console.error(errorMessage(e));
    process.exit(1);
  },
);
