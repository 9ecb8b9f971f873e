/**
 * What the calendar connectors' acceptance tests (ews-calendar, domino-calendar) share: the day
 * they play on, the team's keys, and the questions a user asks the hub's HTTP API (a person's
 * presence in a container, the directory report, the connector's health), with the injected clock
 * moved and the hub's boundaries fired as the hub would at that time.
 */
import { afterEach } from 'vitest';
import type { MemoryBoundaries } from '../../core/pipeline/embedded/boundaries.ts';
import type { ManualClock } from '../../core/util/clock.ts';
import { auth, TEAM_ENV, type TestHub } from './hub.ts';

/** A time of the acceptance day (2026-11-23, UTC). */
export const at = (hhmmss: string): number => Date.parse(`2026-11-23T${hhmmss}Z`);
export const ADMIN = auth(TEAM_ENV.ADMIN_KEY);
/** Bob is in alice's team: his container sees activities and their text. */
export const BOB = auth(TEAM_ENV.BOB_KEY);

/** Closes the test's hub and upstream simulator after each test (`get` returns them; `reset` forgets them). */
export function closeAfterEach(get: () => readonly ({ close?(): Promise<void>; stop?(): Promise<void> } | undefined)[], reset: () => void): void {
  afterEach(async () => {
    for (const x of get()) await (x?.close ?? x?.stop)?.call(x);
    reset();
  });
}

/** A person's presence as `headers`' key sees it. */
export async function presenceOf(t: TestHub, person: string, headers: Record<string, string> = BOB): Promise<Record<string, unknown>> {
  return (await t.app.inject({ method: 'GET', url: `/v1/presence/${person}`, headers })).json();
}

/** The clock set to `ms`, the boundaries due by then fired, everything queued applied. */
export async function advance(t: TestHub, clock: ManualClock, ms: number): Promise<void> {
  clock.set(ms);
  await (t.hub.pipeline.boundaries as MemoryBoundaries).fire();
  await t.settle();
}

/** Everything the API says about a person: to a teammate, to the admin, and the admin's explanation (to look for a private title). */
export async function everythingAbout(t: TestHub, person: string): Promise<string> {
  const explain = (await t.app.inject({ method: 'GET', url: `/v1/presence/${person}/explain`, headers: ADMIN })).json();
  return JSON.stringify([await presenceOf(t, person), await presenceOf(t, person, ADMIN), explain]);
}

/** The entries connector `id` could not read, from GET /v1/directory/report. */
export async function skippedBy(t: TestHub, id: string): Promise<{ entry: string; reason: string }[]> {
  const report = (await t.app.inject({ method: 'GET', url: '/v1/directory/report', headers: ADMIN })).json();
  return report.connectors.find((c: { connector: string }) => c.connector === id).skipped;
}

/** A user state the person set before the day's first poll (so that a meeting's end shows them available). */
export async function userAvailable(t: TestHub, person: string, hhmmss: string): Promise<void> {
  await t.app.inject({ method: 'POST', url: '/v1/signals', headers: auth(TEAM_ENV.PUB_KEY), payload: { person, source: 'webhook', endpoint: 'desk', category: 'user', availability: 'available', sourceTime: new Date(at(hhmmss)).toISOString() } });
}
