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

export const MIN_AVAILABILITY = 3000;
export const MAX_AVAILABILITY = 99999;

/**
 * The class of an availability number. The idle range 12000-14999 is split so that the number alone
 * tells the two idle classes apart: 12000-12999 inactive, 13000-14999 busy-inactive.
 */
export function classOf(availability: number): AvailabilityClass {
  if (availability < 6000) return 'available';
  if (availability < 9000) return 'busy';
  if (availability < 12000) return 'dnd';
  if (availability < 13000) return 'inactive';
  if (availability < 15000) return 'busy-inactive';
  if (availability < 18000) return 'away';
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

/** Machine states count as availability numbers too (docs/architecture.md). */
export const MACHINE_AVAILABILITY: Record<MachineState, number> = {
  active: 3500,
  inactive: 3750,
  unknown: 3750,
  away: 15500,
  off: 18500,
};

export function lessActive(a: MachineState, b: MachineState): MachineState {
  return MACHINE_RANK[a] >= MACHINE_RANK[b] ? a : b;
}
