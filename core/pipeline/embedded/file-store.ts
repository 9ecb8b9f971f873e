import { mkdirSync, readdirSync, readFileSync } from 'node:fs';
import { open, rename } from 'node:fs/promises';
import { join } from 'node:path';
import type { ConnectorStore } from '../../connector/contract.ts';
import type { Logger } from '../../util/logger.ts';
import { memoryConnectorStore } from './connector-store.ts';

/**
 * Connector state of embedded mode with a `dataDir`: what the API configured (webhooks,
 * relationships, sign-outs, connector switches) and every connector's `ctx.state` (publishers'
 * reconciliation records) survive a restart. One JSON file per store under `<dataDir>/state/`,
 * loaded at start. Every change is written before the call resolves, atomically: the new content
 * goes to a temporary file that is fsynced and then renamed over the old one (and the directory
 * fsynced), so a crash mid-write leaves the previous complete file, never a torn one. Changes made
 * while a write is in flight are coalesced into the next write.
 */
export class FileConnectorStores {
  private readonly dir: string;
  private readonly files = new Map<string, StoreFile>();

  constructor(dataDir: string, private readonly log: Logger) {
    this.dir = join(dataDir, 'state');
    mkdirSync(this.dir, { recursive: true });
    for (const name of readdirSync(this.dir)) {
      if (!name.endsWith('.json')) continue; // leftovers of an interrupted write are ignored
      const id = decodeURIComponent(name.slice(0, -'.json'.length));
      try {
        const entries = JSON.parse(readFileSync(join(this.dir, name), 'utf8')) as Record<string, string>;
        this.files.set(id, new StoreFile(join(this.dir, name), new Map(Object.entries(entries))));
      } catch (e) {
        // A file that cannot be read is kept aside, not overwritten: an admin may want it.
        throw new Error(`dataDir: ${join(this.dir, name)} is not readable state (${e instanceof Error ? e.message : String(e)}); move it away to start without it`);
      }
    }
    log.info({ dataDir, stores: this.files.size }, 'embedded mode: state kept in dataDir');
  }

  of(id: string): ConnectorStore {
    let f = this.files.get(id);
    if (f === undefined) {
      f = new StoreFile(join(this.dir, `${encodeURIComponent(id)}.json`), new Map());
      this.files.set(id, f);
    }
    return f.store;
  }
}

class StoreFile {
  readonly store: ConnectorStore;
  private chain: Promise<void> = Promise.resolve();
  private queued: Promise<void> | undefined;

  constructor(
    private readonly path: string,
    private readonly map: Map<string, string>,
  ) {
    const mem = memoryConnectorStore(map);
    this.store = {
      get: (keys) => mem.get(keys),
      entries: (prefix) => mem.entries(prefix),
      set: async (entries) => {
        if (entries.length === 0) return;
        await mem.set(entries);
        await this.persist();
      },
      delete: async (keys) => {
        if (keys.length === 0) return;
        await mem.delete(keys);
        await this.persist();
      },
      setIfAbsent: async (key, value) => {
        const had = map.get(key);
        if (had !== undefined) return had;
        await mem.set([[key, value]]);
        await this.persist();
        return value;
      },
    };
  }

  /** Resolves once a write that includes every change made so far is on disk. */
  private persist(): Promise<void> {
    if (this.queued !== undefined) return this.queued;
    const next = this.chain.then(() => {
      this.queued = undefined;
      return this.write();
    });
    this.queued = next;
    this.chain = next.catch(() => undefined);
    return next;
  }

  private async write(): Promise<void> {
    const body = JSON.stringify(Object.fromEntries(this.map));
    const tmp = `${this.path}.${process.pid}.tmp`;
    const fh = await open(tmp, 'w');
    try {
      await fh.writeFile(body);
      await fh.sync();
    } finally {
      await fh.close();
    }
    await rename(tmp, this.path);
    const dir = await open(join(this.path, '..'), 'r');
    try {
      await dir.sync();
    } finally {
      await dir.close();
    }
  }
}
