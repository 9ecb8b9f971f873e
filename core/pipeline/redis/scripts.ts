/**
 * Lua scripts of the Redis store. Each runs atomically in Redis, so the stale/duplicate judgement,
 * the publication stamp and the revision bump of a signal form one step (docs/architecture.md invariant 2),
 * and so does the compare-and-set of a presence. Scripts call TIME: Redis 7 replicates scripts by
 * effects, so a non-deterministic command is allowed.
 */

/** Epoch ms with the microsecond fraction, from Redis's own clock: the one clock of the cluster. */
const NOW = `local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + tonumber(t[2]) / 1000`;

/**
 * KEYS[1] = clock, KEYS[2..] = register hashes. ARGV[1] = the signals, one record each ended by a
 * newline: `<ref>|<sourceVersion or ''>|<sourceTime or ''>|<canonical JSON>`, where ref is the
 * index of the register's reference among ARGV[2..], negative when the signal carries an id
 * (codec.ts applyArgs); ARGV[2..] = the references, `<index into KEYS>|<register field>`, each
 * register once. One string for all signals, not three arguments per signal: Redis and ioredis
 * handle one argument instead of 1 500, and canonical JSON never holds a raw newline.
 * Returns the call's base instant in integer microseconds, then per signal the stamp's offset from
 * it in microseconds (>= 0: applied), -1 (stale) or -2 (duplicate); integers, so neither side
 * formats or parses a decimal per signal.
 * Mirrors judgeIncoming() in core/model/register.ts: the stored signal's `id` repeated is a
 * duplicate; versions decide when both sides carry one, else source times; then an identical
 * observation carrying the same sourceVersion or sourceTime is a duplicate that changes nothing,
 * not even the stamp (without either it is a new observation, stamped again). Stamps strictly
 * increase (by 1 microsecond when the clock has not moved); stored as epoch ms with 3 decimals.
 * The stored id is found without decoding JSON: canonicalSignal writes `id` last, so a register
 * holds that id exactly when its JSON ends with the same tail `,"id":"..."}` (a quote inside a
 * JSON text is escaped, so that tail starts at the only `,"id":"` of a record, and cannot end a
 * register that has no id).
 * Each signal is judged against the register as the signals before it in the call left it: the
 * registers are read once per call (one HMGET per person of the fields met and the revision) and
 * written once at the end (one HSET per person with its last value of every field written and
 * the revision raised by the number applied). The script is atomic, so nobody sees the difference
 * from one write per signal; a burst for one register costs one read and one write, not one per
 * signal, and a stored value is built once per register and call, not once per signal.
 */
