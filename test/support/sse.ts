/** A small SSE client over fetch for tests: `next()` resolves with the next `event` (default `presence`) event's data. */
export async function sseClient(url: string, headers: Record<string, string>, event = 'presence') {
  const ac = new AbortController();
  const res = await fetch(url, { headers, signal: ac.signal });
  if (res.status !== 200) throw new Error(`stream answered ${res.status}: ${await res.text()}`);
  const reader = res.body!.getReader();
  const decoder = new TextDecoder();
  let buffer = '';
  let all = '';
  const events: any[] = [];
  const waiters: ((v: any) => void)[] = [];
  void (async () => {
    try {
      for (;;) {
        const { value, done } = await reader.read();
        if (done) break;
        const text = decoder.decode(value, { stream: true });
        buffer += text;
        all += text;
        let i: number;
        while ((i = buffer.indexOf('\n\n')) >= 0) {
          const block = buffer.slice(0, i);
          buffer = buffer.slice(i + 2);
          const data = block.split('\n').filter((l) => l.startsWith('data: ')).map((l) => l.slice(6)).join('\n');
          if (!block.split('\n').includes(`event: ${event}`) || data === '') continue;
          const parsed = JSON.parse(data);
          const w = waiters.shift();
          if (w) w(parsed);
          else events.push(parsed);
        }
      }
    } catch {
      /* aborted */
    }
  })();
  return {
    next(timeoutMs = 5000): Promise<any> {
      if (events.length > 0) return Promise.resolve(events.shift());
      return new Promise((resolve, reject) => {
        const t = setTimeout(() => {
          const idx = waiters.indexOf(resolve);
          if (idx >= 0) waiters.splice(idx, 1);
          reject(new Error('timed out waiting for an event'));
        }, timeoutMs);
        waiters.push((v) => {
          clearTimeout(t);
          resolve(v);
        });
      });
    },
    raw: () => all,
    close: () => ac.abort(),
  };
}

/** One SSE event as the stream sent it: `event`, `id` (absent when the event had none) and `data` parsed. */
export interface SseEvent {
  readonly event: string;
  readonly id?: string;
  readonly data: any;
}

/** An SSE client that keeps every event of every type in `events`, in order (`lastEventId` sent as Last-Event-ID). */
export async function sseLog(url: string, headers: Record<string, string>, lastEventId?: string): Promise<{ events: SseEvent[]; close: () => void }> {
  const ac = new AbortController();
  const res = await fetch(url, { headers: { ...headers, ...(lastEventId !== undefined ? { 'last-event-id': lastEventId } : {}) }, signal: ac.signal });
  if (res.status !== 200) throw new Error(`stream answered ${res.status}: ${await res.text()}`);
  const reader = res.body!.getReader();
  const decoder = new TextDecoder();
  const events: SseEvent[] = [];
  let buffer = '';
  void (async () => {
    try {
      for (;;) {
        const { value, done } = await reader.read();
        if (done) break;
        buffer += decoder.decode(value, { stream: true });
        let i: number;
        while ((i = buffer.indexOf('\n\n')) >= 0) {
          const lines = buffer.slice(0, i).split('\n');
          buffer = buffer.slice(i + 2);
          const field = (name: string) => lines.find((l) => l.startsWith(`${name}: `))?.slice(name.length + 2);
          const event = field('event');
          const data = lines.filter((l) => l.startsWith('data: ')).map((l) => l.slice(6)).join('\n');
          if (event === undefined || data === '') continue;
          const id = field('id');
          events.push({ event, ...(id !== undefined ? { id } : {}), data: JSON.parse(data) });
        }
      }
    } catch {
      /* aborted */
    }
  })();
  return { events, close: () => ac.abort() };
}
