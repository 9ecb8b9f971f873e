/**
 * The stored presence across versions of the hub: a Redis written by the previous version (one hash
 * field per value, scripts.ts COMMIT before the packed form) keeps working after a restart on this
 * one. Every step's outcome is the one the in-process store gives for the same commits, whatever
 * the point at which the hub was upgraded; the first change rewrites the hash in the packed form.
 */
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CLASS_MIDPOINT } from '../../model/availability.ts';
import { classActivity } from '../../model/presence.ts';
import { systemClock } from '../../util/clock.ts';
import { silentLogger } from '../../util/logger.ts';
import { freshPrefix, redisUrl } from '../../../test/support/redis-url.ts';
import { MemoryStore } from '../embedded/store.ts';
import { fingerprint, fullViewKey, limitedViewKey, OFFLINE_FINGERPRINT, OFFLINE_FULL_KEY, OFFLINE_LIMITED_KEY, stateKey } from '../fingerprint.ts';
import type { Basis, PresenceDraft } from '../ports.ts';
import { redisPipeline, type RedisPipeline } from './index.ts';

/** The commit script of the previous stored form, verbatim: what a hub of that version wrote. */
const PREVIOUS_COMMIT = `local out = {}
for i = 1, #KEYS do
  local b = 3 + (i - 1) * 7
  local key = KEYS[i]
  local rev = tonumber(ARGV[b + 1])
  local at = tonumber(ARGV[b + 2])
  local cur = redis.call('HMGET', key, 'rev', 'at', 'fp', 'v', 'since', 'd', 'sk', 'fk', 'lk', 'fv', 'lv', 'ls')
  local crev = tonumber(cur[1])
  if crev and (rev < crev or (rev == crev and at < tonumber(cur[2]))) then
    out[i] = {0}
  elseif (cur[3] or ARGV[1]) == ARGV[b + 3] then
    redis.call('HSET', key, 'rev', ARGV[b + 1], 'at', ARGV[b + 2])
    if cur[4] then out[i] = {1, cur[4], cur[5], cur[10] or '', cur[11] or '', cur[12] or ''} else out[i] = {1} end
  else
    local v = tostring((tonumber(cur[4]) or 0) + 1)
    local since = ARGV[b + 2]
    if cur[7] and cur[5] and cur[7] == ARGV[b + 5] then since = cur[5] end
    local fk, lk, fv, lv, ls = ARGV[2], ARGV[3], 0, 0, cur[12] or ''
    if cur[4] then
      if cur[8] then fk, lk, fv, lv = cur[8], cur[9], tonumber(cur[10]), tonumber(cur[11])
      else fk, lk, fv, lv = '', '', tonumber(cur[4]), tonumber(cur[4]) end
    end
    if fk ~= ARGV[b + 6] then fv = fv + 1 end
    if lk ~= ARGV[b + 7] then lv = lv + 1; ls = ARGV[b + 2] end
    fv = tostring(fv)
    lv = tostring(lv)
    redis.call('HSET', key, 'rev', ARGV[b + 1], 'at', ARGV[b + 2], 'fp', ARGV[b + 3], 'v', v, 'since', since, 'd', ARGV[b + 4], 'sk', ARGV[b + 5], 'fk', ARGV[b + 6], 'lk', ARGV[b + 7], 'fv', fv, 'lv', lv, 'ls', ls)
    out[i] = {2, v, since, fv, lv, ls}
  end
end
return out`;

const t = 1_760_000_000_000.25;
const offline = (person: string): PresenceDraft => ({ person, availability: CLASS_MIDPOINT.offline, class: 'offline', activity: classActivity('offline') });
const meeting = (person: string, text: string): PresenceDraft => ({ person, availability: 6500, class: 'busy', activity: { token: 'in-a-meeting', text } });
const available = (person: string): PresenceDraft => ({ person, availability: 3500, class: 'available', activity: classActivity('available'), machineState: 'active', lastActive: t + 8 });

/** One person's commits: nothing, a meeting, its text (state and full view), its source (neither view), a stale one, a repeat, available. */
function steps(person: string): { draft: PresenceDraft; basis: Basis }[] {
  return [
    { draft: offline(person), basis: { rev: 0, at: t } },
    { draft: meeting(person, 'Board'), basis: { rev: 1, at: t + 1 } },
    { draft: meeting(person, 'Board | room 2 "east"'), basis: { rev: 2, at: t + 5 } },
    { draft: { ...meeting(person, 'Board | room 2 "east"'), decidedBy: 'exchange', decidedCategory: 'calendar' }, basis: { rev: 3, at: t + 6 } },
    { draft: meeting(person, 'stale'), basis: { rev: 2, at: t + 7 } },
    { draft: { ...meeting(person, 'Board | room 2 "east"'), decidedBy: 'exchange', decidedCategory: 'calendar' }, basis: { rev: 4, at: t + 7.5 } },
    { draft: available(person), basis: { rev: 5, at: t + 9 } },
    { draft: { ...available(person), lastActive: t + 10 }, basis: { rev: 6, at: t + 10 } },
  ];
}

