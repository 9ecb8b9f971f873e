import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { manifests } from '../../../connectors/index.ts';

// Every kind the hub knows runs the one contract suite: a new connector without a fixture fails here.
describe('connector contract coverage', () => {
  it.each(manifests.map((m) => [m.kind]))('%s has a contract fixture', (kind) => {
    const file = join(import.meta.dirname, `${kind}.test.ts`);
    expect(existsSync(file), `add ${file} calling connectorContract()`).toBe(true);
    expect(readFileSync(file, 'utf8')).toMatch(/connectorContract\(/);
  });
});
