import { useEffect, useState } from 'preact/hooks';
import { api, enc } from './api.ts';
import { usePoll } from './hooks.ts';
import { fmtTime } from './presence.tsx';
import { ActionButton, ActionsCell, PlainRows, Table } from './table.tsx';

interface Connector {
  id: string;
  kind: string;
  enabled: boolean;
  state: string;
  /** The node holding the connector's lease (running it); null when none does. */
  node: string | null;
  lastSuccess: string | null;
  lastError: { code: string; message: string; at: string } | null;
  recent: { at: string; ok: boolean; code?: string; message?: string }[];
  failingSince: string | null;
  nextRetryAt: string | null;
  counts: Record<string, number>;
}
interface ConnectorReport {
  connector: string;
  skipped: { entry: string; reason: string }[];
  unusable?: { entry: string; attribute: string; value: string; reason: string }[];
  truncated?: { entry: string; attribute: string; length: number; limit: number }[];
}
interface Unsynced {
  connector: string;
  notMatched: { count: number; people: string[]; needs?: string[] };
  silent?: { days: number; count: number; people: { person: string; lastSignal: string | null }[] };
  refused: { count: number; byReason: Record<string, number>; subjects: { subject: string; count: number; lastSeen: string; reason: string }[] };
}
interface Report {
  people: number;
  conflicts: { identity: string; people: string[]; reason: string }[];
  unknown: { source: string; subject: string; count: number; lastSeen: string; reason: string }[];
  connectors?: ConnectorReport[];
  unsynced?: Unsynced[];
}
interface Webhook {
  id: string;
  url: string;
  people: string[];
  watcher?: string;
  container?: string;
  state: 'active' | 'failing' | 'disabled';
  createdAt: string;
  delivered: number;
  failures: number;
  lastDelivery?: { at: string; outcome: 'delivered' | 'failed'; error?: string };
}
interface Pipeline {
  mode: string;
  node: string;
  ready: boolean;
  depth: number;
  oldestWaitingMs: number | null;
  retrying: number;
  deadLetterCount: number;
  deadLetters: { id: string; reason: string; code: string; signals: number; attempts: number; failedAt: string; acceptedAt: string }[];
}
interface AuditEntry {
  at: string;
  by: { name: string; roles: string[] };
  action: string;
  target: string;
  outcome?: 'ok' | 'failed';
  detail?: string;
}
type TestResult = { ok: boolean; message?: string; code?: string };

/** Every entry or value a directory connector did not use as read, one row each (shown capped). */
function notUsed(r: Report): { connector: string; entry: string; what: string; why: string }[] {
  return (r.connectors ?? []).flatMap((c) => [
    ...c.skipped.map((s) => ({ connector: c.connector, entry: s.entry, what: 'entry skipped', why: s.reason })),
    ...(c.unusable ?? []).map((u) => ({ connector: c.connector, entry: u.entry, what: `${u.attribute} ${JSON.stringify(u.value)}`, why: u.reason })),
    ...(c.truncated ?? []).map((t) => ({ connector: c.connector, entry: t.entry, what: t.attribute, why: `cut from ${t.length} to ${t.limit}` })),
  ]);
}

/** The sections of the console, each its own address (/admin, /admin/webhooks, ...). */
const SECTIONS = [
  { path: '/admin', label: 'Overview' },
  { path: '/admin/webhooks', label: 'Webhooks' },
  { path: '/admin/pipeline', label: 'Pipeline' },
  { path: '/admin/config', label: 'Configuration' },
  { path: '/admin/audit', label: 'Audit' },
] as const;

export const isAdminPath = (path: string): boolean => SECTIONS.some((s) => s.path === path);

/** A state as shown: a disabled connector is "disabled" whatever its supervisor last said. */
const shownState = (c: Connector): string => (c.enabled ? c.state : 'disabled');
const STATE_ORDER = ['running', 'degraded', 'starting', 'stopping', 'stopped', 'disabled'];

