import type { FastifyInstance } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { z } from 'zod';
import type { Presence } from '../../core/model/presence.ts';
import { HubError } from '../../core/util/errors.ts';
import { viewChange, watcherView } from '../../core/watch/watchers.ts';
import type { RouteContext } from '../app.ts';
import { watcherOf } from '../auth.ts';

/**
 * Server-Sent Events: the current view of each watched person first, then a `presence` event per
 * change of a view the key may see. A client that does not read (its socket buffer grows past the
 * limit) is dropped rather than allowed to grow the hub's memory.
 */
export function streamRoutes({ hub, loaded, log }: RouteContext) {
  const cfg = loaded.config.server;
  const perKey = new Map<string, number>();
  const streams = new Set<() => void>();
  return async (app: FastifyInstance): Promise<void> => {
    // A hijacked stream never ends by itself: end every one when the server closes, else close() waits for the clients.
    app.addHook('preClose', async () => {
      for (const close of [...streams]) close();
    });
    app.withTypeProvider<ZodTypeProvider>().get(
      '/v1/stream',
      {
        config: { access: ['watcher', 'admin'] },
        schema: {
          summary: 'Server-Sent Events of presence changes',
          description: 'A `presence` event per change of a watched person, the current view first; without `people`, everyone the key may see.',
          querystring: z.object({ people: z.string().max(100_000).optional() }),
        },
      },
      async (req, reply) => {
        const principal = req.principal!;
        const dir = hub.directory;
        const requested = req.query.people?.split(',').map((s) => s.trim()).filter(Boolean);
        if (requested !== undefined) {
          const unknown = requested.find((p) => !dir.has(p));
          if (unknown !== undefined) throw new HubError('HUB_ERR_NOT_FOUND', `people: unknown person ${unknown}`, { status: 404 });
        }
        const open = perKey.get(principal.name) ?? 0;
        if (open >= cfg.maxStreamsPerKey) {
          throw new HubError('HUB_ERR_TOO_MANY_STREAMS', `key ${principal.name} already has ${open} open streams (limit ${cfg.maxStreamsPerKey})`, {
            status: 429,
            kind: 'throttled',
            retryAfterMs: 5000,
          });
        }
        perKey.set(principal.name, open + 1);
        hub.metrics.streamClients.inc();
        const watched = requested === undefined ? undefined : new Set(requested);
        const w = watcherOf(principal);

        reply.hijack();
        // The idle timeout of ordinary requests (server.requestTimeout) would cut a quiet stream between
        // two heartbeats; a stream is idle for at most one heartbeat, so allow two.
        req.raw.socket.setTimeout(Math.max(cfg.requestTimeout, 2 * cfg.heartbeat));
        const res = reply.raw;
        res.writeHead(200, {
          'content-type': 'text/event-stream; charset=utf-8',
          'cache-control': 'no-cache, no-transform',
          connection: 'keep-alive',
          'x-accel-buffering': 'no',
        });
        let closed = false;
        const close = (): void => {
          if (closed) return;
          closed = true;
          streams.delete(close);
          clearInterval(heartbeat);
          unsubscribe();
          perKey.set(principal.name, (perKey.get(principal.name) ?? 1) - 1);
          hub.metrics.streamClients.dec();
          if (!res.destroyed) res.end();
        };
        const write = (chunk: string): void => {
          if (closed) return;
          if (res.writableLength > cfg.streamBufferBytes) {
            log.warn({ key: principal.name, buffered: res.writableLength }, 'stream client too slow, dropped');
            close();
            res.destroy();
            return;
          }
          res.write(chunk);
        };
        const event = (data: unknown, id: number | undefined): void => {
          write(`event: presence\n${id === undefined ? '' : `id: ${id}\n`}data: ${JSON.stringify(data)}\n\n`);
        };
        // Changes that arrive while the current views are being sent wait, then go if newer.
        let backlog: [Presence | undefined, Presence][] | undefined = [];
        const onChange = (prev: Presence | undefined, next: Presence): void => {
          if (watched !== undefined && !watched.has(next.person)) return;
          const d = hub.directory;
          if (!d.has(next.person)) return;
          const v = viewChange(d, w, prev, next);
          if (v !== undefined) event(v, v.version);
        };
        const unsubscribe = hub.onChange((prev, next) => (backlog !== undefined ? backlog.push([prev, next]) : onChange(prev, next)));
        const heartbeat = setInterval(() => write(`: heartbeat\n\n`), cfg.heartbeat);
        heartbeat.unref?.();
        streams.add(close);
        req.raw.on('close', close);
        res.on('error', close);

        write(`retry: 2000\n\n`);
        const people = watched !== undefined ? [...watched] : [...dir.ids()];
        const CHUNK = 2000;
        const sent = new Map<string, Presence>();
        for (let i = 0; i < people.length && !closed; i += CHUNK) {
          for (const p of await hub.presence(people.slice(i, i + CHUNK))) {
            sent.set(p.person, p);
            event(watcherView(dir, w, p), p.version);
          }
          // The first views of a large directory (10 000 people, ~2.5 MB) would pass the slow-client
          // limit in one go: let the client read each chunk before writing the next.
          // 'drain' comes only after a write that asked for it (writableNeedDrain), never otherwise.
          if (res.writableNeedDrain && !closed) await new Promise((resolve) => res.once('drain', resolve).once('close', resolve));
        }
        const waiting = backlog;
        backlog = undefined;
        for (const [, next] of waiting) {
          const first = sent.get(next.person);
          if (first !== undefined && next.version <= first.version) continue;
          onChange(first, next);
          sent.set(next.person, next);
        }
      },
    );
  };
}
