import type { ConnectorStore } from '../../connector/contract.ts';

/**
 * Connector state of the embedded mode (ConnectorContext.state): one Map per connector id, owned
 * by the pipeline, so it outlives a connector's stop and restart within the process.
 */
export class MemoryConnectorStores {
  private readonly maps = new Map<string, Map<string, string>>();

  of(connectorId: string): ConnectorStore {
    let m = this.maps.get(connectorId);
    if (m === undefined) {
      m = new Map();
      this.maps.set(connectorId, m);
    }
    return memoryConnectorStore(m);
  }
}

/** A ConnectorStore over a Map (tests and contexts without a pipeline use a fresh one). */
export function memoryConnectorStore(m: Map<string, string> = new Map()): ConnectorStore {
  return {
    async get(keys) {
      const out = new Map<string, string>();
      for (const k of keys) {
        const v = m.get(k);
        if (v !== undefined) out.set(k, v);
      }
      return out;
    },
    async set(entries) {
      for (const [k, v] of entries) m.set(k, v);
    },
    async delete(keys) {
      for (const k of keys) m.delete(k);
    },
    async setIfAbsent(key, value) {
      const had = m.get(key);
      if (had !== undefined) return had;
      m.set(key, value);
      return value;
    },
    async entries(prefix) {
      return new Map([...m].filter(([k]) => k.startsWith(prefix)));
    },
  };
}