/** "5 running, 1 degraded, 1 disabled": every connector counted once, in a fixed order. */
export function summaryLine(connectors: readonly Connector[]): string {
  const by = new Map<string, number>();
  for (const c of connectors) by.set(shownState(c), (by.get(shownState(c)) ?? 0) + 1);
  const rank = (s: string): number => (STATE_ORDER.includes(s) ? STATE_ORDER.indexOf(s) : STATE_ORDER.length);
  const parts = [...by].sort(([a], [b]) => rank(a) - rank(b)).map(([s, n]) => `${n} ${s}`);
  return parts.length === 0 ? 'No connectors configured' : parts.join(', ');
}

/** The list of names, the first `max` of them, and how many more. */
function names(list: readonly string[], total: number, max = 20): string {
  const shown = list.slice(0, max).join(', ');
  return total > max ? `${shown} and ${total - max} more` : shown;
}

/** The admin console: an overview, webhooks, the pipeline, the configuration as it runs, the audit list. */
export function Admin({ path }: { path: string }) {
  return (
    <section class="admin" aria-label="Admin console">
      <nav class="admin-nav" aria-label="Admin sections">
        {SECTIONS.map((s) => (
          <a href={s.path} aria-current={path === s.path ? 'page' : undefined}>
            {s.label}
          </a>
        ))}
      </nav>
      {path === '/admin/webhooks' ? <Webhooks /> : path === '/admin/pipeline' ? <PipelineView /> : path === '/admin/config' ? <Config /> : path === '/admin/audit' ? <Audit /> : <Overview />}
    </section>
  );
}

