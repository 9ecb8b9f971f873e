import { useEffect, useState } from 'preact/hooks';
import { api, canExplain, enc, type Entry, type View, type Who } from './api.ts';
import { useStore } from './hooks.ts';
import { activityText, duration, FeedMark, fmtTime, Indicator, Likely } from './presence.tsx';
import { backToBoard } from './router.ts';
import type { PresenceStore } from './store.ts';
import { Table } from './table.tsx';
import { localTime } from './time.ts';

interface SummaryPart {
  kind: string;
  template: string;
  text: string;
  at?: string;
  from?: string;
  until?: string;
}
interface Explain {
  at: string;
  rule: string;
  summary: string;
  summaryParts: SummaryPart[];
  degraded: { id: string; kind: string; state: string; since?: string }[];
  judgement: { availability: number; class: string; activity: { token: string; text: string }; nextBoundary: string | null };
  registers: {
    source: string;
    endpoint: string;
    category: string;
    availability?: number;
    activity?: { token?: string; text?: string };
    machineState?: string;
    publishedAt: string;
    verdict: string;
    reason: string;
    decided: string[];
  }[];
}
interface TimelineEntry {
  at: string;
  type: 'change' | 'signal';
  presence?: View;
  outcome?: string;
  signal?: { source: string; endpoint: string; category: string; availability?: number; activity?: { token?: string; text?: string }; machineState?: string };
}
type Failure = { status?: number; message: string };

const MACHINE_WORDS: Record<string, string> = { active: 'In use', inactive: 'Idle', away: 'Away', unknown: 'Unknown', off: 'Signed off' };


/** "just now", "40 s ago", "2 min ago", "3 h ago", "2 d ago" (as the hub words it). */
function ago(iso: string, now: number): string {
  const s = Math.max(0, Math.floor((now - Date.parse(iso)) / 1000));
  if (s < 5) return 'just now';
  if (s < 60) return `${s} s ago`;
  const m = Math.floor(s / 60);
  if (m < 60) return `${m} min ago`;
  const h = Math.floor(m / 60);
  return h < 48 ? `${h} h ago` : `${Math.floor(h / 24)} d ago`;
}

/** A phrase of the explanation with its times in the reader's zone (the API sends instants). */
function phrase(p: SummaryPart, now: number) {
  const pieces = p.template.split(/(\{until\}|\{from\}|\{at\}|\{ago\})/);
  return pieces.map((x) => {
    const iso = x === '{until}' ? p.until : x === '{from}' ? p.from : x === '{at}' ? p.at : undefined;
    if (iso !== undefined) return <time dateTime={iso}>{localTime(iso, now)}</time>;
    if (x === '{ago}' && p.at !== undefined) return <time dateTime={p.at}>{ago(p.at, now)}</time>;
    return x;
  });
}

/** What a failed call says to a person: never the browser's "Failed to fetch". */
function failureText(f: Failure): string {
  if (f.status === undefined) return 'The hub did not answer: it may be restarting, or the network is down.';
  if (f.status === 401) return 'You are signed out. Sign in again to see this page.';
  if (f.status === 403) return 'Your key may not see this.';
  if (f.status >= 500) return `The hub had a problem answering (${f.status}).`;
  return f.message;
}
const failure = (e: Error & { status?: number }): Failure => ({ ...(e.status !== undefined ? { status: e.status } : {}), message: e.message });

function Retry({ what, f, onRetry }: { what: string; f: Failure; onRetry: () => void }) {
  return (
    <p class="fetch-failed" role="alert">
      Could not load {what}. {failureText(f)}
      <button type="button" onClick={onRetry}>
        Try again
      </button>
    </p>
  );
}

