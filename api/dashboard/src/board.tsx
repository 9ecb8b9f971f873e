import { useEffect, useMemo, useRef, useState } from 'preact/hooks';
import type { AvailabilityClass, Entry, View } from './api.ts';
import { activityText, CLASS_NAMES, CLASSES, duration, FeedMark, Indicator, Likely } from './presence.tsx';
import { navigate } from './router.ts';
import { naturalCompare, SORT_KEYS, sortRows, type SortDir, type SortKey } from './sort.ts';
import type { PresenceStore } from './store.ts';
import { useRem, useStore } from './hooks.ts';

const OVERSCAN = 6;
/** Teams shown as chips beside the dropdown: the largest few (and the one selected). */
const TOP_TEAMS = 5;
/** Below this width rows stack (two lines) instead of five columns. */
const PHONE = '(max-width: 640px)';

/** What the board keeps in its history entry: where the list was scrolled and which row had focus. */
interface BoardHistory {
  scroll?: number;
  focus?: string;
}
const historyState = (): BoardHistory => (history.state ?? {}) as BoardHistory;
/** Updates this history entry's state, keeping its URL. */
function remember(patch: BoardHistory): void {
  history.replaceState({ ...historyState(), ...patch }, '', location.pathname + location.search);
}

const COLUMNS: { key: SortKey; label: string }[] = [
  { key: 'status', label: 'Status' },
  { key: 'name', label: 'Name' },
  { key: 'team', label: 'Team' },
  { key: 'activity', label: 'Activity' },
  { key: 'since', label: 'In state' },
];