/** Connectors (summary, state, failing since, next retry, history, unsynced people, test, enable/disable) and the directory report. */
function Overview() {
  const [connectors, setConnectors] = useState<Connector[] | undefined>();
  const [report, setReport] = useState<Report | undefined>();
  const [tests, setTests] = useState<Record<string, TestResult | 'running'>>({});
  const [error, setError] = useState('');

  const refresh = (): void => {
    api<{ connectors: Connector[] }>('/v1/connectors').then((r) => {
      setConnectors(r.connectors);
      setError('');
    }, (e: Error) => setError(e.message));
  };
  usePoll(refresh, 5000);
  // The report reads every person's registers: less often.
  usePoll(() => void api<Report>('/v1/directory/report').then(setReport, () => undefined), 20_000);

  const test = async (id: string): Promise<void> => {
    setTests((t) => ({ ...t, [id]: 'running' }));
    const r = await api<TestResult>(`/v1/connectors/${enc(id)}/test`, { method: 'POST' }).catch((e: Error) => ({ ok: false, message: e.message }));
    setTests((t) => ({ ...t, [id]: r }));
  };
  const toggle = async (c: Connector): Promise<void> => {
    await api(`/v1/connectors/${enc(c.id)}/${c.enabled ? 'disable' : 'enable'}`, { method: 'POST' }).catch((e: Error) => setError(e.message));
    refresh();
  };
  const unsynced = new Map((report?.unsynced ?? []).map((u) => [u.connector, u]));

  return (
    <>
      <h2>Connectors</h2>
      {connectors !== undefined && (
        <p class="summary" role="status" aria-live="polite">
          {summaryLine(connectors)}
        </p>
      )}
      {error !== '' && <p role="alert">{error}</p>}
      <Table class="connectors" caption="Connectors, in the order of the configuration" hiddenCaption scroll columns={['Connector', 'State', 'Last success', 'Last error', 'Counts', 'Lease holder', 'Actions']}>
        {(connectors ?? []).map((c) => {
          const t = tests[c.id];
          const state = shownState(c);
          const u = unsynced.get(c.id);
          const failing = c.enabled && c.failingSince !== null;
          return (
            // One tbody per connector: its row and its details stay together, whatever the state.
            <tbody data-connector={c.id} key={c.id}>
              <tr>
                <th scope="row">
                  <strong>{c.id}</strong>
                  <br />
                  <span class="sub">{c.kind}</span>
                </th>
                <td>
                  <span class={`state state-${state}`}>{state}</span>
                  {failing && (
                    <span class="sub failing-since">
                      <br />
                      failing since {fmtTime(c.failingSince)}
                    </span>
                  )}
                  {c.enabled && c.nextRetryAt !== null && (
                    <span class="sub next-retry">
                      <br />
                      next retry {fmtTime(c.nextRetryAt)}
                    </span>
                  )}
                </td>
                <td>{fmtTime(c.lastSuccess)}</td>
                <td class="error">{c.lastError === null ? '—' : <><code>{c.lastError.code}</code> {c.lastError.message} <span class="sub">({fmtTime(c.lastError.at)})</span></>}</td>
                <td>{Object.entries(c.counts).map(([k, v]) => `${k} ${v}`).join(', ') || '—'}</td>
                <td>{c.node ?? '—'}</td>
                <ActionsCell
                  after={
                    t !== undefined &&
                    t !== 'running' && (
                      <p class={`test ${t.ok ? 'ok' : 'failed'}`} role="status">
                        {t.ok ? '✔ Connection works' : `✘ ${t.code ?? ''} ${t.message ?? 'failed'}`}
                      </p>
                    )
                  }
                >
                  <ActionButton label="Test connection" onAction={() => test(c.id)} disabled={t === 'running'} />
                  {/* Disabling stops a feed for everyone: ask first, and say how long it lasts. */}
                  <ActionButton
                    label={c.enabled ? 'Disable' : 'Enable'}
                    class="toggle"
                    onAction={() => toggle(c)}
                    confirm={c.enabled ? `Disable ${c.id} on every node? It stays off until it is enabled again (across restarts in Redis mode or with dataDir; otherwise until the hub restarts).` : undefined}
                  />
                </ActionsCell>
              </tr>
              <tr class="connector-detail">
                <td colSpan={7}>
                  <details class="history" open={failing}>
                    <summary>
                      History: {c.recent.filter((r) => !r.ok).length} of the last {c.recent.length} outcomes failed
                    </summary>
                    {c.recent.length === 0 ? (
                      <p class="note">Nothing yet.</p>
                    ) : (
                      <ol>
                        {c.recent.map((r) => (
                          <li class={r.ok ? 'ok' : 'failed'}>
                            <time dateTime={r.at}>{fmtTime(r.at)}</time> {r.ok ? '✔ ok' : <>✘ <code>{r.code}</code> {r.message ?? ''}</>}
                          </li>
                        ))}
                      </ol>
                    )}
                  </details>
                  {u !== undefined && <UnsyncedPeople u={u} />}
                </td>
              </tr>
            </tbody>
          );
        })}
      </Table>
      <h2>Directory report</h2>
      {report !== undefined && (
        <div class="card report">
          <p>{report.people} people in the directory.</p>
          {report.conflicts.length + report.unknown.length + notUsed(report).length === 0 && <p>Everyone is synced.</p>}
          {report.conflicts.length > 0 && (
            <Table caption="Identities claimed by more than one person" columns={['Identity', 'People', 'Why']}>
              <PlainRows rows={report.conflicts.map((c) => [c.identity, c.people.join(', '), c.reason])} />
            </Table>
          )}
          {report.unknown.length > 0 && (
            <Table caption="Signals for people the directory does not know" columns={['Source', 'Subject', 'Signals', 'Last seen', 'Why']}>
              <PlainRows rows={report.unknown.map((u) => [u.source, u.subject, u.count, fmtTime(u.lastSeen), u.reason])} />
            </Table>
          )}
          {notUsed(report).length > 0 && (
            <Table class="not-used" caption="Directory entries and values not used as read" columns={['Connector', 'Entry', 'What', 'Why']}>
              <PlainRows rows={notUsed(report).slice(0, 500).map((n) => [n.connector, n.entry, n.what, n.why])} />
            </Table>
          )}
        </div>
      )}
    </>
  );
}

