import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { notificationCollectionSchema, parseGraph, presenceCollectionSchema, scheduleCollectionSchema } from './schemas.ts';

const load = (p: string): unknown => JSON.parse(readFileSync(new URL(p, import.meta.url), 'utf8'));

describe('schemas accept the shapes of Microsoft published examples', () => {
  it('getPresencesByUserId response', () => {
    expect(parseGraph(presenceCollectionSchema, load('../msgraph-presence/fixtures/get-presences-by-user-id.response.json'), 'f').value).toHaveLength(2);
  });
  it('basic presence notification and lifecycle event', () => {
    const n = parseGraph(notificationCollectionSchema, load('../msgraph-presence/fixtures/presence-notification-basic.json'), 'f').value[0]!;
    expect(n.resourceData?.id).toBe('fa8bf3dc-eca7-46b7-bad1-db199b62afc3');
    expect(parseGraph(notificationCollectionSchema, load('../msgraph-presence/fixtures/lifecycle-reauthorization-required.json'), 'f').value[0]!.lifecycleEvent).toBe('reauthorizationRequired');
  });
  it('getSchedule response', () => {
    const v = parseGraph(scheduleCollectionSchema, load('../msgraph-calendar/fixtures/get-schedule.response.json'), 'f').value;
    expect(v.map((s) => s.availabilityView)).toEqual(['000220000', '200220010']);
  });
  it('refuses a malformed one naming the field', () => {
    expect(() => parseGraph(presenceCollectionSchema, { value: [{ id: 'x', availability: 1, activity: 'Away' }] }, 'getPresencesByUserId')).toThrow(/value\.0\.availability/);
  });
});