let p: RedisPipeline;
let raw: Redis;
let prefix: string;
beforeAll(async () => {
  prefix = freshPrefix('store-format');
  p = await redisPipeline({ url: redisUrl(), prefix, log: silentLogger() });
  raw = new Redis(redisUrl());
});
afterAll(async () => {
  raw.disconnect();
  await p.close();
});

/** A commit as a hub of the previous version made it (its script and its arguments). */
async function previousCommit(draft: PresenceDraft, basis: Basis): Promise<unknown> {
  const args = [OFFLINE_FINGERPRINT, OFFLINE_FULL_KEY, OFFLINE_LIMITED_KEY, basis.rev, String(basis.at), fingerprint(draft), JSON.stringify(draft), stateKey(draft), fullViewKey(draft), limitedViewKey(draft)];
  return raw.eval(PREVIOUS_COMMIT, 1, `${prefix}:pres:${draft.person}`, ...args);
}

describe('the stored presence written by the previous version', () => {
  it('reads and commits as if the hub had never stopped, whatever the step at which it was upgraded', async () => {
    const all = steps('x');
    for (let upgradeAt = 0; upgradeAt <= all.length; upgradeAt++) {
      const person = `u${upgradeAt}`;
      const memory = new MemoryStore(systemClock);
      for (const [i, s] of steps(person).entries()) {
        if (i === upgradeAt) {
          // Just upgraded: what the previous version stored reads as the in-process store has it.
          expect((await p.store.getPresence([person])).get(person), `${person}: read after the upgrade`).toEqual((await memory.getPresence([person])).get(person));
        }
        const entry = { ...s, fingerprint: fingerprint(s.draft) };
        const [expected] = await memory.commitPresence([entry]);
        if (i < upgradeAt) await previousCommit(s.draft, s.basis);
        else expect((await p.store.commitPresence([entry]))[0], `${person}, step ${i}`).toEqual(expected);
      }
      expect((await p.store.getPresence([person])).get(person), person).toEqual((await memory.getPresence([person])).get(person));
      // The first change after the upgrade rewrote the hash in the packed form, nothing of the old left
      // (the last step is a change); never upgraded, it is still in the previous form.
      const fields = (await raw.hkeys(`${prefix}:pres:${person}`)).sort();
      expect(fields, person).toEqual(upgradeAt < all.length ? ['b', 'd', 'f', 'm'] : ['at', 'd', 'fk', 'fp', 'fv', 'lk', 'ls', 'lv', 'rev', 'since', 'sk', 'v']);
    }
  });

  it('reads a hash of the previous version before its first change after the upgrade', async () => {
    const person = 'before';
    const memory = new MemoryStore(systemClock);
    for (const s of steps(person).slice(0, 4)) {
      await previousCommit(s.draft, s.basis);
      await memory.commitPresence([{ ...s, fingerprint: fingerprint(s.draft) }]);
    }
    const want = (await memory.getPresence([person])).get(person);
    expect(want?.views).toEqual({ full: 2, limited: 1, limitedSince: t + 1 });
    expect((await p.store.getPresence([person])).get(person)).toEqual(want);
    // An older basis is refused, an unchanged one keeps the previous form.
    const s = steps(person);
    expect((await p.store.commitPresence([{ ...s[4]!, fingerprint: fingerprint(s[4]!.draft) }]))[0]).toEqual({ accepted: false, changed: false });
    expect((await p.store.commitPresence([{ ...s[5]!, fingerprint: fingerprint(s[5]!.draft) }]))[0]).toMatchObject({ accepted: true, changed: false, presence: want });
    expect(await raw.hget(`${prefix}:pres:${person}`, 'rev')).toBe('4');
  });

  it('a hash written before view versions existed counts as changed from its own version', async () => {
    const person = 'oldest';
    const d = meeting(person, 'Board');
    await raw.hset(`${prefix}:pres:${person}`, 'rev', 3, 'at', String(t), 'fp', fingerprint(d), 'v', 4, 'since', String(t), 'd', JSON.stringify(d), 'sk', stateKey(d));
    expect((await p.store.getPresence([person])).get(person)).toEqual({ ...d, since: t, version: 4 });
    const next = { ...d, decidedBy: 'exchange' };
    const [c] = await p.store.commitPresence([{ draft: next, basis: { rev: 4, at: t + 2 }, fingerprint: fingerprint(next) }]);
    // Same state: since kept; both views counted as changed from version 4.
    expect(c).toEqual({ accepted: true, changed: true, presence: { ...next, since: t, version: 5, views: { full: 5, limited: 5, limitedSince: t + 2 } } });
  });
});
