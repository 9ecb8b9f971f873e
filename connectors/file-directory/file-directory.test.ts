import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { connectorHarness } from '../../test/support/connector-harness.ts';
import type { FileDirectoryConnector } from './connector.ts';
import { fileDirectoryConfigSchema } from './config.ts';
import { fileDirectoryManifest } from './manifest.ts';
import { PeopleFileEditor } from './simulator.ts';
import { connectionTest } from '../../core/connector/test-connection.ts';
import { until } from '../../test/support/wait.ts';

const dir = mkdtempSync(join(tmpdir(), 'ph-file-dir-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const YAML_V1 = `
- id: alice
  name: Alice Example
  identities: ["mailto:alice@corp.example", "tel:+15550101"]
  teams: [sales]
- id: bob
  identities: ["sip:bob@corp.example"]
`;
const YAML_V2 = `${YAML_V1}- id: carol\n  identities: ["mailto:ALICE@corp.example"]\n`;

function setup(file: string) {
  const h = connectorHarness({ id: 'people-file', config: fileDirectoryConfigSchema.parse({ path: file, debounce: '50ms' }) });
  const connector = fileDirectoryManifest.create(h.ctx) as FileDirectoryConnector;
  const sup = h.supervisor({ ...fileDirectoryManifest, create: () => connector });
  return { h, sup, connector };
}

describe('file-directory', () => {
  it('loads a YAML file, reloads it on change, keeps the previous people on a bad file, recovers', async () => {
    const file = join(dir, 'people.yaml');
    writeFileSync(file, YAML_V1);
    const { h, sup, connector } = setup(file);
    await sup.start();
    expect(h.directory.replaced).toHaveLength(1);
    expect(h.directory.replaced[0]!.map((p) => p.id)).toEqual(['alice', 'bob']);

    writeFileSync(file, YAML_V2);
    await until(() => h.directory.replaced.length === 2);
    expect(h.directory.replaced[1]!.map((p) => p.id)).toEqual(['alice', 'bob', 'carol']);
    // alice and carol claim one mailbox (identities compare normalized): a conflict in the report.
    expect(connector.report().conflicts).toEqual([{ identity: 'mailto:alice@corp.example', people: ['alice', 'carol'], entries: ['people.yaml#alice', 'people.yaml#carol'] }]);

    writeFileSync(file, '- id: "bad id!"\n');
    await until(() => sup.health().lastError !== undefined);
    expect(sup.health().lastError).toMatchObject({ code: 'HUB_ERR_PEOPLE_FILE' });
    expect(sup.health().lastError!.message).toMatch(/\[0\]\.id/);
    expect(sup.health().state).toBe('degraded');
    expect(h.directory.replaced).toHaveLength(2);

    // An editor that writes a new file and renames it over the old one.
    new PeopleFileEditor(file).replace(YAML_V1);
    await until(() => h.directory.replaced.length === 3);
    expect(h.directory.replaced[2]!.map((p) => p.id)).toEqual(['alice', 'bob']);
    expect(sup.health().state).toBe('running');
    await sup.stop();
    await sup.stop();
  });

  it('reads CSV and refuses duplicate ids without replacing', async () => {
    const file = join(dir, 'people.csv');
    writeFileSync(file, 'id,name,identities,teams\nalice,Alice,mailto:alice@corp.example;tel:+15550101,sales\n');
    const h = connectorHarness({ id: 'csv', config: fileDirectoryConfigSchema.parse({ path: file }) });
    const c = fileDirectoryManifest.create(h.ctx) as FileDirectoryConnector;
    await c.start();
    expect(h.directory.replaced[0]).toEqual([{ id: 'alice', name: 'Alice', identities: ['mailto:alice@corp.example', 'tel:+15550101'], teams: ['sales'], personal: [], blocked: [] }]);
    writeFileSync(file, 'id,name\nalice,A\nalice,B\n');
    expect(await c.reload()).toBe(false);
    expect(h.directory.replaced).toHaveLength(1);
    expect(await connectionTest(c)).toMatchObject({ ok: false, code: 'HUB_ERR_PEOPLE_FILE' });
    await c.stop();
  });

  it('a missing file fails the start as transient (the supervisor retries)', async () => {
    const h = connectorHarness({ id: 'missing', config: fileDirectoryConfigSchema.parse({ path: join(dir, 'nope.yaml') }) });
    const c = fileDirectoryManifest.create(h.ctx);
    await expect(c.start()).rejects.toMatchObject({ code: 'HUB_ERR_PEOPLE_FILE', kind: 'transient' });
    expect(await connectionTest(c)).toMatchObject({ ok: false, kind: 'transient' });
  });
});
