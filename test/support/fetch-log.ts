/**
 * Watches the HTTP requests this process issues with `fetch` to one origin, from the client's
 * side: when each was issued and when its answer arrived. Server-side arrival times cannot tell a
 * request issued after a 429 reached the client from one already on the wire (unavoidable), and
 * under load that gap is hundreds of milliseconds; issue order relative to the answer's arrival
 * can. Wraps the platform's fetch (it observes, it replaces nothing: every request goes out as
 * before); `stop()` puts the original back.
 */
export interface FetchRecord {
  readonly path: string;
  /** Date.now() when fetch was called. */
  readonly issuedAt: number;
  /** Date.now() when the answer's status line and headers arrived (absent while in flight or when it failed). */
  answeredAt?: number;
  status?: number;
  /** Positions in one sequence of this log's events (issue, answer): order even within one millisecond. */
  readonly order: { readonly issued: number; answered?: number };
}

export class FetchLog {
  readonly records: FetchRecord[] = [];
  private readonly original = globalThis.fetch;
  private origin: string;
  private events = 0;

  constructor(origin: string) {
    this.origin = new URL(origin).origin;
    const original = this.original;
    globalThis.fetch = async (input: string | URL | Request, init?: RequestInit): Promise<Response> => {
      const url = new URL(input instanceof Request ? input.url : String(input));
      if (url.origin !== this.origin) return original(input, init);
      const rec: FetchRecord = { path: url.pathname, issuedAt: Date.now(), order: { issued: ++this.events } };
      this.records.push(rec);
      const res = await original(input, init);
      rec.answeredAt = Date.now();
      rec.order.answered = ++this.events;
      rec.status = res.status;
      return res;
    };
  }

  /** Follows the upstream to another origin (a proxy started after the log). */
  watch(origin: string): void {
    this.origin = new URL(origin).origin;
  }

  stop(): void {
    globalThis.fetch = this.original;
  }
}
