/**
 * The stored presence across versions of the hub: a Redis written by an earlier version (one hash
 * field per value, scripts.ts COMMIT before the packed form; or the four-field packed form with
 * the draft, before the draft was rebuilt from the fingerprint) keeps working after a restart on
 * this one. Every step's outcome is the one the in-process store gives for the same commits,
 * whatever the point at which the hub was upgraded; the first change rewrites the hash in the
 * three-field form.
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

/** The commit script of the form of one field per value, verbatim: what a hub of that version wrote. */
const PER_VALUE_COMMIT = `local out = {}
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

/** The commit script of the four-field form (b, f, m with the packed view keys, d), verbatim. */
const FOUR_FIELD_COMMIT = `local out = {}
local LEGACY = {'rev', 'at', 'fp', 'v', 'since', 'sk', 'fk', 'lk', 'fv', 'lv', 'ls'}
local function unpackKeys(vk)
  local a, b, body = string.match(vk, '^(%d+)|(%d+)|(.*)$')
  return tonumber(a), tonumber(b), body
end
local OL, OS, OB = unpackKeys(ARGV[2])
for i = 1, #KEYS do
  local b = 2 + (i - 1) * 4
  local key = KEYS[i]
  local basis = ARGV[b + 1]
  local fp = ARGV[b + 2]
  local bar = string.find(basis, '|', 1, true)
  local revText = string.sub(basis, 1, bar - 1)
  local atText = string.sub(basis, bar + 1)
  local rev = tonumber(revText)
  local at = tonumber(atText)
  local cur = redis.call('HMGET', key, 'b', 'f', 'm')
  local crev, cat, cfp, v, since, fv, lv, ls, cvk, sk, fk, lk
  local legacy = false
  if cur[1] then
    local p = string.find(cur[1], '|', 1, true)
    crev = tonumber(string.sub(cur[1], 1, p - 1))
    cat = tonumber(string.sub(cur[1], p + 1))
    cfp = cur[2]
    if cur[3] then v, since, fv, lv, ls, cvk = string.match(cur[3], '^([^|]*)|([^|]*)|([^|]*)|([^|]*)|([^|]*)|(.*)$') end
  else
    local o = redis.call('HMGET', key, unpack(LEGACY))
    if o[1] then
      legacy = true
      crev, cat, cfp, v, since, sk, fk, lk, fv, lv, ls = tonumber(o[1]), tonumber(o[2]), o[3], o[4], o[5], o[6], o[7], o[8], o[9], o[10], o[11]
    end
  end
  if crev and (rev < crev or (rev == crev and at < cat)) then
    out[i] = '0'
  elseif (cfp or ARGV[1]) == fp then
    if legacy then redis.call('HSET', key, 'rev', revText, 'at', atText) else redis.call('HSET', key, 'b', basis) end
    if v then out[i] = '1|' .. v .. '|' .. since .. '|' .. (fv or '') .. '|' .. (lv or '') .. '|' .. (ls or '') else out[i] = '1' end
  else
    local vk = ARGV[b + 3]
    local nl, ns, nb = unpackKeys(vk)
    local fullChanged, limitedChanged, sameState, fvn, lvn
    if cvk then
      local l, s, body = unpackKeys(cvk)
      fullChanged = body ~= nb
      limitedChanged = not (l == nl and string.sub(body, 1, l) == string.sub(nb, 1, nl))
      sameState = s == ns and string.sub(body, 1, s) == string.sub(nb, 1, ns)
      fvn, lvn = tonumber(fv), tonumber(lv)
    elseif v then
      sameState = sk ~= nil and sk == string.sub(nb, 1, ns) .. ']'
      if fk then
        fullChanged = fk ~= nb .. ']'
        limitedChanged = lk ~= string.sub(nb, 1, nl) .. ']'
        fvn, lvn = tonumber(fv), tonumber(lv)
      else
        fullChanged, limitedChanged = true, true
        fvn, lvn = tonumber(v), tonumber(v)
      end
    else
      -- Nothing stored: the offline baseline, version 0 of each view.
      fullChanged = OB ~= nb
      limitedChanged = not (OL == nl and string.sub(OB, 1, OL) == string.sub(nb, 1, nl))
      sameState = false
      fvn, lvn = 0, 0
    end
    local nv = tostring((tonumber(v) or 0) + 1)
    local nsince = atText
    if sameState and since then nsince = since end
    ls = ls or ''
    if fullChanged then fvn = fvn + 1 end
    if limitedChanged then
      lvn = lvn + 1
      ls = atText
    end
    fvn = tostring(fvn)
    lvn = tostring(lvn)
    if legacy then redis.call('HDEL', key, unpack(LEGACY)) end
    redis.call('HSET', key, 'b', basis, 'f', fp, 'm', nv .. '|' .. nsince .. '|' .. fvn .. '|' .. lvn .. '|' .. ls .. '|' .. vk, 'd', ARGV[b + 4])
    out[i] = '2|' .. nv .. '|' .. nsince .. '|' .. fvn .. '|' .. lvn .. '|' .. ls
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

/**
 * The packed view keys the four-field form's commit took, as that version built them (its
 * fingerprint.ts packedViewKeys, verbatim).
 */