export const APPLY = `local t = redis.call('TIME')
local base = tonumber(t[1]) * 1000000 + tonumber(t[2])
local clock = redis.call('GET', KEYS[1])
local last = 0
if clock then last = math.floor(tonumber(clock) * 1000 + 0.5) end
local find, sub = string.find, string.sub
local rec = ARGV[1]
-- The registers met, by reference number; their fields read with the revision, one HMGET per person.
local keyOf, fieldOf, fieldsOf, refsOf, keyOrder = {}, {}, {}, {}, {}
for r = 1, #ARGV - 1 do
  local ref = ARGV[r + 1]
  local bar = find(ref, '|', 1, true)
  local key = KEYS[tonumber(sub(ref, 1, bar - 1))]
  local field = sub(ref, bar + 1)
  keyOf[r] = key
  fieldOf[r] = field
  local f = fieldsOf[key]
  if f == nil then
    f = {'#rev'}
    fieldsOf[key] = f
    refsOf[key] = {}
    keyOrder[#keyOrder + 1] = key
  end
  f[#f + 1] = field
  refsOf[key][#f] = r
end
-- Per register: the text holding its JSON (stored value, or the records once applied), where the
-- JSON starts and ends in it, its sourceVersion and sourceTime ('' when absent); false when empty.
local src, js, je, csv, cst = {}, {}, {}, {}, {}
local rev = {}
for _, key in ipairs(keyOrder) do
  local got = redis.call('HMGET', key, unpack(fieldsOf[key]))
  rev[key] = tonumber(got[1]) or 0
  local refs = refsOf[key]
  for j = 2, #got do
    local c = got[j]
    local r = refs[j]
    if c then
      local p1 = find(c, '|', 1, true)
      local p2 = find(c, '|', p1 + 1, true)
      local p3 = find(c, '|', p2 + 1, true)
      src[r] = c
      js[r] = p3 + 1
      je[r] = #c
      csv[r] = sub(c, 1, p1 - 1)
      cst[r] = sub(c, p1 + 1, p2 - 1)
    else
      src[r] = false
    end
  end
end
local out = {base}
local stampOf, preOf, order, bumps = {}, {}, {}, {}
local stamped = false
local pos, len = 1, #rec
while pos <= len do
  local e = find(rec, '\\n', pos, true)
  local a = find(rec, '|', pos, true)
  local b = find(rec, '|', a + 1, true)
  local d = find(rec, '|', b + 1, true)
  local r = tonumber(sub(rec, pos, a - 1))
  local withId = r < 0
  if withId then r = -r end
  local isv = sub(rec, a + 1, b - 1)
  local ist = sub(rec, b + 1, d - 1)
  local j0, j1 = d + 1, e - 1
  local outcome = 0
  local c = src[r]
  if c then
    local csvr, cstr, cjs, cje = csv[r], cst[r], js[r], je[r]
    if withId then
      local ts = find(rec, ',"id":"', j0, true)
      if ts and ts < j1 then
        local tl = j1 - ts + 1
        if cje - cjs + 1 >= tl and sub(c, cje - tl + 1, cje) == sub(rec, ts, j1) then outcome = -2 end
      end
    end
    if outcome == 0 then
      if isv ~= '' and csvr ~= '' then
        if tonumber(isv) < tonumber(csvr) then outcome = -1 end
      elseif ist ~= '' and cstr ~= '' and tonumber(ist) < tonumber(cstr) then
        outcome = -1
      end
    end
    if outcome == 0 and ((isv ~= '' and isv == csvr) or (ist ~= '' and ist == cstr)) and cje - cjs == j1 - j0 and sub(c, cjs, cje) == sub(rec, j0, j1) then outcome = -2 end
  end
  if outcome == 0 then
    local stamp = base
    if stamp <= last then stamp = last + 1 end
    last = stamp
    stamped = true
    local key = keyOf[r]
    bumps[key] = (bumps[key] or 0) + 1
    -- A field written for the first time in this call joins the write list, in the order met.
    if stampOf[r] == nil then order[#order + 1] = r end
    stampOf[r] = stamp
    preOf[r] = a + 1
    src[r] = rec
    js[r] = j0
    je[r] = j1
    csv[r] = isv
    cst[r] = ist
    out[#out + 1] = stamp - base
  else
    out[#out + 1] = outcome
  end
  pos = e + 1
end
local function ms(us) return string.format('%d.%03d', math.floor(us / 1000), us % 1000) end
if stamped then redis.call('SET', KEYS[1], ms(last)) end
local hset, hkeys = {}, {}
for _, r in ipairs(order) do
  local key = keyOf[r]
  local h = hset[key]
  if h == nil then
    h = {}
    hset[key] = h
    hkeys[#hkeys + 1] = key
  end
  h[#h + 1] = fieldOf[r]
  -- sourceVersion|sourceTime|stamp|JSON, the stored form (codec.ts decodeRegister).
  h[#h + 1] = sub(rec, preOf[r], js[r] - 1) .. ms(stampOf[r]) .. '|' .. sub(rec, js[r], je[r])
end
-- One HSET per person: its last value of each field written and the revision raised by the
-- number of signals applied to it.
for _, key in ipairs(hkeys) do
  local h = hset[key]
  h[#h + 1] = '#rev'
  h[#h + 1] = string.format('%d', rev[key] + bumps[key])
  redis.call('HSET', key, unpack(h))
end
return out`;

