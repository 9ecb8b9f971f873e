/**
 * Connector leases (docs/architecture.md "Two modes"): each connector instance runs on exactly one node at a
 * time. A lease is held by an owner (the node id) for a time to live and must be renewed before it
 * runs out; an owner only ever renews or releases its own lease. Redis mode implements this port in
 * core/pipeline/redis/lease.ts; embedded mode is one node, so its lease is always granted.
 */
export interface LeasePort {
  /** Takes the lease when free (or already ours, then extends it). */
  acquire(name: string, owner: string, ttlMs: number): Promise<boolean>;
  /** Extends our lease; false when it is no longer ours (expired and possibly taken by another node). */
  renew(name: string, owner: string, ttlMs: number): Promise<boolean>;
  /** Gives the lease up if it is ours, so another node can take it at once. */
  release(name: string, owner: string): Promise<void>;
  /** The current holder, where the lease store can tell (admin). */
  holder?(name: string): Promise<string | undefined>;
}

/**
 * Renewed every second by its holder; a node waiting for it asks every half second, so a dead
 * holder's lease moves within about 3.5 s (docs/architecture.md invariant 8) for two Redis calls a second per
 * connector per node.
 */
export const DEFAULT_LEASE_TTL_MS = 3000;

/** One node: every lease is granted to whoever asks (embedded mode). */
export class EmbeddedLease implements LeasePort {
  async acquire(): Promise<boolean> {
    return true;
  }
  async renew(): Promise<boolean> {
    return true;
  }
  async release(): Promise<void> {}
}
