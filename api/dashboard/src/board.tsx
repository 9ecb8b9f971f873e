import { useEffect, useMemo, useRef, useState } from 'preact/hooks';
import type { AvailabilityClass, Entry, View } from './api.ts';
import { activityText, CLASS_NAMES, CLASSES, duration, Indicator } from './presence.tsx';
import { navigate } from './router.ts';
import type { PresenceStore } from './store.ts';
import { useRem, useStore } from './hooks.ts';

const OVERSCAN = 6;

/** The helpdesk board: search, filters, per-team counts and a virtualized list of people. */
export function Board({ store, now }: { store: PresenceStore; now: number }) {
  const rev = useStore(store);
  // Search and filters live in the URL: Back, reload and a shared link keep them.
  const [initial] = useState(() => new URLSearchParams(location.search));
  const [q, setQ] = useState(initial.get('q') ?? '');
  const [team, setTeam] = useState(initial.get('team') ?? '');
  const [cls, setCls] = useState<AvailabilityClass | ''>(CLASS_NAMES.find((c) => c === initial.get('status')) ?? '');
  useEffect(() => {
    if (location.pathname !== '/') return;
    const p = new URLSearchParams();
    if (q !== '') p.set('q', q);
    if (team !== '') p.set('team', team);
    if (cls !== '') p.set('status', cls);
    const search = p.size === 0 ? '' : `?${p.toString()}`;
    if (search !== location.search) history.replaceState(null, '', `/${search}`);
  }, [q, team, cls]);
  const people = store.people;
  const views = store.views;

  const haystack = useMemo(() => new Map(people.map((p) => [p.id, [p.id, p.name ?? '', ...(p.identities ?? [])].join('\n').toLowerCase()])), [people]);
  const teams = useMemo(() => [...new Set(people.flatMap((p) => p.teams ?? []))].sort(), [people]);
  const needle = q.trim().toLowerCase();
  const rows = useMemo(
    () =>
      people.filter(
        (p) =>
          (needle === '' || haystack.get(p.id)!.includes(needle)) &&
          (team === '' || p.teams?.includes(team) === true) &&
          (cls === '' || views.get(p.id)?.class === cls),
      ),
    // Presence changes matter only when filtering by class.
    [people, haystack, needle, team, cls, cls === '' ? 0 : rev],
  );
  const counts = useMemo(() => {
    const m = new Map<string, { total: number; available: number }>([['', { total: 0, available: 0 }]]);
    for (const p of people) {
      const ok = views.get(p.id)?.class === 'available' ? 1 : 0;
      for (const t of ['', ...(p.teams ?? [])]) {
        const c = m.get(t) ?? { total: 0, available: 0 };
        c.total++;
        c.available += ok;
        m.set(t, c);
      }
    }
    return m;
  }, [people, rev]);

  const all = counts.get('')!;
  const stale = store.droppedAt !== undefined;
  return (
    <section class={`board${stale ? ' stale' : ''}`} aria-label="Helpdesk board">
      <div class="filters" role="search">
        <label>
          <span class="sr">Search by name or identity</span>
          <input id="search" type="search" placeholder="Search name or identity  ( / )" value={q} onInput={(e) => setQ(e.currentTarget.value)} />
        </label>
        <label>
          Team{' '}
          <select id="team" value={team} onChange={(e) => setTeam(e.currentTarget.value)}>
            <option value="">All teams</option>
            {teams.map((t) => (
              <option value={t}>{t}</option>
            ))}
          </select>
        </label>
        <label>
          Status{' '}
          <select id="class" value={cls} onChange={(e) => setCls(e.currentTarget.value as AvailabilityClass | '')}>
            <option value="">Any status</option>
            {CLASS_NAMES.map((c) => (
              <option value={c}>{CLASSES[c].label}</option>
            ))}
          </select>
        </label>
        <span class="shown" aria-live="polite">
          {rows.length} shown
        </span>
      </div>
      <ul class="counts" aria-label="Available per team">
        <li>
          <button aria-pressed={team === ''} onClick={() => setTeam('')}>
            <b>All</b> {views.size === 0 ? '—' : all.available} of {all.total} available
          </button>
        </li>
        {teams.map((t) => {
          const c = counts.get(t) ?? { total: 0, available: 0 };
          return (
            <li>
              <button aria-pressed={team === t} onClick={() => setTeam(team === t ? '' : t)} data-team={t}>
                <b>{t}</b> {views.size === 0 ? '—' : c.available} of {c.total} available
              </button>
            </li>
          );
        })}
      </ul>
      {/* While the stream is down, durations stop at the moment the views were last known. */}
      <VirtualList rows={rows} views={views} now={store.droppedAt ?? now} />
    </section>
  );
}

