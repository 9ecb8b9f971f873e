/**
 * Opens the event stream at `url` and calls `onEvent` with the lines of each event (the text between
 * blank lines) as they arrive, `onText` with the raw text; resolves once the stream answered 200, with
 * the function that closes it.
 */
async function openStream(url: string, headers: Record<string, string>, onEvent: (lines: readonly string[]) => void, onText?: (text: string) => void): Promise<() => void> {
  const ac = new AbortController();
  const res = await fetch(url, { headers, signal: ac.signal });
  if (res.status !== 200) throw new Error(`stream answered ${res.status}: ${await res.text()}`);
  const reader = res.body!.getReader();
  const decoder = new TextDecoder();
  let buffer = '';
  void (async () => {
    try {
      for (;;) {
        const { value, done } = await reader.read();
        if (done) break;
        const text = decoder.decode(value, { stream: true });
        buffer += text;
        onText?.(text);
        let i: number;
        while ((i = buffer.indexOf('\n\n')) >= 0) {
          const lines = buffer.slice(0, i).split('\n');
          buffer = buffer.slice(i + 2);
          onEvent(lines);
        }
      }
    } catch {
      /* aborted */
    }
  })();
  return () => ac.abort();
}

const dataOf = (lines: readonly string[]): string => lines.filter((l) => l.startsWith('data: ')).map((l) => l.slice(6)).join('\n');

/** A small SSE client over fetch for tests: `next()` resolves with the next `event` (default `presence`) event's data. */
export async function sseClient(url: string, headers: Record<string, string>, event = 'presence') {
  let all = '';
  const events: any[] = [];
  const waiters: ((v: any) => void)[] = [];
  const close = await openStream(
    url,
    headers,
    (lines) => {
      const data = dataOf(lines);
      if (!lines.includes(`event: ${event}`) || data === '') return;
      const parsed = JSON.parse(data);
      const w = waiters.shift();
      if (w) w(parsed);
      else events.push(parsed);
    },
    (text) => {
      all += text;
    },
  );
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
    close,
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
  const events: SseEvent[] = [];
  const close = await openStream(url, { ...headers, ...(lastEventId !== undefined ? { 'last-event-id': lastEventId } : {}) }, (lines) => {
    const field = (name: string) => lines.find((l) => l.startsWith(`${name}: `))?.slice(name.length + 2);
    const event = field('event');
    const data = dataOf(lines);
    if (event === undefined || data === '') return;
    const id = field('id');
    events.push({ event, ...(id !== undefined ? { id } : {}), data: JSON.parse(data) });
  });
  return { events, close };
}
