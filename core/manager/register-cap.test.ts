import { describe, expect, it } from 'vitest';
import { registerKey, type Signal } from '../model/signal.ts';
import { KnownRegisters, overCap, type CensusReader } from './register-cap.ts';

const sig = (person: string, endpoint: string): Signal => ({ person, source: 'pbx', endpoint, category: 'phone', expireType: 'device', availability: 6500 });

/** A store's census over `stored` (person -> register keys), answering as PresenceStore.registerCensus does; `asked` records each call. */
function census(stored: Map<string, string[]>, asked: string[][]): CensusReader {
  return async (entries) => {
    asked.push(entries.map((e) => e.person));
    return new Map(
      entries.map((e) => {
        const keys = stored.get(e.person) ?? [];
        return [e.person, keys.length > e.keysAbove ? { count: keys.length, keys: new Set(keys) } : { count: keys.length }];
      }),
    );
  };
}

describe('the register cap with the registers known to be stored', () => {
  it('lets news for known registers pass without a census, and still refuses a new register past the cap', async () => {
    const stored = new Map([['alice', ['a', 'b'].map((e) => registerKey(sig('alice', e)))]]);
    const asked: string[][] = [];
    const known = new KnownRegisters();
    known.note([sig('alice', 'a'), sig('alice', 'b')]);
    expect(await overCap([sig('alice', 'a'), sig('alice', 'b'), sig('alice', 'a')], 2, census(stored, asked), known)).toEqual([]);
    expect(asked).toEqual([]);
    // A new register is counted against the store: alice is at the cap of 2.
    expect(await overCap([sig('alice', 'a'), sig('alice', 'c')], 2, census(stored, asked), known)).toEqual([{ at: 1, person: 'alice', source: 'pbx' }]);
    expect(asked).toEqual([['alice']]);
    // Someone not known is counted as before.
    expect(await overCap([sig('bob', 'a')], 2, census(stored, asked), known)).toEqual([]);
    expect(asked).toEqual([['alice'], ['bob']]);
  });

  it('asks again for people forgotten, and for the first noted beyond its bound', async () => {
    const asked: string[][] = [];
    const known = new KnownRegisters(2);
    known.note([sig('a', 'x'), sig('b', 'x')]);
    known.note([sig('c', 'x')]);
    expect(known.people).toBe(2);
    known.forget(['b']);
    await overCap([sig('a', 'x'), sig('b', 'x'), sig('c', 'x')], 64, census(new Map(), asked), known);
    expect(asked).toEqual([['a', 'b']]);
  });
});