function VirtualList({ rows, views, now }: { rows: Entry[]; views: ReadonlyMap<string, View>; now: number }) {
  const ref = useRef<HTMLDivElement>(null);
  const rh = Math.round(useRem() * 2.75);
  const [top, setTop] = useState(0);
  const [height, setHeight] = useState(600);
  const [active, setActive] = useState(0);
  useEffect(() => {
    const el = ref.current!;
    const ro = new ResizeObserver(() => setHeight(el.clientHeight));
    ro.observe(el);
    return () => ro.disconnect();
  }, []);
  const at = Math.min(active, Math.max(0, rows.length - 1));
  const first = Math.max(0, Math.floor(top / rh) - OVERSCAN);
  const last = Math.min(rows.length, Math.ceil((top + height) / rh) + OVERSCAN);

  const move = (i: number): void => {
    const n = Math.max(0, Math.min(rows.length - 1, i));
    setActive(n);
    const el = ref.current!;
    if (n * rh < el.scrollTop) el.scrollTop = n * rh;
    else if ((n + 1) * rh > el.scrollTop + el.clientHeight) el.scrollTop = (n + 1) * rh - el.clientHeight;
  };
  const page = Math.max(1, Math.floor(height / rh) - 1);
  const onKey = (e: KeyboardEvent): void => {
    const to: Record<string, number> = { ArrowDown: at + 1, ArrowUp: at - 1, PageDown: at + page, PageUp: at - page, Home: 0, End: rows.length - 1 };
    if (e.key in to) {
      e.preventDefault();
      move(to[e.key]!);
    } else if (e.key === 'Enter' && rows[at] !== undefined) navigate(`/person/${encodeURIComponent(rows[at].id)}`);
  };

  return (
    <div
      ref={ref}
      class="rows"
      role="listbox"
      tabIndex={0}
      aria-label="People"
      aria-activedescendant={rows[at] !== undefined ? `row-${rows[at].id}` : undefined}
      onScroll={(e) => setTop(e.currentTarget.scrollTop)}
      onKeyDown={onKey}
    >
      <div style={{ height: `${rows.length * rh}px`, position: 'relative' }}>
        {rows.slice(first, last).map((p, k) => {
          const i = first + k;
          const v = views.get(p.id);
          return (
            <div
              key={p.id}
              id={`row-${p.id}`}
              role="option"
              aria-selected={i === at}
              aria-setsize={rows.length}
              aria-posinset={i + 1}
              class={`row${i === at ? ' active' : ''}`}
              data-person={p.id}
              style={{ transform: `translateY(${i * rh}px)`, height: `${rh}px` }}
              onClick={() => {
                setActive(i);
                navigate(`/person/${encodeURIComponent(p.id)}`);
              }}
            >
              <Indicator cls={v?.class ?? 'unknown'} />
              <span class="who">
                <span class="name">{p.name ?? p.id}</span>
                <span class="sub">{p.identities?.[0] ?? p.id}</span>
              </span>
              <span class="team">{p.teams?.join(', ') ?? ''}</span>
              <span class="activity">{v === undefined ? '' : activityText(v)}</span>
              <span class="since" title="Time in the current state">
                {v === undefined ? '' : duration(v.since, now)}
              </span>
            </div>
          );
        })}
      </div>
    </div>
  );
}