/**
 * KEYS = presence hashes. ARGV[1] = the packed fingerprint of an offline presence (fingerprint.ts
 * packFingerprint: `L|S|B|fingerprint`, the fingerprint's first L, S and B characters being the
 * limited view key, the state key and the full view key without their closing `]`); ARGV[2] = the
 * entries, one record per key ended by a newline: `<rev>|<at>|<packed fingerprint>` (one argument
 * for all, not two per person: Redis and ioredis handle 2 arguments instead of 1 000; a
 * fingerprint is JSON text, which never holds a raw newline). Returns one string per entry (one
 * reply element, not a nested array: cheaper for Redis and the node). Refuses ('0') a basis older than the stored one
 * (rev first, then evaluation instant); accepts without change ('1|version|since|full view
 * version|limited view version|limited since') when the fingerprint is the stored one, a person
 * with nothing stored counting as offline (then just '1'); otherwise bumps the version and sets
 * since to the basis instant, or keeps it when the state key is the stored one, and bumps each
 * view's version whose key changed (a limited change also sets its since): '2|...'. Mirrors
 * MemoryStore.commitPresence and fingerprint.ts nextViewStamps. No draft is sent or stored: a
 * draft is its person and its fingerprint (fingerprint.ts draftOfFingerprint), so the caller
 * builds the presence from the draft it sent, and a read rebuilds it from `f`.
 *
 * The hash holds three fields (keys.ts): `b` the basis `rev|at` as sent, `f` the packed fingerprint, `m`
 * `version|since|full view version|limited view version|limited since`; a commit reads three
 * and writes one (no change) or three. Two earlier forms are read as they are, keep their form
 * while nothing changes, and are rewritten in this one (their other fields deleted) at their
 * first change: the four-field form (`b`; `f` the plain fingerprint, starting with `[`; `m` with
 * the packed view keys `L|S|body` after the limited since; `d` the draft JSON), and the form of
 * one field per value (rev, at, fp, v, since, d, sk, fk, lk, fv, lv, ls). One of the latter
 * written before view versions existed (no fk) counts as changed from its own version.
 */
export const COMMIT = `local out = {}
local LEGACY = {'rev', 'at', 'fp', 'v', 'since', 'sk', 'fk', 'lk', 'fv', 'lv', 'ls', 'd'}
local find, sub, match, byte = string.find, string.sub, string.match, string.byte
-- A packed fingerprint: the three key lengths and where the fingerprint starts in it.
local function lengths(pf)
  local l, s, f, at = match(pf, '^(%d+)|(%d+)|(%d+)|()')
  return tonumber(l), tonumber(s), tonumber(f), at
end
local OL, OS, OF, OAT = lengths(ARGV[1])
local rec = ARGV[2]
local pos = 1
for i = 1, #KEYS do
  local key = KEYS[i]
  -- The record: rev|at|packed fingerprint, then a newline.
  local e = find(rec, '\\n', pos, true)
  local b1 = find(rec, '|', pos, true)
  local b2 = find(rec, '|', b1 + 1, true)
  local revText = sub(rec, pos, b1 - 1)
  local atText = sub(rec, b1 + 1, b2 - 1)
  local basis = sub(rec, pos, b2 - 1)
  local pf = sub(rec, b2 + 1, e - 1)
  pos = e + 1
  local rev = tonumber(revText)
  local at = tonumber(atText)
  local nl, ns, nf, nat = lengths(pf)
  local cur = redis.call('HMGET', key, 'b', 'f', 'm')
  -- The stored keys as text, where they start in it and their lengths (ct false: the per-value form's sk, fk, lk).
  local crev, cat, same, v, since, fv, lv, ls, ct, cst, cl, cs, cf, sk, fk, lk
  local form = 0
  if cur[1] then
    local p = find(cur[1], '|', 1, true)
    crev = tonumber(sub(cur[1], 1, p - 1))
    cat = tonumber(sub(cur[1], p + 1))
  else
    local o = redis.call('HMGET', key, unpack(LEGACY))
    if o[1] then
      form = 1
      crev, cat, v, since, sk, fk, lk, fv, lv, ls = tonumber(o[1]), tonumber(o[2]), o[4], o[5], o[6], o[7], o[8], o[9], o[10], o[11]
      same = o[3] == sub(pf, nat)
    end
  end
  if form == 1 and v then
    -- read above
  elseif not cur[2] then
    -- Nothing stored (or only the basis of an offline commit that changed nothing, in either
    -- form): the offline baseline, version 0 of each view.
    same = ARGV[1] == pf
    ct, cst, cl, cs, cf = ARGV[1], OAT, OL, OS, OF
    fv, lv = '0', '0'
  elseif byte(cur[2], 1) == 91 then
    -- The four-field form: a plain fingerprint, the view keys packed at the end of m.
    form = 4
    same = cur[2] == sub(pf, nat)
    local vk
    v, since, fv, lv, ls, vk = match(cur[3], '^([^|]*)|([^|]*)|([^|]*)|([^|]*)|([^|]*)|(.*)$')
    local l, s, body = match(vk, '^(%d+)|(%d+)|()')
    ct, cst, cl, cs, cf = vk, body, tonumber(l), tonumber(s), #vk - body + 1
  else
    form = 3
    same = cur[2] == pf
    v, since, fv, lv, ls = match(cur[3], '^([^|]*)|([^|]*)|([^|]*)|([^|]*)|(.*)$')
    ct = cur[2]
    cl, cs, cf, cst = lengths(ct)
  end
  if crev and (rev < crev or (rev == crev and at < cat)) then
    out[i] = '0'
  elseif same then
    if form == 1 then redis.call('HSET', key, 'rev', revText, 'at', atText) else redis.call('HSET', key, 'b', basis) end
    if v then out[i] = '1|' .. v .. '|' .. since .. '|' .. (fv or '') .. '|' .. (lv or '') .. '|' .. (ls or '') else out[i] = '1' end
  else
    local fullChanged, limitedChanged, sameState
    local fvn, lvn = tonumber(fv), tonumber(lv)
    if ct then
      fullChanged = not (cf == nf and sub(ct, cst, cst + cf - 1) == sub(pf, nat, nat + nf - 1))
      limitedChanged = not (cl == nl and sub(ct, cst, cst + cl - 1) == sub(pf, nat, nat + nl - 1))
      sameState = v ~= nil and cs == ns and sub(ct, cst, cst + cs - 1) == sub(pf, nat, nat + ns - 1)
    else
      sameState = sk ~= nil and sk == sub(pf, nat, nat + ns - 1) .. ']'
      if fk then
        fullChanged = fk ~= sub(pf, nat, nat + nf - 1) .. ']'
        limitedChanged = lk ~= sub(pf, nat, nat + nl - 1) .. ']'
      else
        fullChanged, limitedChanged = true, true
        fvn, lvn = tonumber(v), tonumber(v)
      end
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
    local m = nv .. '|' .. nsince .. '|' .. tostring(fvn) .. '|' .. tostring(lvn) .. '|' .. ls
    if form == 1 then redis.call('HDEL', key, unpack(LEGACY)) elseif form == 4 then redis.call('HDEL', key, 'd') end
    redis.call('HSET', key, 'b', basis, 'f', pf, 'm', m)
    out[i] = '2|' .. m
  end
end
return out`;