/** Who one connector does not serve: not matched, silent for N days, refused. */
function UnsyncedPeople({ u }: { u: Unsynced }) {
  const total = u.notMatched.count + (u.silent?.count ?? 0) + u.refused.subjects.length;
  return (
    <details class="unsynced" open={total > 0 && total <= 50}>
      <summary>Unsynced people: {total === 0 ? 'none' : total}</summary>
      <ul>
        <li class="not-matched">
          <b>Not matched</b> ({u.notMatched.count}){u.notMatched.needs !== undefined && <span class="sub"> no {u.notMatched.needs.join(' or ')} identity</span>}
          {u.notMatched.count > 0 && <>: {names(u.notMatched.people, u.notMatched.count)}</>}
        </li>
        {u.silent !== undefined && (
          <li class="silent">
            <b>No signal for {u.silent.days} days</b> ({u.silent.count})
            {u.silent.count > 0 && <>: {names(u.silent.people.map((p) => (p.lastSignal === null ? `${p.person} (never)` : `${p.person} (last ${fmtTime(p.lastSignal)})`)), u.silent.count)}</>}
          </li>
        )}
        <li class="refused">
          <b>Refused</b> ({u.refused.count} signals{u.refused.subjects.length > 0 ? `, ${u.refused.subjects.length} unknown subjects` : ''})
          {u.refused.subjects.length > 0 && <>: {names(u.refused.subjects.map((s) => `${s.subject} ×${s.count}`), u.refused.subjects.length)}</>}
        </li>
      </ul>
    </details>
  );
}

function Webhooks() {
  const [hooks, setHooks] = useState<Webhook[] | undefined>();
  const [error, setError] = useState('');
  const [url, setUrl] = useState('');
  const [people, setPeople] = useState('');
  const [container, setContainer] = useState('company');
  const [created, setCreated] = useState<{ id: string; secret: string } | undefined>();
  const refresh = (): void => {
    api<{ webhooks: Webhook[] }>('/v1/webhooks').then((r) => setHooks(r.webhooks), (e: Error) => setError(e.message));
  };
  usePoll(refresh, 5000);
  const create = async (e: Event): Promise<void> => {
    e.preventDefault();
    setError('');
    try {
      const list = people.split(/[\s,]+/).filter((p) => p !== '');
      const r = await api<Webhook & { secret: string }>('/v1/webhooks', { method: 'POST', body: { url, people: list, container } });
      setCreated({ id: r.id, secret: r.secret });
      setUrl('');
      setPeople('');
      refresh();
    } catch (err) {
      setError((err as Error).message);
    }
  };
  const remove = async (h: Webhook): Promise<void> => {
    await api(`/v1/webhooks/${enc(h.id)}`, { method: 'DELETE' }).catch((e: Error) => setError(e.message));
    if (created?.id === h.id) setCreated(undefined);
    refresh();
  };
  return (
    <>
      <h2>Webhooks</h2>
      <form class="card webhook-form" onSubmit={(e) => void create(e)}>
        <h3>New webhook</h3>
        <label for="wh-url">URL</label>
        <input id="wh-url" type="url" required placeholder="https://app.corp.example/presence" value={url} onInput={(e) => setUrl(e.currentTarget.value)} />
        <label for="wh-people">People (ids, separated by commas or spaces)</label>
        <input id="wh-people" required value={people} onInput={(e) => setPeople(e.currentTarget.value)} />
        <label for="wh-container">View</label>
        <select id="wh-container" value={container} onChange={(e) => setContainer(e.currentTarget.value)}>
          <option value="company">company: availability and class</option>
          <option value="public">public: availability and class</option>
          <option value="team">team: with activity</option>
          <option value="personal">personal: with activity</option>
        </select>
        <div>
          <button type="submit">Create webhook</button>
        </div>
      </form>
      {error !== '' && <p role="alert">{error}</p>}
      {created !== undefined && (
        <p class="card secret" role="status">
          Created. Its signing secret is shown once, copy it now: <code>{created.secret}</code>
        </p>
      )}
      {hooks !== undefined && hooks.length === 0 && <p class="note">No webhooks.</p>}
      {hooks !== undefined && hooks.length > 0 && (
        <Table class="webhooks" caption="Webhooks" hiddenCaption scroll columns={['URL', 'People', 'State', 'Delivered / failed', 'Last delivery', 'Actions']}>
          <tbody>
            {hooks.map((h) => (
              <tr data-webhook={h.id} key={h.id}>
                <th scope="row" class="url">
                  {h.url}
                  <br />
                  <span class="sub">created {fmtTime(h.createdAt)}</span>
                </th>
                <td>
                  {names(h.people, h.people.length, 5)}
                  <br />
                  <span class="sub">{h.watcher !== undefined ? `as ${h.watcher}` : `${h.container ?? 'company'} view`}</span>
                </td>
                <td class={`state state-wh-${h.state}`}>{h.state}</td>
                <td class="delivered">
                  {h.delivered} / {h.failures}
                </td>
                <td class="last-delivery">
                  {h.lastDelivery === undefined ? (
                    'none yet'
                  ) : (
                    <>
                      {h.lastDelivery.outcome === 'delivered' ? '✔ delivered' : `✘ failed: ${h.lastDelivery.error ?? ''}`} <span class="sub">{fmtTime(h.lastDelivery.at)}</span>
                    </>
                  )}
                </td>
                <ActionsCell>
                  <ActionButton label="Delete" onAction={() => remove(h)} aria-label={`Delete the webhook to ${h.url}`} confirm={`Delete the webhook to ${h.url}? Deliveries stop at once.`} />
                </ActionsCell>
              </tr>
            ))}
          </tbody>
        </Table>
      )}
    </>
  );
}

