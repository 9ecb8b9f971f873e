/**
 * The people file's text to people (pure): the YAML list or CSV table (core/config/load.ts reads
 * both shapes, as README.md "The file" describes), refused whole when an entry is invalid or an id
 * repeats, so the hub only ever gets a complete, valid list.
 */
import { basename } from 'node:path';
import { parsePeopleText } from '../../core/config/load.ts';
import type { Person } from '../../core/model/person.ts';
import { HubError, errorMessage } from '../../core/errors.ts';

export function peopleOfFile(text: string, file: string): Person[] {
  let people: Person[];
  try {
    people = parsePeopleText(text, file);
  } catch (e) {
    throw new HubError('HUB_ERR_PEOPLE_FILE', `bad people file: ${errorMessage(e)}`, { kind: 'transient', cause: e });
  }
  const seen = new Set<string>();
  people.forEach((p, i) => {
    if (seen.has(p.id)) throw new HubError('HUB_ERR_PEOPLE_FILE', `bad people file ${file}: [${i}].id: duplicate person ${p.id}`, { kind: 'transient' });
    seen.add(p.id);
  });
  return people;
}

/** How the directory report names a person's entry: `people.yaml#alice`. */
export function entryOf(file: string, id: string): string {
  return `${basename(file)}#${id}`;
}