/** The helpdesk board: search, filters, per-team and per-status counts, sortable columns and a virtualized list. */
export function Board({ store, now }: { store: PresenceStore; now: number }) {
  const rev = useStore(store);
  // Search, filters and sort live in the URL: Back, reload and a shared link keep them.
  const [initial] = useState(() => new URLSearchParams(location.search));
  const [restore] = useState(historyState);
  const [q, setQ] = useState(initial.get('q') ?? '');
  const [team, setTeam] = useState(initial.get('team') ?? '');
  const [teamText, setTeamText] = useState(team);
  const [cls, setCls] = useState<AvailabilityClass | ''>(CLASS_NAMES.find((c) => c === initial.get('status')) ?? '');
  const [sort, setSort] = useState<SortKey>(SORT_KEYS.find((k) => k === initial.get('sort')) ?? 'name');
  const [dir, setDir] = useState<SortDir>(initial.get('dir') === 'desc' ? 'desc' : 'asc');
  useEffect(() => {
    if (location.pathname !== '/') return;
    const p = new URLSearchParams();
    if (q !== '') p.set('q', q);
    if (team !== '') p.set('team', team);
    if (cls !== '') p.set('status', cls);
    if (sort !== 'name') p.set('sort', sort);
    if (dir !== 'asc') p.set('dir', dir);
    const search = p.size === 0 ? '' : `?${p.toString()}`;
    if (search !== location.search) history.replaceState(history.state, '', `/${search}`);
  }, [q, team, cls, sort, dir]);
  const people = store.people;
  const views = store.views;

  const haystack = useMemo(() => new Map(people.map((p) => [p.id, [p.id, p.name ?? '', ...(p.identities ?? [])].join('\n').toLowerCase()])), [people]);
  const teams = useMemo(() => [...new Set(people.flatMap((p) => p.teams ?? []))].sort(naturalCompare), [people]);
  const needle = q.trim().toLowerCase();
  // Search and team first; the status counts are of these, so that they say what a status filter would show.
  const matched = useMemo(
    () => people.filter((p) => (needle === '' || haystack.get(p.id)!.includes(needle)) && (team === '' || p.teams?.includes(team) === true)),
    [people, haystack, needle, team],
  );
  const byStatus = useMemo(() => {
    const m = new Map<AvailabilityClass | 'unknown', number>();
    for (const p of matched) {
      const c = views.get(p.id)?.class ?? 'unknown';
      m.set(c, (m.get(c) ?? 0) + 1);
    }
    return m;
  }, [matched, rev]);
  const rows = useMemo(() => {
    const shown = cls === '' ? matched : matched.filter((p) => views.get(p.id)?.class === cls);
    // Sorting by name needs no presence; the other columns follow the live views.
    return sort === 'name' && dir === 'asc' ? shown : sortRows(shown, views, sort, dir);
  }, [matched, cls, sort, dir, cls === '' && sort === 'name' ? 0 : rev]);
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
  const chips = useMemo(() => {
    const top = [...teams].sort((a, b) => (counts.get(b)?.total ?? 0) - (counts.get(a)?.total ?? 0) || naturalCompare(a, b)).slice(0, TOP_TEAMS);
    if (team !== '' && !top.includes(team)) top.push(team);
    return top;
  }, [teams, counts, team]);

  const pickTeam = (t: string): void => {
    setTeam(t);
    setTeamText(t);
  };
  // Typing a team's name (any case) or picking it from the list filters at once; anything else is put back on leaving.
  const onTeamInput = (text: string): void => {
    setTeamText(text);
    if (text === '') setTeam('');
    const hit = teams.find((t) => t.toLowerCase() === text.trim().toLowerCase());
    if (hit !== undefined) setTeam(hit);
  };
  const sortBy = (k: SortKey): void => {
    if (k === sort) setDir(dir === 'asc' ? 'desc' : 'asc');
    else {
      setSort(k);
      setDir('asc');
    }
  };

  const all = counts.get('')!;
  const known = views.size > 0;
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
          <input
            id="team"
            type="search"
            list="team-list"
            placeholder="All teams"
            autocomplete="off"
            value={teamText}
            onInput={(e) => onTeamInput(e.currentTarget.value)}
            onChange={(e) => onTeamInput(e.currentTarget.value)}
            onBlur={() => setTeamText(team)}
          />
          <datalist id="team-list">
            {teams.map((t) => (
              <option value={t}>{`${counts.get(t)?.total ?? 0} people`}</option>
            ))}
          </datalist>
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
      <div class="summary-bar">
        <ul class="counts" aria-label="Available per team">
          <li>
            <button aria-pressed={team === ''} onClick={() => pickTeam('')}>
              <b>All</b> {known ? all.available : '—'} of {all.total} available
            </button>
          </li>
          {chips.map((t) => {
            const c = counts.get(t) ?? { total: 0, available: 0 };
            return (
              <li>
                <button aria-pressed={team === t} onClick={() => pickTeam(team === t ? '' : t)} data-team={t}>
                  <b>{t}</b> {known ? c.available : '—'} of {c.total} available
                </button>
              </li>
            );
          })}
          {teams.length > chips.length && <li class="more">+{teams.length - chips.length} more teams in the list</li>}
        </ul>
        <ul class="by-status" aria-label={`By status${team !== '' ? ` in ${team}` : ''}`}>
          {CLASS_NAMES.filter((c) => (byStatus.get(c) ?? 0) > 0 || c === cls).map((c) => (
            <li>
              <button aria-pressed={cls === c} onClick={() => setCls(cls === c ? '' : c)} data-status={c} title={`Show only ${CLASSES[c].label}`}>
                <span class={`glyph ind-${c}`} aria-hidden="true">
                  {CLASSES[c].glyph}
                </span>{' '}
                {byStatus.get(c) ?? 0} <span class="label">{CLASSES[c].label}</span>
              </button>
            </li>
          ))}
          {(byStatus.get('unknown') ?? 0) > 0 && (
            <li class="unknown-count" data-status="unknown">
              — {byStatus.get('unknown')} not yet known
            </li>
          )}
        </ul>
      </div>
      <div class="colheads" role="group" aria-label="Sort the list by">
        {COLUMNS.map((c) => (
          <button class={`col col-${c.key}`} aria-pressed={sort === c.key} onClick={() => sortBy(c.key)} data-sort={c.key}>
            {c.label}
            {sort === c.key && (
              <>
                <span aria-hidden="true">{dir === 'asc' ? ' ▲' : ' ▼'}</span>
                <span class="sr">{dir === 'asc' ? ' (ascending)' : ' (descending)'}</span>
              </>
            )}
          </button>
        ))}
      </div>
      {/* While the stream is down, durations stop at the moment the views were last known. */}
      <VirtualList rows={rows} views={views} store={store} now={store.droppedAt ?? now} restore={restore} />
    </section>
  );
}