function PipelineView() {
  const [p, setP] = useState<Pipeline | undefined>();
  const [error, setError] = useState('');
  const [replayed, setReplayed] = useState('');
  const refresh = (): void => {
    api<Pipeline>('/v1/pipeline').then(setP, (e: Error) => setError(e.message));
  };
  usePoll(refresh, 5000);
  const replay = async (id: string): Promise<void> => {
    setError('');
    try {
      await api(`/v1/pipeline/dead-letters/${enc(id)}/replay`, { method: 'POST' });
      setReplayed(id);
    } catch (e) {
      setError((e as Error).message);
    }
    refresh();
  };
  return (
    <>
      <h2>Pipeline</h2>
      {error !== '' && <p role="alert">{error}</p>}
      {p !== undefined && (
        <>
          <dl class="card pipeline-stats">
            <dt>Mode</dt>
            <dd>
              {p.mode} (answered by {p.node}){p.ready ? '' : ' · store not accepting writes'}
            </dd>
            <dt>Batches waiting</dt>
            <dd class="depth">{p.depth}</dd>
            <dt>Oldest waiting</dt>
            <dd>{p.oldestWaitingMs === null ? '—' : `${Math.round(p.oldestWaitingMs / 1000)} s`}</dd>
            <dt>Waiting for a retry</dt>
            <dd>{p.retrying}</dd>
            <dt>Dead letters</dt>
            <dd class="dead-count">{p.deadLetterCount}</dd>
          </dl>
          {replayed !== '' && (
            <p role="status" class="note">
              Dead letter {replayed} queued again.
            </p>
          )}
          {p.deadLetters.length > 0 && (
            <Table class="dead-letters" caption="Dead letters (batches the queue gave up on), oldest first" scroll columns={['Failed', 'Reason', 'Signals', 'Attempts', 'Actions']}>
              <tbody>
                {p.deadLetters.map((d) => (
                  <tr data-dead-letter={d.id} key={d.id}>
                    <td>
                      {fmtTime(d.failedAt)}
                      <br />
                      <span class="sub">accepted {fmtTime(d.acceptedAt)}</span>
                    </td>
                    <td>
                      <code>{d.code}</code> {d.reason}
                    </td>
                    <td>{d.signals}</td>
                    <td>{d.attempts}</td>
                    <ActionsCell>
                      <ActionButton label="Replay" onAction={() => replay(d.id)} aria-label={`Replay dead letter ${d.id}`} />
                    </ActionsCell>
                  </tr>
                ))}
              </tbody>
            </Table>
          )}
        </>
      )}
    </>
  );
}

