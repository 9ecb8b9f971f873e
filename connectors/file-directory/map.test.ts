import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { entryOf, peopleOfFile } from './map.ts';

const fixture = (n: string): string => readFileSync(new URL(`./fixtures/${n}`, import.meta.url), 'utf8');
const ALICE = { id: 'alice', name: 'Alice Example', identities: ['mailto:alice@corp.example', 'tel:+15550101', 'sip:alice@corp.example'], teams: ['sales'], personal: [], blocked: [] };

describe('peopleOfFile', () => {
  it.each([
    ['people.yaml', 'YAML'],
    ['people.csv', 'CSV'],
  ])('reads the documented %s example (%s)', (name) => {
    const people = peopleOfFile(fixture(name), `/etc/presence-hub/${name}`);
    expect(people.map((p) => p.id)).toEqual(['alice', 'bob']);
    expect(people[0]).toEqual(ALICE);
    expect(people[1]!.identities).toEqual(['sip:bob@corp.example']);
  });

  it.each([
    ['an invalid id, naming the entry', 'people.yaml', '- id: "bad id!"\n', /\[0\]\.id/],
    ['a duplicate id', 'people.csv', 'id,name\nalice,A\nalice,B\n', /\[1\]\.id: duplicate person alice/],
    ['a YAML document that is not a list', 'people.yaml', 'id: alice\n', /expected a list of people/],
    ['malformed YAML', 'people.yaml', '- id: [alice\n', /bad people file/],
  ])('refuses %s as a whole', (_what, name, text, message) => {
    expect(() => peopleOfFile(text, name)).toThrow(message);
    try {
      peopleOfFile(text, name);
    } catch (e) {
      expect(e).toMatchObject({ code: 'HUB_ERR_PEOPLE_FILE', kind: 'transient' });
    }
  });

  it('an empty file is no people', () => expect(peopleOfFile('', 'people.yaml')).toEqual([]));
});

describe('entryOf', () => {
  it('names the file and the id', () => expect(entryOf('/srv/people.yaml', 'alice')).toBe('people.yaml#alice'));
});
