/**
 * Key layout of Redis mode, all under one prefix so that several hubs (and every test) can share a
 * server. Person ids are opaque strings: they are only ever the tail of a key, never parsed back.
 */
export interface Keys {
  readonly prefix: string;
  /** Hash: register key -> `sourceVersion|sourceTime|stamp|canonical JSON`, plus `#rev`. */
  registers(person: string): string;
  /** Hash: b (the basis rev|at), f (the fingerprint with its view key lengths), m (version, since, view versions); scripts.ts COMMIT. */
  presence(person: string): string;
  /** String: the last publication stamp handed out (strictly increasing). */
  readonly clock: string;
  /** Sorted set: person -> next time boundary (epoch ms). */
  readonly boundaries: string;
  /** Sorted set: round list key -> claim deadline, for rounds of boundaries a node has taken but not finished. */
  readonly rounds: string;
  /** List: the people of one claimed round (`id`: the node id and its claim count). */
  boundaryRound(id: string): string;
  /** Sorted set: person -> claim deadline, the claims of an earlier version (read and emptied by scripts.ts CLAIM). */
  readonly claimed: string;
  /** Pub/sub channel of presence changes. */
  readonly bus: string;
  /** Pub/sub channel of shared-state notices (notices.ts). */
  readonly notice: string;
  lease(name: string): string;
  /** Hash: durable state of one connector instance (ConnectorContext.state), key -> value. */
  connectorState(connectorId: string): string;
  /** A person's recent history (capped list). */
  timeline(person: string): string;
  /** BullMQ key prefix (BullMQ appends `:<queue>:...`). */
  readonly bullPrefix: string;
}

export function keys(prefix: string): Keys {
  return {
    prefix,
    registers: (p) => `${prefix}:reg:${p}`,
    presence: (p) => `${prefix}:pres:${p}`,
    clock: `${prefix}:clock`,
    boundaries: `${prefix}:bnd`,
    rounds: `${prefix}:bnd:rounds`,
    boundaryRound: (id) => `${prefix}:bnd:round:${id}`,
    claimed: `${prefix}:bnd:claimed`,
    bus: `${prefix}:bus`,
    notice: `${prefix}:notice`,
    lease: (name) => `${prefix}:lease:${name}`,
    connectorState: (id) => `${prefix}:cstate:${id}`,
    timeline: (person) => `${prefix}:tl:${person}`,
    bullPrefix: `${prefix}:bull`,
  };
}
