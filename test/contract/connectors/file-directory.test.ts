import { mkdtempSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileDirectoryManifest } from '../../../connectors/file-directory/manifest.ts';
import { connectorContract } from '../connector-contract.ts';

// The upstream of a file directory is its file: the outage is the file gone (a share unmounted,
// a deployment that removed it), the recovery is the file back in place.
let dir = '';
const file = (): string => join(dir, 'people.yaml');

connectorContract('file-directory', {
  manifest: fileDirectoryManifest,
  setup: async () => {
    dir = mkdtempSync(join(tmpdir(), 'ph-contract-file-'));
    writeFileSync(file(), '- id: alice\n  identities: ["mailto:alice@corp.example"]\n- id: bob\n  identities: ["sip:bob@corp.example"]\n');
  },
  teardown: async () => rmSync(dir, { recursive: true, force: true }),
  goodConfig: () => ({ path: file(), debounce: '50ms' }),
  invalidConfigs: [
    { config: { path: '' }, field: 'path' },
    { config: { path: '/srv/people.yaml', debounce: 'soon' }, field: 'debounce' },
    { config: { path: '/srv/people.yaml', watch: true }, field: '', mentions: 'watch' },
  ],
  upstream: {
    drop: async () => renameSync(file(), `${file()}.away`),
    restore: async () => renameSync(`${file()}.away`, file()),
  },
  skip: { credentials: 'a local file has no credentials', throttle: 'a local file does not throttle' },
});