/**
 * The register cap's census (PresenceStore.registerCensus), one command for a whole batch. KEYS =
 * register hashes, ARGV[i] = the count above which that person's register keys are wanted. Returns
 * per key {count} or {count, keys...}; count excludes the `#rev` field, keys are the fields that
 * are register keys (source, endpoint and category joined by NUL: `#rev` has none).
 */
export const CENSUS = `local out = {}
for i = 1, #KEYS do
  local n = redis.call('HLEN', KEYS[i])
  if n > 0 then n = n - 1 end
  if n > tonumber(ARGV[i]) then
    local r = {n}
    for _, f in ipairs(redis.call('HKEYS', KEYS[i])) do
      if string.find(f, '\\0', 1, true) then r[#r + 1] = f end
    end
    r[1] = #r - 1
    out[i] = r
  else
    out[i] = {n}
  end
end
return out`;

/**
 * Timeline entries (core/pipeline/redis/timeline-store.ts), one command for a whole batch. KEYS =
 * the people's timeline lists; ARGV[1] = entries kept per person, ARGV[2] = time to live in
 * seconds, ARGV[3] = the number of entries of each key, comma-separated, ARGV[4] = every entry,
 * key after key and oldest first, each ending in a newline (entries are JSON text: one line each).
 * Four arguments, not one per entry: ioredis writes a command as one string of all its arguments,
 * which a thousand small ones make slow to flatten. Each list gets one LPUSH (the newest ends
 * first; of more than `cap` entries only the newest `cap`), one LTRIM and one EXPIRE.
 */
export const TIMELINE_APPEND = `local cap = tonumber(ARGV[1])
local blob = ARGV[4]
local pos = 1
local i = 0
for count in string.gmatch(ARGV[3], '%d+') do
  i = i + 1
  local n = tonumber(count)
  local items = {}
  for j = 1, n do
    local e = string.find(blob, '\\n', pos, true)
    -- Only the newest cap entries can stay: older ones of the same batch are not pushed at all.
    if j > n - cap then items[#items + 1] = string.sub(blob, pos, e - 1) end
    pos = e + 1
  end
  redis.call('LPUSH', KEYS[i], unpack(items))
  redis.call('LTRIM', KEYS[i], 0, cap - 1)
  redis.call('EXPIRE', KEYS[i], ARGV[2])
end
return #KEYS`;

/**
 * KEYS = register hashes; returns one flat array: per hash its revision (`#rev`, '0' when absent),
 * the number of its registers, then their values. One command for many people, no field names sent
 * back (the values hold all a register is) and no nested array per person.
 */
