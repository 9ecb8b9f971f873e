import { useEffect, useState } from 'preact/hooks';
import { api, enc } from './api.ts';
import { fmtTime } from './presence.tsx';

interface Connector {
  id: string;
  kind: string;
  enabled: boolean;
  state: string;
  /** The node holding the connector's lease (running it); null when none does. */
  node: string | null;
  lastSuccess: string | null;
  lastError: { code: string; message: string; at: string } | null;
  counts: Record<string, number>;
}
interface ConnectorReport {
  connector: string;
  skipped: { entry: string; reason: string }[];
  unusable?: { entry: string; attribute: string; value: string; reason: string }[];
  truncated?: { entry: string; attribute: string; length: number; limit: number }[];
}
interface Report {
  people: number;
  conflicts: { identity: string; people: string[]; reason: string }[];
  unknown: { source: string; subject: string; count: number; lastSeen: string; reason: string }[];
  connectors?: ConnectorReport[];
}

/** Every entry or value a directory connector did not use as read, one row each (shown capped). */
function notUsed(r: Report): { connector: string; entry: string; what: string; why: string }[] {
  return (r.connectors ?? []).flatMap((c) => [
    ...c.skipped.map((s) => ({ connector: c.connector, entry: s.entry, what: 'entry skipped', why: s.reason })),
    ...(c.unusable ?? []).map((u) => ({ connector: c.connector, entry: u.entry, what: `${u.attribute} ${JSON.stringify(u.value)}`, why: u.reason })),
    ...(c.truncated ?? []).map((t) => ({ connector: c.connector, entry: t.entry, what: t.attribute, why: `cut from ${t.length} to ${t.limit}` })),
  ]);
}
type TestResult = { ok: boolean; message?: string; code?: string };

/** The admin console: connectors (state, errors, test, enable/disable), the masked configuration, the directory report. */
export function Admin() {
  const [connectors, setConnectors] = useState<Connector[]>([]);
  const [report, setReport] = useState<Report | undefined>();
  const [config, setConfig] = useState<unknown>();
  const [tests, setTests] = useState<Record<string, TestResult | 'running'>>({});
  const [error, setError] = useState('');

  const refresh = (): void => {
    api<{ connectors: Connector[] }>('/v1/connectors').then((r) => {
      setConnectors(r.connectors);
      setError('');
    }, (e: Error) => setError(e.message));
    api<Report>('/v1/directory/report').then(setReport, () => undefined);
  };
  useEffect(() => {
    refresh();
    api('/v1/config').then(setConfig, () => undefined);
    const t = setInterval(refresh, 5000);
    return () => clearInterval(t);
  }, []);

  const test = async (id: string): Promise<void> => {
    setTests((t) => ({ ...t, [id]: 'running' }));
    const r = await api<TestResult>(`/v1/connectors/${enc(id)}/test`, { method: 'POST' }).catch((e: Error) => ({ ok: false, message: e.message }));
    setTests((t) => ({ ...t, [id]: r }));
  };
  const toggle = async (c: Connector): Promise<void> => {
    // Disabling stops a feed for everyone: ask first, and say how long it lasts.
    if (c.enabled && !confirm(`Disable ${c.id} on every node? It stays off until it is enabled again (across restarts in Redis mode or with dataDir; otherwise until the hub restarts).`)) return;
    await api(`/v1/connectors/${enc(c.id)}/${c.enabled ? 'disable' : 'enable'}`, { method: 'POST' }).catch((e: Error) => setError(e.message));
    refresh();
  };

  return (
    <section class="admin" aria-label="Admin console">
      <h2>Connectors</h2>
      {error !== '' && <p role="alert">{error}</p>}
      <div class="scroll">
        <table class="connectors">
          <thead>
            <tr>
              <th>Connector</th>
              <th>State</th>
              <th>Last success</th>
              <th>Last error</th>
              <th>Counts</th>
              <th>Lease holder</th>
              <th>Actions</th>
            </tr>
          </thead>
          <tbody>
            {connectors.map((c) => {
              const t = tests[c.id];
              return (
                <tr data-connector={c.id}>
                  <td>
                    <strong>{c.id}</strong>
                    <br />
                    <span class="sub">{c.kind}</span>
                  </td>
                  <td class={`state state-${c.enabled ? c.state : 'disabled'}`}>{c.enabled ? c.state : 'disabled'}</td>
                  <td>{fmtTime(c.lastSuccess)}</td>
                  <td class="error">{c.lastError === null ? '—' : <><code>{c.lastError.code}</code> {c.lastError.message} <span class="sub">({fmtTime(c.lastError.at)})</span></>}</td>
                  <td>{Object.entries(c.counts).map(([k, v]) => `${k} ${v}`).join(', ') || '—'}</td>
                  <td>{c.node ?? '—'}</td>
                  <td class="actions">
                    <button onClick={() => void test(c.id)} disabled={t === 'running'}>
                      Test connection
                    </button>
                    <button onClick={() => void toggle(c)}>{c.enabled ? 'Disable' : 'Enable'}</button>
                    {t !== undefined && t !== 'running' && (
                      <p class={`test ${t.ok ? 'ok' : 'failed'}`} role="status">
                        {t.ok ? '✔ Connection works' : `✘ ${t.code ?? ''} ${t.message ?? 'failed'}`}
                      </p>
                    )}
                  </td>
                </tr>
              );
            })}
          </tbody>
        </table>
      </div>
      <h2>Directory report</h2>
      {report !== undefined && (
        <div class="card report">
          <p>{report.people} people in the directory.</p>
          {report.conflicts.length + report.unknown.length + notUsed(report).length === 0 && <p>Everyone is synced.</p>}
          {report.conflicts.length > 0 && (
            <table>
              <caption>Identities claimed by more than one person</caption>
              <thead><tr><th>Identity</th><th>People</th><th>Why</th></tr></thead>
              <tbody>{report.conflicts.map((c) => <tr><td>{c.identity}</td><td>{c.people.join(', ')}</td><td>{c.reason}</td></tr>)}</tbody>
            </table>
          )}
          {report.unknown.length > 0 && (
            <table>
              <caption>Signals for people the directory does not know</caption>
              <thead><tr><th>Source</th><th>Subject</th><th>Signals</th><th>Last seen</th><th>Why</th></tr></thead>
              <tbody>{report.unknown.map((u) => <tr><td>{u.source}</td><td>{u.subject}</td><td>{u.count}</td><td>{fmtTime(u.lastSeen)}</td><td>{u.reason}</td></tr>)}</tbody>
            </table>
          )}
          {notUsed(report).length > 0 && (
            <table class="not-used">
              <caption>Directory entries and values not used as read</caption>
              <thead><tr><th>Connector</th><th>Entry</th><th>What</th><th>Why</th></tr></thead>
              <tbody>{notUsed(report).slice(0, 500).map((n) => <tr><td>{n.connector}</td><td>{n.entry}</td><td>{n.what}</td><td>{n.why}</td></tr>)}</tbody>
            </table>
          )}
        </div>
      )}
      <h2>Configuration</h2>
      <p class="note">As loaded at start; secrets are masked.</p>
      <pre class="card config" tabIndex={0}>{config === undefined ? '…' : JSON.stringify(config, null, 2)}</pre>
    </section>
  );
}
