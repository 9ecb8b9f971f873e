/**
 * The collect role against a real Prosody, through the connector and the test harness (signals
 * validated against the public schema and resolved through a real Directory): the service account
 * (client) and the component (mod_groups public group) each see users' show/status per resource.
 */
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { SignalInput } from '../../core/model/signal.ts';
import { connectorHarness, type Harness } from '../../test/support/connector-harness.ts';
import { startProsody, type Prosody } from '../../test/support/peers/prosody.ts';
import { xmppManifest } from './manifest.ts';
import type { XmppConfig } from './config.ts';
import { xmppUser, type XmppUser } from './test-support.ts';
import { until } from '../../test/support/wait.ts';

const USERS = { hub: 'hub-pw', alice: 'alice-pw', bob: 'bob-pw', carol: 'carol-pw', dave: 'dave-pw' };
const PEOPLE = [
  { id: 'alice', identities: ['xmpp:alice@corp.example'] },
  { id: 'bob', identities: ['xmpp:bob@corp.example'] },
  { id: 'carol', identities: ['xmpp:carol@corp.example'] },
];
// Everyone (the service account too) in one group: every member has every other as a contact.
const GROUPS = ['[Staff]', 'hub@corp.example=Presence Hub', 'alice@corp.example=Alice', 'bob@corp.example=Bob', '', '[+Presence Hub]', 'presence.corp.example=Presence Hub', ''].join('\n');

let server: Prosody;
const open: { stop(): Promise<unknown> }[] = [];

beforeAll(async () => {
  server = await startProsody({ users: USERS, groups: GROUPS });
});
afterAll(() => server?.stop());
afterEach(async () => {
  for (const o of open.splice(0).reverse()) await o.stop().catch(() => undefined);
});

function config(via: 'client' | 'component'): XmppConfig {
  const raw =
    via === 'client'
      ? { service: server.service, jid: 'hub@corp.example', password: USERS.hub, collect: { settle: '500ms' }, reconnect: { base: '100ms', max: '500ms' } }
      : { collect: { via: 'component', settle: '500ms' }, reconnect: { base: '100ms', max: '500ms' }, component: { service: server.componentService, domain: server.component, secret: server.componentSecret, publish: false } };
  return xmppManifest.configSchema.parse(raw);
}

async function started(via: 'client' | 'component'): Promise<Harness<XmppConfig>> {
  const h = connectorHarness<XmppConfig>({ id: 'xmpp', config: config(via), people: PEOPLE });
  const c = xmppManifest.create(h.ctx);
  open.push(c);
  await c.start();
  return h;
}

async function user(name: keyof typeof USERS, resource = 'laptop'): Promise<XmppUser> {
  const u = await xmppUser(server, name, USERS[name], { resource });
  open.push(u);
  return u;
}

const lastFor = (h: Harness<XmppConfig>, person: string, category = 'user'): SignalInput | undefined =>
  [...h.signals].reverse().find((s) => s.person === person && s.category === category);
const isEnded = (s: SignalInput | undefined): boolean => s?.until !== undefined;

describe.each(['client', 'component'] as const)('collect via the %s', (via) => {
  it('show=dnd "Focus" becomes a dnd signal with the text; unavailable ends the register', async () => {
    const h = await started(via);
    const bob = await user('bob');
    await bob.presence({ show: 'dnd', status: 'Focus' });
    await until('bob dnd', () => lastFor(h, 'bob')?.availability === 9500);
    expect(lastFor(h, 'bob')).toMatchObject({ identity: 'xmpp:bob@corp.example', source: 'xmpp', endpoint: 'laptop', category: 'user', availability: 9500, activity: { text: 'Focus' } });
    expect(isEnded(lastFor(h, 'bob'))).toBe(false);
    await bob.stop();
    await until('bob ended', () => isEnded(lastFor(h, 'bob')));
    expect(lastFor(h, 'bob')?.endpoint).toBe('laptop');
  });

  it('the highest-priority resource speaks; its idle time becomes a machine register', async () => {
    const h = await started(via);
    const laptop = await user('alice', 'laptop');
    const phone = await user('alice', 'phone');
    await laptop.presence({ priority: 10, status: 'At my desk' });
    await phone.presence({ show: 'xa', priority: 0 });
    await until('alice from the laptop', () => lastFor(h, 'alice')?.endpoint === 'laptop' && lastFor(h, 'alice')?.activity !== undefined);
    expect(lastFor(h, 'alice')).toMatchObject({ availability: 3500, activity: { text: 'At my desk' } });
    const since = new Date(Date.now() - 6 * 60_000).toISOString().replace(/\.\d+Z$/, 'Z');
    await laptop.presence({ priority: 10, status: 'At my desk', idleSince: since });
    await until('alice idle', () => lastFor(h, 'alice', 'machine') !== undefined);
    expect(lastFor(h, 'alice', 'machine')).toMatchObject({ endpoint: 'laptop', machineState: 'active', sourceTime: new Date(since).toISOString() });
    // The laptop leaves: the phone (xa) speaks now, the laptop's registers end.
    await laptop.stop();
    await until('alice from the phone', () => lastFor(h, 'alice')?.endpoint === 'phone').catch((e) => { console.log(JSON.stringify(h.signals.filter((s) => s.person === 'alice'))); throw e; });
    expect(lastFor(h, 'alice')).toMatchObject({ availability: 15500 });
    const ended = h.signals.filter((s) => s.person === 'alice' && s.endpoint === 'laptop' && s.until !== undefined).map((s) => s.category);
    expect(ended.sort()).toEqual(['machine', 'user']);
  });

  it('a person of the directory off the roster is asked for a subscription; a JID the directory does not know never becomes a state', async () => {
    const h = await started(via);
    // Carol is in no group: the service account asks her for a subscription (she approves); the
    // component has her as a contact through the public group.
    const carol = await user('carol');
    await carol.presence({ show: 'dnd', status: 'Deep work' });
    await until('carol dnd', () => lastFor(h, 'carol')?.availability === 9500);
    // Dave is nobody in the directory: his presence is refused by the hub (reported), never a state.
    const dave = await user('dave');
    await dave.presence({ show: 'dnd' });
    const bob = await user('bob');
    await bob.presence({ show: 'away' });
    await until('bob away', () => lastFor(h, 'bob')?.availability === 12500);
    expect(h.signals.filter((s) => String(s.identity).includes('dave'))).toEqual([]);
    if (via === 'component') await until('dave refused as unknown', () => h.refused.some((r) => r.detail.includes('xmpp:dave@corp.example')));
  });
});
