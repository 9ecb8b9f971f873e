/**
 * Availability numbers and classes (docs/architecture.md "Availability Rules Manager"; the ranges follow the
 * OCS 2007 aggregation document, Table 8). A higher number is less available.
 */
export const AVAILABILITY_CLASSES = [
  'available',
  'busy',
  'dnd',
  'inactive',
  'busy-inactive',
  'away',
  'offline',
] as const;
export type AvailabilityClass = (typeof AVAILABILITY_CLASSES)[number];

/** Class names accepted as input stand for the middle of their range. */
export const CLASS_MIDPOINT = {
  available: 3500,
  busy: 6500,
  dnd: 9500,
  inactive: 12500,
  'busy-inactive': 13500,
  away: 15500,
  offline: 18500,
} as const satisfies Record<AvailabilityClass, number>;

export const CLASS_LABEL: Record<AvailabilityClass, string> = {
  available: 'Available',
  busy: 'Busy',
  dnd: 'Do not disturb',
  inactive: 'Inactive',
  'busy-inactive': 'Busy (inactive)',
  away: 'Away',
  offline: 'Offline',
};

/**
 * Where each class's range starts (README "Availability rules": available 3000-5999, busy 6000-8999,
 * dnd 9000-11999, inactive 12000-12999, busy-inactive 13000-14999, away 15000-17999, offline 18000+).
 */
export const CLASS_FLOOR = {
  available: 3000,
  busy: 6000,
  dnd: 9000,
  inactive: 12000,
  'busy-inactive': 13000,
  away: 15000,
  offline: 18000,
} as const satisfies Record<AvailabilityClass, number>;

/** The lowest availability number a signal may carry: the start of the available range. */
export const MIN_AVAILABILITY = CLASS_FLOOR.available;
/** The highest availability number a signal may carry (the aggregation document leaves the offline range open; this bounds it). */
export const MAX_AVAILABILITY = 99999;

/**
 * The class of an availability number. The idle range 12000-14999 is split so that the number alone
 * tells the two idle classes apart: 12000-12999 inactive, 13000-14999 busy-inactive.
 */
export function classOf(availability: number): AvailabilityClass {
  if (availability < CLASS_FLOOR.busy) return 'available';
  if (availability < CLASS_FLOOR.dnd) return 'busy';
  if (availability < CLASS_FLOOR.inactive) return 'dnd';
  if (availability < CLASS_FLOOR['busy-inactive']) return 'inactive';
  if (availability < CLASS_FLOOR.away) return 'busy-inactive';
  if (availability < CLASS_FLOOR.offline) return 'away';
  return 'offline';
}

/** Machine states, most active first (total order of the aggregation document). */
export const MACHINE_STATES = ['active', 'inactive', 'unknown', 'away', 'off'] as const;
export type MachineState = (typeof MACHINE_STATES)[number];

export const MACHINE_RANK: Record<MachineState, number> = {
  active: 0,
  inactive: 1,
  unknown: 2,
  away: 3,
  off: 4,
};

/** An inactive or unknown machine: inside the available range, less available than active (3500). */
const IDLE_MACHINE_AVAILABILITY = 3750;

/**
 * Machine states count as availability numbers too (README "Availability rules", step 1): active is
 * available; inactive and unknown stay in the available range, a little less available than active
 * (step 4 turns an available result into inactive when the machine is idle); away and off are the
 * middles of their classes.
 */
export const MACHINE_AVAILABILITY: Record<MachineState, number> = {
  active: CLASS_MIDPOINT.available,
  inactive: IDLE_MACHINE_AVAILABILITY,
  unknown: IDLE_MACHINE_AVAILABILITY,
  away: CLASS_MIDPOINT.away,
  off: CLASS_MIDPOINT.offline,
};

export function lessActive(a: MachineState, b: MachineState): MachineState {
  return MACHINE_RANK[a] >= MACHINE_RANK[b] ? a : b;
}
