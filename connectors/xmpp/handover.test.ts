/**
 * The publish role after a restart or a lease handover: another connector instance with the same
 * durable state (as the next node finds it in Redis) knows the subscribers without any of them
 * asking again, and tells them the current presence at once. A real Prosody, a real subscriber.
 */
import { xml } from '@xmpp/client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Presence } from '../../core/model/presence.ts';
import { memoryConnectorStore } from '../../core/pipeline/embedded/connector-store.ts';
import { connectorHarness } from '../../test/support/connector-harness.ts';
import type { Prosody } from '../../test/support/peers/prosody.ts';
import type { XmppConfig } from './config.ts';
import { xmppManifest } from './manifest.ts';
import { startXmppServer, XMPP_USERS } from './simulator.ts';
import { xmppUser, type XmppUser } from './test-support.ts';

let server: Prosody;
let bob: XmppUser | undefined;
beforeAll(async () => {
  server = await startXmppServer();
});
afterAll(async () => {
  await bob?.stop();
  await server?.stop();
});

const PEOPLE = [
  { id: 'alice', identities: ['xmpp:alice@corp.example'], teams: ['support'] },
  { id: 'bob', identities: ['xmpp:bob@corp.example'], teams: ['support'] },
];
const presence = (cls: 'available' | 'busy', version: number): Presence =>
  cls === 'busy'
    ? { person: 'alice', availability: 6500, class: 'busy', activity: { token: 'on-the-phone', text: 'In a call' }, since: Date.now(), version }
    : { person: 'alice', availability: 3500, class: 'available', activity: { token: 'available', text: 'Available' }, since: Date.now(), version };

describe('publish role across a handover', () => {
  it('the next instance knows the subscribers from the durable state and sends them the current presence', async () => {
    const state = memoryConnectorStore();
    const config = xmppManifest.configSchema.parse({ collect: { enabled: false }, component: { service: server.componentService, domain: server.component, secret: server.componentSecret } });
    const first = connectorHarness<XmppConfig>({ id: 'xmpp', config, people: PEOPLE, state });
    const a = xmppManifest.create(first.ctx);
    await a.start();
    await first.publish([presence('available', 1)]);
    bob = await xmppUser(server, 'bob', XMPP_USERS.bob!);
    await bob.presence();
    await bob.send(xml('presence', { type: 'subscribe', to: 'alice@presence.corp.example' }));
    await bob.waitFor('alice@presence.corp.example', (r) => r?.type === undefined && r?.status === 'Available');
    await a.stop();
    await bob.waitFor('alice@presence.corp.example', (r) => r?.type === 'unavailable');

    // Another node takes over: nobody subscribes again; alice is in a call meanwhile.
    const second = connectorHarness<XmppConfig>({ id: 'xmpp', config, people: PEOPLE, state });
    await second.publish([presence('busy', 2)]);
    const b = xmppManifest.create(second.ctx);
    await b.start();
    const seen = await bob.waitFor('alice@presence.corp.example', (r) => r?.show === 'dnd');
    expect(seen).toMatchObject({ show: 'dnd', status: 'In a call' });
    await b.stop();
  });
});