function packedViewKeys(d: PresenceDraft): string {
  const q = JSON.stringify;
  const num = (n: number): string => (Number.isFinite(n) ? String(n) : 'null');
  const limited = `[${num(d.availability)},${q(d.class)}`;
  const state = `${limited},${q(d.activity.token)},${d.activity.text === undefined ? 'null' : q(d.activity.text)}`;
  const body = `${state},${d.machineState === undefined ? 'null' : q(d.machineState)},${d.lastActive === undefined ? 'null' : num(d.lastActive)}`;
  return `${limited.length}|${state.length}|${body}`;
}

const OFFLINE_DRAFT: PresenceDraft = offline('');

/** The earlier stored forms: a commit as a hub of that version made it (its script and its arguments), and the fields it leaves. */
const EARLIER = [
  {
    form: 'one field per value',
    fields: ['at', 'd', 'fk', 'fp', 'fv', 'lk', 'ls', 'lv', 'rev', 'since', 'sk', 'v'],
    basis: (person: string): Promise<unknown> => raw.hmget(`${prefix}:pres:${person}`, 'rev', 'at'),
    commit: (draft: PresenceDraft, basis: Basis): Promise<unknown> => {
      const args = [OFFLINE_FINGERPRINT, OFFLINE_FULL_KEY, OFFLINE_LIMITED_KEY, basis.rev, String(basis.at), fingerprint(draft), JSON.stringify(draft), stateKey(draft), fullViewKey(draft), limitedViewKey(draft)];
      return raw.eval(PER_VALUE_COMMIT, 1, `${prefix}:pres:${draft.person}`, ...args);
    },
  },
  {
    form: 'four fields',
    fields: ['b', 'd', 'f', 'm'],
    basis: (person: string): Promise<unknown> => raw.hmget(`${prefix}:pres:${person}`, 'b'),
    commit: (draft: PresenceDraft, basis: Basis): Promise<unknown> => {
      const args = [OFFLINE_FINGERPRINT, packedViewKeys(OFFLINE_DRAFT), `${basis.rev}|${basis.at}`, fingerprint(draft), packedViewKeys(draft), JSON.stringify(draft)];
      return raw.eval(FOUR_FIELD_COMMIT, 1, `${prefix}:pres:${draft.person}`, ...args);
    },
  },
] as const;

describe.each(EARLIER)('the stored presence written in the form of $form', ({ form, fields, commit, basis }) => {
  const tag = form === 'four fields' ? 'f4' : 'pv';
  it('reads and commits as if the hub had never stopped, whatever the step at which it was upgraded', async () => {
    const all = steps('x');
    for (let upgradeAt = 0; upgradeAt <= all.length; upgradeAt++) {
      const person = `${tag}-u${upgradeAt}`;
      const memory = new MemoryStore(systemClock);
      for (const [i, s] of steps(person).entries()) {
        if (i === upgradeAt) {
          // Just upgraded: what the earlier version stored reads as the in-process store has it.
          expect((await p.store.getPresence([person])).get(person), `${person}: read after the upgrade`).toEqual((await memory.getPresence([person])).get(person));
        }
        const entry = { ...s, fingerprint: fingerprint(s.draft) };
        const [expected] = await memory.commitPresence([entry]);
        if (i < upgradeAt) await commit(s.draft, s.basis);
        else expect((await p.store.commitPresence([entry]))[0], `${person}, step ${i}`).toEqual(expected);
      }
      expect((await p.store.getPresence([person])).get(person), person).toEqual((await memory.getPresence([person])).get(person));
      // The first change after the upgrade rewrote the hash in the three-field form, nothing of the
      // old left (the last step is a change); never upgraded, it is still in the earlier form.
      const stored = (await raw.hkeys(`${prefix}:pres:${person}`)).sort();
      expect(stored, person).toEqual(upgradeAt < all.length ? ['b', 'f', 'm'] : [...fields]);
    }
  });

  it('reads a hash of the earlier version before its first change after the upgrade', async () => {
    const person = `${tag}-before`;
    const memory = new MemoryStore(systemClock);
    for (const s of steps(person).slice(0, 4)) {
      await commit(s.draft, s.basis);
      await memory.commitPresence([{ ...s, fingerprint: fingerprint(s.draft) }]);
    }
    const want = (await memory.getPresence([person])).get(person);
    expect(want?.views).toEqual({ full: 2, limited: 1, limitedSince: t + 1 });
    expect((await p.store.getPresence([person])).get(person)).toEqual(want);
    // An older basis is refused, an unchanged one keeps the earlier form.
    const s = steps(person);
    expect((await p.store.commitPresence([{ ...s[4]!, fingerprint: fingerprint(s[4]!.draft) }]))[0]).toEqual({ accepted: false, changed: false });
    expect((await p.store.commitPresence([{ ...s[5]!, fingerprint: fingerprint(s[5]!.draft) }]))[0]).toMatchObject({ accepted: true, changed: false, presence: want });
    // The unchanged commit wrote its basis in the earlier form's fields, and nothing else.
    expect(await basis(person)).toEqual(form === 'four fields' ? [`4|${t + 7.5}`] : ['4', String(t + 7.5)]);
    expect((await raw.hkeys(`${prefix}:pres:${person}`)).sort()).toEqual([...fields]);
    expect((await p.store.getPresence([person])).get(person)).toEqual(want);
  });
});

describe('the stored presence', () => {
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
