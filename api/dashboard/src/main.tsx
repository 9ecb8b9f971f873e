import { render } from 'preact';
import { useEffect, useState } from 'preact/hooks';
import { Admin, isAdminPath } from './admin.tsx';
import { api, canExplain, isAdmin, type Who } from './api.ts';
import { Board } from './board.tsx';
import { useNow, useStore } from './hooks.ts';
import { Person } from './person.tsx';
import { onLink, usePath } from './router.ts';
import { PresenceStore } from './store.ts';
import './styles.css';

function SignIn({ onIn }: { onIn: (w: Who) => void }) {
  const [key, setKey] = useState('');
  const [error, setError] = useState('');
  const submit = async (e: Event): Promise<void> => {
    e.preventDefault();
    try {
      const w = await api<Who>('/v1/session', { method: 'POST', body: { key } });
      setKey(''); // the key leaves the page: the session cookie (HttpOnly) stands for it now
      onIn(w);
    } catch (err) {
      setError((err as Error).message);
    }
  };
  return (
    <main class="signin">
      <h1>Presence Hub</h1>
      <form onSubmit={(e) => void submit(e)}>
        <label for="key">API key</label>
        <input id="key" type="password" autocomplete="off" required value={key} onInput={(e) => setKey(e.currentTarget.value)} autoFocus />
        <button type="submit">Sign in</button>
        {error !== '' && <p role="alert">{error}</p>}
      </form>
    </main>
  );
}

function Shell({ who, onOut }: { who: Who; onOut: () => void }) {
  const path = usePath();
  // Every second: time in state is shown to the second during its first minute.
  const now = useNow(1000);
  const [store] = useState(() => new PresenceStore({ flushMs: 150, onSignedOut: onOut, feeds: canExplain(who) }));
  useStore(store);
  useEffect(() => {
    void store.start().catch(() => undefined);
    return () => store.close();
  }, [store]);
  useEffect(() => {
    const key = (e: KeyboardEvent): void => {
      const t = e.target as HTMLElement;
      if (e.key === '/' && !/^(INPUT|SELECT|TEXTAREA)$/.test(t.tagName)) {
        e.preventDefault();
        document.getElementById('search')?.focus();
      }
    };
    addEventListener('keydown', key);
    return () => removeEventListener('keydown', key);
  }, []);
  const logout = async (): Promise<void> => {
    await api('/v1/session', { method: 'DELETE' }).catch(() => undefined);
    onOut();
  };
  const person = /^\/person\/([^/]+)$/.exec(path);
  return (
    <div class="shell" onClick={onLink}>
      <a class="skip" href="#main">Skip to content</a>
      <header>
        <h1>Presence Hub</h1>
        <nav aria-label="Main">
          <a href="/" aria-current={path === '/' ? 'page' : undefined}>Board</a>
          {isAdmin(who) && <a href="/admin" aria-current={isAdminPath(path) ? 'page' : undefined}>Admin</a>}
        </nav>
        <span class={`link link-${store.state}`} role="status">
          {{ connecting: '◌ connecting', live: '● live', reconnecting: '◌ reconnecting…', 'signed-out': '○ signed out' }[store.state]}
        </span>
        <span class="me">
          {who.name}
          {who.person !== undefined ? ` (${who.person})` : ''}
        </span>
        {!who.open && (
          <button class="logout" onClick={() => void logout()}>
            Sign out
          </button>
        )}
      </header>
      {store.droppedAt !== undefined && (
        <div class="stale-banner" role="alert">
          Connection to the hub lost: presence shown as of <time dateTime={new Date(store.droppedAt).toISOString()}>{new Date(store.droppedAt).toLocaleTimeString()}</time>, may be out of date. Reconnecting…
        </div>
      )}
      <main id="main" tabIndex={-1}>
        {person !== null ? (
          <Person id={decodeURIComponent(person[1]!)} who={who} store={store} now={now} />
        ) : isAdminPath(path) ? (
          isAdmin(who) ? (
            <Admin path={path} />
          ) : (
            <section class="card" aria-labelledby="no-admin">
              <h2 id="no-admin">The admin console needs an admin key</h2>
              <p>
                You are signed in as <b>{who.name}</b> ({who.roles.join(', ')}). Sign out and sign in with an admin key to see connectors and
                configuration.
              </p>
              <p>
                <a href="/">← Back to the board</a>
              </p>
            </section>
          )
        ) : (
          <Board store={store} now={now} />
        )}
      </main>
    </div>
  );
}

function App() {
  const [who, setWho] = useState<Who | null | undefined>(undefined);
  useEffect(() => {
    api<Who>('/v1/session').then(setWho, () => setWho(null));
  }, []);
  if (who === undefined) return <p class="loading">Loading…</p>;
  if (who === null) return <SignIn onIn={setWho} />;
  return <Shell who={who} onOut={() => setWho(null)} />;
}

render(<App />, document.getElementById('app')!);
