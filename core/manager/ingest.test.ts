import { describe, expect, it } from 'vitest';
import { Directory } from '../directory/directory.ts';
import { phoneOptionsSchema } from '../directory/phone.ts';
import { personSchema } from '../model/person.ts';
import type { SignalQueue } from '../pipeline/ports.ts';
import { compileRules } from '../rules/rules-config.ts';
import { Ingest } from './ingest.ts';

const people = [
  { id: 'carol', identities: ['mailto:shared@corp.example', 'tel:2003'] },
  { id: 'dave', identities: ['mailto:shared@corp.example'] },
  { id: 'ivan', identities: ['tel:+15551000109'] },
].map((p) => personSchema.parse(p));
const us = phoneOptionsSchema.parse({ defaultCountryCode: '1', nationalPrefix: '' });
const directory = new Directory(people, 0, { dialingPlans: [us] });
const reported: [string, string, string | undefined][] = [];
// prepare() validates and resolves only; it never touches the queue.
const ingest = new Ingest({
  queue: {} as SignalQueue,
  directory: () => directory,
  rules: () => compileRules({}),
  clock: { now: () => 1_000 },
  report: { unknown: (source, subject, reason) => reported.push([source, subject, reason]) },
});
const sig = (over: Record<string, unknown>) => ({ source: 'pbx', category: 'phone', availability: 'busy', ...over });

describe('Ingest refusals name the cause', () => {
  it('a shared identity is a conflict naming both people, in the refusal and on the report', () => {
    const { signals, refusals } = ingest.prepare([sig({ identity: 'MAILTO:Shared@corp.example' })], { single: true });
    expect(signals).toEqual([]);
    expect(refusals).toEqual([
      {
        index: 0,
        code: 'HUB_ERR_IDENTITY_CONFLICT',
        field: 'identity',
        detail: 'identity: identity MAILTO:Shared@corp.example: identity shared by carol and dave; it resolves to nobody until the directory is fixed',
      },
    ]);
    expect(reported.at(-1)).toEqual(['pbx', 'identity MAILTO:Shared@corp.example', 'identity shared by carol and dave; it resolves to nobody until the directory is fixed']);
  });

  it('an identity nobody has stays unknown; a batch item is named by its index', () => {
    const { refusals } = ingest.prepare([sig({ identity: 'tel:2003' }), sig({ identity: 'tel:2099' })]);
    expect(refusals).toEqual([{ index: 1, code: 'HUB_ERR_UNKNOWN_PERSON', field: '[1].identity', detail: '[1].identity: unknown identity tel:2099' }]);
    expect(reported.at(-1)).toEqual(['pbx', 'identity tel:2099', undefined]);
  });

  it('a person with a shared identity is refused as a conflict, not as "does not belong"', () => {
    const { refusals } = ingest.prepare([sig({ person: 'carol', identity: 'mailto:shared@corp.example' })], { single: true });
    expect(refusals[0]).toMatchObject({ code: 'HUB_ERR_IDENTITY_CONFLICT', detail: expect.stringContaining('identity shared by carol and dave') });
    expect(ingest.prepare([sig({ person: 'ivan', identity: 'tel:2003' })], { single: true }).refusals[0]).toMatchObject({
      code: 'HUB_ERR_UNKNOWN_PERSON',
      detail: 'identity: identity tel:2003 does not belong to person ivan',
    });
  });

  it("resolves a signal's tel: in the directory's own format, and an extension written after a number", () => {
    const { signals, refusals } = ingest.prepare([sig({ identity: 'tel:555.100.0109' }), sig({ identity: 'tel:+1 555 0100 x2003' }), sig({ person: 'ivan', identity: 'tel:(555) 100-0109' })]);
    expect(refusals).toEqual([]);
    expect(signals.map((s) => s.person)).toEqual(['ivan', 'carol', 'ivan']);
  });
});