export const READ_REGISTERS = `local out = {}
local n = 0
for i = 1, #KEYS do
  local h = redis.call('HGETALL', KEYS[i])
  local at = n + 1
  out[at] = '0'
  n = n + 2
  for j = 1, #h, 2 do
    if h[j] == '#rev' then out[at] = h[j + 1] else
      n = n + 1
      out[n] = h[j + 1]
    end
  end
  out[at + 1] = n - at - 1
end
return out`;

/**
 * Boundary claim, recorded once per round. KEYS[1] = boundaries, KEYS[2] = rounds (sorted set:
 * round list key -> claim deadline), KEYS[3] = this round's list (a key the node never used
 * before), KEYS[4] = the per-person claims of an earlier version (sorted set person -> deadline,
 * only read and emptied). ARGV[1] = limit, ARGV[2] = claim lease ms.
 * Moves the due people (score <= Redis now, at most `limit`) out of the boundaries into this
 * round's list, and the list into the rounds with a deadline: exactly one node handles each, and
 * a round costs Redis one list and one member of the rounds, not a sorted-set entry per person
 * (written at the claim and removed at the release). Rounds whose deadline passed (their node
 * died) join this round whole (the round may then hold more than `limit`), and so do expired
 * per-person claims of an earlier version. Returns {now, people, next instant: the earliest
 * boundary or deadline, or false}. Only due items are read: nothing scans all people.
 */
export const CLAIM = `${NOW}
now = math.floor(now)
local limit = tonumber(ARGV[1])
local deadline = now + tonumber(ARGV[2])
local out = {}
local due = redis.call('ZRANGEBYSCORE', KEYS[1], '-inf', now, 'LIMIT', 0, limit)
-- The due people are the lowest ranks of the set: one range removal drops exactly them.
if #due > 0 then redis.call('ZREMRANGEBYRANK', KEYS[1], 0, #due - 1) end
for i = 1, #due do out[i] = due[i] end
if #out < limit then
  for _, round in ipairs(redis.call('ZRANGEBYSCORE', KEYS[2], '-inf', now, 'LIMIT', 0, 16)) do
    if #out >= limit then break end
    for _, p in ipairs(redis.call('LRANGE', round, 0, -1)) do out[#out + 1] = p end
    redis.call('DEL', round)
    redis.call('ZREM', KEYS[2], round)
  end
end
if #out < limit then
  local old = redis.call('ZRANGEBYSCORE', KEYS[4], '-inf', now, 'LIMIT', 0, limit - #out)
  for i = 1, #old, 500 do redis.call('ZREM', KEYS[4], unpack(old, i, math.min(i + 499, #old))) end
  for i = 1, #old do out[#out + 1] = old[i] end
end
-- In slices unpack() can take.
for i = 1, #out, 500 do redis.call('RPUSH', KEYS[3], unpack(out, i, math.min(i + 499, #out))) end
if #out > 0 then redis.call('ZADD', KEYS[2], deadline, KEYS[3]) end
local n = redis.call('ZRANGE', KEYS[1], 0, 0, 'WITHSCORES')[2]
for k = 2, 4, 2 do
  local c = redis.call('ZRANGE', KEYS[k], 0, 0, 'WITHSCORES')[2]
  if c and (not n or tonumber(c) < tonumber(n)) then n = c end
end
return {tostring(now), out, n or false}`;

/** The end of a claimed round (RedisBoundaries): KEYS[1] = rounds, KEYS[2] = the round's list. */
export const RELEASE = `redis.call('DEL', KEYS[2])
return redis.call('ZREM', KEYS[1], KEYS[2])`;

/** Lease scripts (core/pipeline/redis/lease.ts): owner-checked, so a node never touches another's lease. */
export const LEASE_ACQUIRE = `local cur = redis.call('GET', KEYS[1])
if cur == ARGV[1] then redis.call('PEXPIRE', KEYS[1], ARGV[2]) return 1 end
if cur then return 0 end
redis.call('SET', KEYS[1], ARGV[1], 'PX', ARGV[2])
return 1`;

export const LEASE_RENEW = `if redis.call('GET', KEYS[1]) == ARGV[1] then
  redis.call('PEXPIRE', KEYS[1], ARGV[2])
  return 1
end
return 0`;

export const LEASE_RELEASE = `if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('DEL', KEYS[1]) end
return 0`;