/** True while the screen is phone-sized (rows stack). */
function usePhone(): boolean {
  const [phone, setPhone] = useState(() => matchMedia(PHONE).matches);
  useEffect(() => {
    const m = matchMedia(PHONE);
    const on = (): void => setPhone(m.matches);
    m.addEventListener('change', on);
    return () => m.removeEventListener('change', on);
  }, []);
  return phone;
}

function VirtualList({ rows, views, store, now, restore }: { rows: Entry[]; views: ReadonlyMap<string, View>; store: PresenceStore; now: number; restore: BoardHistory }) {
  const ref = useRef<HTMLDivElement>(null);
  const phone = usePhone();
  const rh = Math.round(useRem() * (phone ? 3.9 : 2.6));
  const [top, setTop] = useState(0);
  const [height, setHeight] = useState(600);
  const [active, setActive] = useState(0);
  const restored = useRef(false);
  const saveTimer = useRef<number | undefined>(undefined);
  useEffect(() => {
    const el = ref.current!;
    const ro = new ResizeObserver(() => setHeight(el.clientHeight));
    ro.observe(el);
    return () => {
      ro.disconnect();
      clearTimeout(saveTimer.current);
    };
  }, []);
  // Back from a person page: the list where it was, that person's row active and focused.
  useEffect(() => {
    if (restored.current || rows.length === 0) return;
    restored.current = true;
    const el = ref.current!;
    if (restore.scroll !== undefined) {
      el.scrollTop = restore.scroll;
      setTop(el.scrollTop);
    }
    if (restore.focus !== undefined) {
      const i = rows.findIndex((r) => r.id === restore.focus);
      if (i >= 0) {
        setActive(i);
        el.focus({ preventScroll: true });
      }
    }
  }, [rows]);
  const at = Math.min(active, Math.max(0, rows.length - 1));
  const first = Math.max(0, Math.floor(top / rh) - OVERSCAN);
  const last = Math.min(rows.length, Math.ceil((top + height) / rh) + OVERSCAN);

  // The confidence of the rows on screen (the stream does not carry it), now and every 30 s.
  const visible = rows.slice(Math.floor(top / rh), Math.ceil((top + height) / rh)).map((r) => r.id);
  const visibleKey = visible.join('\n');
  useEffect(() => {
    const load = (): void => void store.loadConfidence(visible).catch(() => undefined);
    const t = setTimeout(load, 250);
    const every = setInterval(load, 30_000);
    return () => {
      clearTimeout(t);
      clearInterval(every);
    };
  }, [visibleKey]);

  const open = (i: number): void => {
    const p = rows[i];
    if (p === undefined) return;
    remember({ scroll: ref.current!.scrollTop, focus: p.id });
    navigate(`/person/${encodeURIComponent(p.id)}`, { fromBoard: true });
  };
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
    } else if (e.key === 'Enter') open(at);
  };
  const onScroll = (e: Event): void => {
    const y = (e.currentTarget as HTMLElement).scrollTop;
    setTop(y);
    // The scroll position goes into this history entry (a reload or Back finds it), at most every 200 ms.
    clearTimeout(saveTimer.current);
    saveTimer.current = window.setTimeout(() => remember({ scroll: y }), 200);
  };

  return (
    <div
      ref={ref}
      class="rows"
      role="listbox"
      tabIndex={0}
      aria-label="People"
      aria-activedescendant={rows[at] !== undefined ? `row-${rows[at].id}` : undefined}
      onScroll={onScroll}
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
                open(i);
              }}
            >
              <span class="status-cell">
                <Indicator cls={v?.class ?? 'unknown'} />
                {v !== undefined && <Likely confidence={store.confidence.get(p.id)} cls={v.class} />}
              </span>
              <span class="who">
                <span class="name">{p.name ?? p.id}</span>
                <span class="sub">{p.identities?.[0] ?? p.id}</span>
              </span>
              <span class="team">{p.teams?.join(', ') ?? ''}</span>
              <span class="activity">
                <FeedMark connectors={store.degraded.get(p.id)} />
                {v === undefined ? '' : activityText(v)}
              </span>
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
