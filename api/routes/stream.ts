import type { FastifyInstance } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { HubError } from '../../core/errors.ts';
import { TRIGGER_BACKLOG } from '../../core/trigger/model.ts';
import { ViewStream } from '../../core/watch/view-stream.ts';
import type { RouteContext } from '../app.ts';
import { watcherOf } from '../auth.ts';
import { callerOf } from './triggers.ts';

/**
 * Server-Sent Events: the current view of each watched person first, then a `presence` event per
 * change of a view the key may see, each with `id:` the view's own version (core/watch/view-stream.ts
 * decides what is sent). A client that does not read (its socket buffer grows past the limit) is
 * dropped rather than allowed to grow the hub's memory.
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
        config: { access: ['watcher', 'helpdesk', 'admin'] },
        schema: {
          summary: 'Server-Sent Events of presence changes',
          description:
            'A `presence` event per change of a watched person, the current view first; without `people` (and without `triggers`), everyone the key may see. `triggers=id1,id2`: a `trigger` event (`id:` the firing number, data `{trigger, firing, at, people, seq}`) each time one of these triggers fires (docs/triggers.md); admins may name any trigger, a watcher its own. With `triggers` and no `people`, the stream carries trigger events only. Reconnecting with `Last-Event-ID` to a stream of one trigger alone first replays the firings after that number (the last ' + String(TRIGGER_BACKLOG) + ' are kept); a `trigger-gap` event (data `{trigger, after, fired, lastFiredAt}`, no id) says that firings may have been missed and the client re-reads `GET /v1/triggers/{id}`: when older ones are no longer kept, or when the stream carries several triggers or people too (the id cannot say which trigger it counts).',
          querystring: z.object({
            people: z.string().max(100_000).optional(),
            triggers: z.string().max(10_000).optional().describe('comma-separated trigger ids'),
          }),
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
        const triggerIds = req.query.triggers?.split(',').map((s) => s.trim()).filter(Boolean);
        if (triggerIds !== undefined) {
          // Someone else's trigger is answered as one that does not exist.
          const visible = new Set((await hub.triggers.list(callerOf(principal))).map((t) => t.id));
          const missing = triggerIds.find((id) => !visible.has(id));
          if (missing !== undefined) throw new HubError('HUB_ERR_NOT_FOUND', `triggers: no trigger ${missing}`, { status: 404 });
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
          unsubscribeTriggers();
          perKey.set(principal.name, (perKey.get(principal.name) ?? 1) - 1);
          hub.metrics.streamClients.dec();
          // What this run collected still goes (a server closing ends its streams after the last events).
          if (!res.destroyed) res.end(pending);
          pending = '';
        };
        // Events of one batch of changes (delivered in one synchronous run) go out as one frame:
        // collected here, written once at the end of the run.
        let pending = '';
        let flushQueued = false;
        const tooSlow = (): boolean => {
          if (res.writableLength + pending.length <= cfg.streamBufferBytes) return false;
          log.warn({ key: principal.name, buffered: res.writableLength + pending.length }, 'stream client too slow, dropped');
          pending = '';
          close();
          res.destroy();
          return true;
        };
        const flush = (): void => {
          flushQueued = false;
          if (closed || pending === '') return;
          const chunk = pending;
          pending = '';
          res.write(chunk);
        };
        const write = (chunk: string): void => {
          if (closed) return;
          pending += chunk;
          if (tooSlow()) return;
          if (!flushQueued) {
            flushQueued = true;
            queueMicrotask(flush);
          }
        };
        // The views, their ids and the order are decided in core/watch/view-stream.ts; this is the transport.
        const view = new ViewStream(hub, w, watched, {
          // `data` is the view's JSON, serialized once for every stream that sends this view.
          send: (_v, id, data) => write(`event: presence\nid: ${id}\ndata: ${data}\n\n`),
          // 'drain' comes only after a write that asked for it (writableNeedDrain), never otherwise.
          drained: () => {
            flush();
            return res.writableNeedDrain && !closed ? new Promise((resolve) => res.once('drain', resolve).once('close', resolve)) : Promise.resolve();
          },
          get closed() {
            return closed;
          },
        });
        const unsubscribe = (): void => view.close();
        let unsubscribeTriggers = (): void => undefined;
        const heartbeat = setInterval(() => write(`: heartbeat\n\n`), cfg.heartbeat);
        heartbeat.unref?.();
        streams.add(close);
        req.raw.on('close', close);
        res.on('error', close);

        write(`retry: 2000\n\n`);
        if (triggerIds !== undefined) {
          // A reconnecting EventSource sends the id of the last event it got: the firings missed
          // meanwhile come first (or a trigger-gap event saying to re-read), then the live ones.
          const last = req.headers['last-event-id'];
          const lastEventId = typeof last === 'string' && last.length <= 100 ? last : undefined;
          const off = await hub.triggers.subscribe(
            new Set(triggerIds),
            {
              firing: (f) => write(`event: trigger\nid: ${f.seq}\ndata: ${JSON.stringify(f)}\n\n`),
              // No id: the client's Last-Event-ID stays the last firing it got.
              gap: (g) => write(`event: trigger-gap\ndata: ${JSON.stringify(g)}\n\n`),
            },
            lastEventId !== undefined ? { lastEventId, withPresence: requested !== undefined } : undefined,
          );
          if (closed) off();
          else unsubscribeTriggers = off;
        }
        if (triggerIds === undefined || requested !== undefined) await view.start();
      },
    );
  };
}
