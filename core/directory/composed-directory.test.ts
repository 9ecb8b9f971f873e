import { describe, expect, it } from 'vitest';
import { personSchema } from '../model/person.ts';
import { silentLogger } from '../util/logger.ts';
import { capturingLogger } from '../../test/support/log-capture.ts';
import { ComposedDirectory } from './composed-directory.ts';
import { phoneOptionsSchema } from './phone.ts';

const person = (id: string, identities: string[]) => personSchema.parse({ id, identities });

describe('ComposedDirectory', () => {
  it('an upsert that retires moves a renamed person in one swap: no table in between has a conflict or nobody', async () => {
    const retired: string[][] = [];
    const seen: { conflicts: number; judyMail: string | undefined }[] = [];
    const { log, lines } = capturingLogger('info');
    const swaps = (): number => lines.filter((l) => l.raw.includes('directory updated')).length;
    const dir = new ComposedDirectory({ base: [], loadedAt: 0, log, connectorIds: ['ldap'], onRetired: (ids) => retired.push(ids) });
    const sink = dir.sink('ldap', () => undefined);
    await sink.replaceAll([person('judy', ['mailto:judy@corp.example', 'tel:2007']), person('mike', [])]);
    const watch = (): void => void seen.push({ conflicts: dir.current.conflicts.length, judyMail: dir.current.resolve('mailto:judy@corp.example') });
    watch();
    const before = swaps();
    await sink.upsert([person('judith', ['mailto:judy@corp.example', 'tel:2007'])], { retire: ['judy'] });
    watch();
    expect(seen).toEqual([
      { conflicts: 0, judyMail: 'judy' },
      { conflicts: 0, judyMail: 'judith' },
    ]);
    // One new table replaced the old one: nothing in between for a lookup to see.
    await new Promise((r) => setImmediate(r));
    expect(swaps() - before).toBe(1);
    expect(retired).toEqual([['judy']]);
    expect([...dir.current.ids()].sort()).toEqual(['judith', 'mike']);
  });

  it("keeps the directory connectors' dialing plans across rebuilds", async () => {
    const us = phoneOptionsSchema.parse({ defaultCountryCode: '1', nationalPrefix: '' });
    const dir = new ComposedDirectory({ base: [], loadedAt: 0, log: silentLogger(), connectorIds: ['ldap'], dialingPlans: [us], onRetired: () => undefined });
    await dir.sink('ldap', () => undefined).replaceAll([person('ivan', ['tel:+15551000109'])]);
    expect(dir.current.resolve('tel:555.100.0109')).toBe('ivan');
  });
});