/** One person: the current view for everyone; for admins and the helpdesk, why in plain words, the changes, and the raw signals on demand. */
export function Person({ id, who, store, now }: { id: string; who: Who; store: PresenceStore; now: number }) {
  useStore(store);
  const [attempt, setAttempt] = useState(0);
  const [entry, setEntry] = useState<Entry | undefined>();
  const [error, setError] = useState<Failure | undefined>();
  const [explain, setExplain] = useState<Explain | undefined>();
  const [explainError, setExplainError] = useState<Failure | undefined>();
  const [timeline, setTimeline] = useState<TimelineEntry[]>([]);
  const [fetched, setFetched] = useState<(View & { confidence?: number }) | undefined>();
  // The live view from the stream; until it has arrived, the one fetched.
  const view = store.views.get(id) ?? fetched;
  const explains = canExplain(who);

  useEffect(() => {
    setError(undefined);
    api<Entry>(`/v1/people/${enc(id)}`).then(setEntry, (e: Error & { status?: number }) => setError(failure(e)));
  }, [id, attempt]);
  // The fetched view (with its confidence), the explanation and timeline follow the live view: fetched again at each new version.
  useEffect(() => {
    api<View>(`/v1/presence/${enc(id)}`).then(setFetched, () => undefined);
    if (!explains) return;
    api<Explain>(`/v1/presence/${enc(id)}/explain`).then(
      (x) => {
        setExplain(x);
        setExplainError(undefined);
      },
      (e: Error & { status?: number }) => setExplainError(failure(e)),
    );
    api<{ entries: TimelineEntry[] }>(`/v1/presence/${enc(id)}/timeline`).then((t) => setTimeline(t.entries), () => undefined);
  }, [id, explains, view?.version, attempt]);

  if (error !== undefined) {
    return (
      <section class="person not-found" aria-labelledby="person-missing">
        <h2 id="person-missing">{error.status === 404 ? 'Person not found' : 'This person cannot be shown right now'}</h2>
        {error.status === 404 ? (
          <p>
            No one in the directory has the id <code>{id}</code>. They may have left, or the link is mistyped.
          </p>
        ) : (
          <Retry what="this person" f={error} onRetry={() => setAttempt(attempt + 1)} />
        )}
        <p>
          <a href="/" onClick={backToBoard}>
            ← Back to the board
          </a>
        </p>
      </section>
    );
  }
  const changes = timeline.filter((t) => t.type === 'change' && t.presence !== undefined);
  const signals = timeline.filter((t) => t.type === 'signal');
  const confidence = fetched !== undefined && view?.version === fetched.version ? fetched.confidence : undefined;
  return (
    <section class="person" aria-labelledby="person-name">
      <p>
        <a href="/" onClick={backToBoard}>
          ← Board
        </a>
      </p>
      <h2 id="person-name">{entry?.name ?? id}</h2>
      <div class="card current" aria-live="polite">
        {view === undefined ? (
          <p>No presence seen yet.</p>
        ) : (
          <dl>
            <dt>Status</dt>
            <dd>
              <Indicator cls={view.class} /> <Likely confidence={confidence} cls={view.class} />
            </dd>
            {activityText(view) !== '' && [<dt>Activity</dt>, <dd class="activity">{activityText(view)}</dd>]}
            <dt>In this state for</dt>
            <dd>{duration(view.since, now)}</dd>
            {view.machineState !== undefined && [<dt>Computer</dt>, <dd>{MACHINE_WORDS[view.machineState] ?? view.machineState}</dd>]}
            {view.lastActive !== undefined && [<dt>Last active</dt>, <dd>{fmtTime(view.lastActive)}</dd>]}
            {entry?.teams !== undefined && [<dt>Teams</dt>, <dd>{entry.teams.join(', ')}</dd>]}
            {entry?.identities !== undefined && [<dt>Identities</dt>, <dd>{entry.identities.join(' · ')}</dd>]}
            {explain !== undefined && explain.degraded.length > 0 && [
              <dt>Out of date?</dt>,
              <dd class="degraded">
                <FeedMark connectors={explain.degraded.map((d) => d.id)} /> failing
                {explain.degraded[0]!.since !== undefined && (
                  <>
                    {' '}
                    since <time dateTime={explain.degraded[0]!.since}>{localTime(explain.degraded[0]!.since, now)}</time>
                  </>
                )}
                : what it said about {entry?.name ?? id} may be old.
              </dd>,
            ]}
          </dl>
        )}
      </div>
      {explains && explainError !== undefined && explain === undefined && <Retry what="the explanation" f={explainError} onRetry={() => setAttempt(attempt + 1)} />}
      {explains && explain !== undefined && (
        <div class="card explain" aria-labelledby="why-title">
          <h3 id="why-title">Why</h3>
          <p class="why-summary" data-summary={explain.summary}>
            {explain.summaryParts.map((p) => (
              <span class={`part part-${p.kind}`}>{phrase(p, now)}</span>
            ))}
          </p>
          <details class="raw">
            <summary>Signals and rules (for engineers)</summary>
            <p>
              Rule: <strong class="rule">{explain.rule}</strong>
              {explain.judgement.nextBoundary !== null && <> · re-evaluated at {fmtTime(explain.judgement.nextBoundary)}</>}
            </p>
            <Table caption="Signals seen and what became of them" hiddenCaption scroll columns={['Source / endpoint', 'Category', 'State', 'What the rules did']}>
              <tbody>
                {explain.registers.map((r) => (
                  <tr class={r.verdict}>
                    <td>
                      {r.source} / {r.endpoint}
                    </td>
                    <td>{r.category}</td>
                    <td>{[r.availability, r.machineState, r.activity?.token, r.activity?.text].filter((x) => x !== undefined).join(' · ')}</td>
                    <td>
                      <code>{r.verdict}</code>: {r.reason}
                      {r.decided.length > 0 && <strong> (decided {r.decided.join(' and ')})</strong>}
                    </td>
                  </tr>
                ))}
              </tbody>
            </Table>
            {explain.registers.length === 0 && <p>No signals: the person is offline.</p>}
            {signals.length > 0 && (
              <>
                <h4>Recent signals</h4>
                <ol class="signals">
                  {signals.map((t) => (
                    <li class="signal">
                      <time dateTime={t.at}>{fmtTime(t.at)}</time> {t.signal?.source}/{t.signal?.endpoint} {t.signal?.category}{' '}
                      {[t.signal?.availability, t.signal?.machineState, t.signal?.activity?.token, t.signal?.activity?.text].filter((x) => x !== undefined).join(' · ')} ({t.outcome})
                    </li>
                  ))}
                </ol>
              </>
            )}
          </details>
        </div>
      )}
      {explains && (
        <div class="card timeline" aria-labelledby="changes-title">
          <h3 id="changes-title">Changes</h3>
          <p class="note">The last 50 changes and signals per person, kept by the hub (for a week without news); newest first.</p>
          {changes.length === 0 ? (
            <p>No change recorded yet.</p>
          ) : (
            <ol class="changes">
              {changes.map((t, i) => {
                // Newest first: each state lasted until the change above it; the newest lasts until now.
                const until = i === 0 ? now : Date.parse(changes[i - 1]!.at);
                return (
                  <li class="change">
                    <time dateTime={t.at}>{localTime(t.at, now)}</time>
                    <Indicator cls={t.presence!.class} />
                    {activityText(t.presence!) !== '' && <span class="activity">{activityText(t.presence!)}</span>}
                    <span class="for">{i === 0 ? `for ${duration(t.at, until)} so far` : `for ${duration(t.at, until)}`}</span>
                  </li>
                );
              })}
            </ol>
          )}
        </div>
      )}
    </section>
  );
}
