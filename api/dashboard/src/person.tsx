import { useEffect, useState } from 'preact/hooks';
import { api, canExplain, enc, type Entry, type View, type Who } from './api.ts';
import { useStore } from './hooks.ts';
import { activityText, duration, fmtTime, Indicator } from './presence.tsx';
import type { PresenceStore } from './store.ts';

interface Explain {
  rule: string;
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

/** One person: the current view for everyone; for admins the explanation and the recent timeline. */
export function Person({ id, who, store, now }: { id: string; who: Who; store: PresenceStore; now: number }) {
  useStore(store);
  const [entry, setEntry] = useState<Entry | undefined>();
  const [error, setError] = useState<{ status?: number; message: string } | undefined>();
  const [explain, setExplain] = useState<Explain | undefined>();
  const [timeline, setTimeline] = useState<TimelineEntry[]>([]);
  const [fetched, setFetched] = useState<View | undefined>();
  // The live view from the stream; until it has arrived, the one fetched once.
  const view = store.views.get(id) ?? fetched;
  const admin = canExplain(who);

  useEffect(() => {
    setError(undefined);
    api<Entry>(`/v1/people/${enc(id)}`).then(setEntry, (e: Error & { status?: number }) => setError({ ...(e.status !== undefined ? { status: e.status } : {}), message: e.message }));
    api<View>(`/v1/presence/${enc(id)}`).then(setFetched, () => undefined);
  }, [id]);
  // The explanation and timeline follow the live view: fetched again at each new version.
  useEffect(() => {
    if (!admin) return;
    api<Explain>(`/v1/presence/${enc(id)}/explain`).then(setExplain, () => undefined);
    api<{ entries: TimelineEntry[] }>(`/v1/presence/${enc(id)}/timeline`).then((t) => setTimeline(t.entries), () => undefined);
  }, [id, admin, view?.version]);

  if (error !== undefined) {
    return (
      <section class="person not-found" aria-labelledby="person-missing">
        <h2 id="person-missing">{error.status === 404 ? 'Person not found' : 'This person cannot be shown'}</h2>
        <p>
          {error.status === 404 ? (
            <>
              No one in the directory has the id <code>{id}</code>. They may have left, or the link is mistyped.
            </>
          ) : (
            <>The hub did not answer ({error.message}). The page will show the person once it does; try again in a moment.</>
          )}
        </p>
        <p>
          <a href="/">← Back to the board</a>
        </p>
      </section>
    );
  }
  return (
    <section class="person" aria-labelledby="person-name">
      <p>
        <a href="/">← Board</a>
      </p>
      <h2 id="person-name">{entry?.name ?? id}</h2>
      <div class="card current" aria-live="polite">
        {view === undefined ? (
          <p>No presence seen yet.</p>
        ) : (
          <dl>
            <dt>Status</dt>
            <dd>
              <Indicator cls={view.class} />
            </dd>
            {activityText(view) !== '' && [<dt>Activity</dt>, <dd class="activity">{activityText(view)}</dd>]}
            <dt>In this state for</dt>
            <dd>{duration(view.since, now)}</dd>
            {view.machineState !== undefined && [<dt>Machine</dt>, <dd>{view.machineState}</dd>]}
            {view.lastActive !== undefined && [<dt>Last active</dt>, <dd>{fmtTime(view.lastActive)}</dd>]}
            {entry?.teams !== undefined && [<dt>Teams</dt>, <dd>{entry.teams.join(', ')}</dd>]}
            {entry?.identities !== undefined && [<dt>Identities</dt>, <dd>{entry.identities.join(' · ')}</dd>]}
          </dl>
        )}
      </div>
      {admin && explain !== undefined && (
        <div class="card explain">
          <h3>Why</h3>
          <p>
            Rule: <strong class="rule">{explain.rule}</strong>
            {explain.judgement.nextBoundary !== null && <> · re-evaluated at {fmtTime(explain.judgement.nextBoundary)}</>}
          </p>
          <table>
            <caption class="sr">Signals seen and what became of them</caption>
            <thead>
              <tr>
                <th>Source / endpoint</th>
                <th>Category</th>
                <th>State</th>
                <th>Verdict</th>
                <th>Why</th>
              </tr>
            </thead>
            <tbody>
              {explain.registers.map((r) => (
                <tr class={r.verdict}>
                  <td>
                    {r.source} / {r.endpoint}
                  </td>
                  <td>{r.category}</td>
                  <td>{[r.availability, r.machineState, r.activity?.token, r.activity?.text].filter((x) => x !== undefined).join(' · ')}</td>
                  <td>
                    {r.verdict}
                    {r.decided.length > 0 && <strong> (decided {r.decided.join(' and ')})</strong>}
                  </td>
                  <td>{r.reason}</td>
                </tr>
              ))}
            </tbody>
          </table>
          {explain.registers.length === 0 && <p>No signals: the person is offline.</p>}
        </div>
      )}
      {admin && (
        <div class="card timeline">
          <h3>Recent changes and signals</h3>
          <p class="note">The last 50 per person, kept by the hub (for a week without news).</p>
          <ol>
            {timeline.map((t) => (
              <li class={t.type}>
                <time>{fmtTime(t.at)}</time>{' '}
                {t.type === 'change' && t.presence !== undefined ? (
                  <>
                    became <Indicator cls={t.presence.class} /> {activityText(t.presence)}
                  </>
                ) : (
                  <>
                    signal {t.signal?.source}/{t.signal?.endpoint} {t.signal?.category}{' '}
                    {[t.signal?.availability, t.signal?.machineState, t.signal?.activity?.token, t.signal?.activity?.text].filter((x) => x !== undefined).join(' · ')} ({t.outcome})
                  </>
                )}
              </li>
            ))}
          </ol>
        </div>
      )}
    </section>
  );
}
