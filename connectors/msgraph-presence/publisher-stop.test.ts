/**
 * A Teams write refused by the stopping connector (the pacer's HUB_ERR_CONNECTOR_STOPPED, never
 * sent) is a failed write with nothing applied: the loop guard must not record it as the hub's
 * session, or a later reading of that state would pass for the hub's own echo (and the record is
 * saved to the shared state, outliving the node).
 */
import { describe, expect, it } from 'vitest';
import { ManualClock } from '../../core/util/clock.ts';
import { statusError } from '../msgraph-shared/graph-client.ts';
import { stoppedError } from '../msgraph-shared/pacer.ts';
import type { PresenceClient } from './client.ts';
import { presenceConfigSchema } from './config.ts';
import { LoopGuard } from './loop-guard.ts';
import { TeamsTarget } from './publisher.ts';

const USER = '00000000-0000-4000-8000-000000000001';

function target(fail: () => Error): { t: TeamsTarget; guard: LoopGuard } {
  const config = presenceConfigSchema.parse({ tenantId: 'contoso.example', clientId: '22553876-f5ab-4529-bffb-cfe50aa89f87', clientSecret: 's', publish: { enabled: true, minInterval: 0 } });
  const guard = new LoopGuard(0);
  // The Graph calls as the client makes them once the pacer refuses or Graph fails: each rejects.
  const reject = async (): Promise<void> => {
    throw fail();
  };
  const client = { setPresence: reject, clearPresence: reject, setPreferred: reject, clearPreferred: reject } as unknown as PresenceClient;
  const t = new TeamsTarget({ client, sessionId: config.clientId, source: 'teams', config: config.publish, guard, clock: new ManualClock(0), objectIdOf: () => USER, people: () => ['user1'] });
  return { t, guard };
}

describe('msgraph-presence publisher: a write refused by the stopping connector', () => {
  it('is failed, not unknown, and leaves no write in the loop guard', async () => {
    const { t, guard } = target(stoppedError);
    const out = await t.write('user1', { k: 's', a: 'Busy', ac: 'InACall' }, null);
    expect(out).toMatchObject({ outcome: 'failed', error: { code: 'HUB_ERR_CONNECTOR_STOPPED' } });
    expect(guard.activeWrite(USER)).toBeUndefined();
  });

  it('unlike a write with unknown outcome (a 5xx), which the guard records since Teams may have applied it', async () => {
    const { t, guard } = target(() => statusError(503, 'setPresence'));
    const out = await t.write('user1', { k: 's', a: 'Busy', ac: 'InACall' }, null);
    expect(out).toMatchObject({ outcome: 'unknown' });
    expect(guard.activeWrite(USER)).toEqual({ availability: 'Busy', activity: 'InACall' });
  });
});