function Config() {
  const [config, setConfig] = useState<Record<string, unknown> | undefined>();
  const [error, setError] = useState('');
  useEffect(() => {
    api<Record<string, unknown>>('/v1/config').then(setConfig, (e: Error) => setError(e.message));
  }, []);
  const overrides = (config?.overrides ?? []) as { path: string; variable: string; value: unknown }[];
  const { overrides: _o, mode, ...rest } = config ?? {};
  return (
    <>
      <h2>Configuration as it runs</h2>
      <p class="note">The configuration file with the environment's overrides applied, as this node runs it ({String(mode ?? '…')} mode). Every secret is masked.</p>
      {error !== '' && <p role="alert">{error}</p>}
      {config !== undefined && (
        <Table class="overrides card" caption="Set by the environment" columns={['Key', 'Value', 'From']}>
          <tbody>
            {overrides.length === 0 ? (
              <tr>
                <td colSpan={3}>Nothing: every key is as in the file.</td>
              </tr>
            ) : (
              overrides.map((o) => (
                <tr data-override={o.path}>
                  <td>
                    <code>{o.path}</code>
                  </td>
                  <td>
                    <code>{String(o.value)}</code>
                  </td>
                  <td>
                    <code>{o.variable}</code>
                  </td>
                </tr>
              ))
            )}
          </tbody>
        </Table>
      )}
      <pre class="card config" tabIndex={0} aria-label="The configuration in force">
        {config === undefined ? '…' : JSON.stringify(rest, null, 2)}
      </pre>
    </>
  );
}

const ACTIONS: Record<string, string> = {
  'connector.enable': 'enabled connector',
  'connector.disable': 'disabled connector',
  'connector.test': 'tested connector',
  'webhook.create': 'created webhook',
  'trigger.create': 'created trigger',
  'trigger.delete': 'deleted trigger',
  'webhook.delete': 'deleted webhook',
  'dead-letter.replay': 'replayed dead letter',
};

function Audit() {
  const [entries, setEntries] = useState<AuditEntry[] | undefined>();
  const [error, setError] = useState('');
  usePoll(() => void api<{ entries: AuditEntry[] }>('/v1/audit?limit=200').then((r) => setEntries(r.entries), (e: Error) => setError(e.message)), 10_000);
  return (
    <>
      <h2>Audit</h2>
      <p class="note">Who switched, tested or changed what through the API, newest first (the last 500 are kept; keys are named, never shown).</p>
      {error !== '' && <p role="alert">{error}</p>}
      {entries !== undefined && entries.length === 0 && <p class="note">Nothing recorded yet.</p>}
      {entries !== undefined && entries.length > 0 && (
        <Table class="audit" caption="Audit list" hiddenCaption scroll columns={['When', 'Who', 'What', 'Outcome']}>
          <tbody>
            {entries.map((e) => (
              <tr data-action={e.action} data-target={e.target}>
                <td>
                  <time dateTime={e.at}>{fmtTime(e.at)}</time>
                </td>
                <td>
                  {e.by.name} <span class="sub">({e.by.roles.join(', ')})</span>
                </td>
                <td>
                  {ACTIONS[e.action] ?? e.action} <code>{e.target}</code>
                </td>
                <td>
                  {e.outcome === undefined ? '' : e.outcome === 'ok' ? '✔ ok' : '✘ failed'} {e.detail !== undefined && <span class="sub">{e.detail}</span>}
                </td>
              </tr>
            ))}
          </tbody>
        </Table>
      )}
    </>
  );
}
