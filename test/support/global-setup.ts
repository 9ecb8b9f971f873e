/**
 * Starts the real peers the suite needs once per run, on free loopback ports with throwaway data,
 * and stops them afterwards. Each peer lives in its own module under test/support/peers/.
 *
 * Tolerant: a missing peer does not stop the run; it is provided as an error message, and the tests
 * that need it fail at once with the install command (see test/support/redis-url.ts).
 */
import type { TestProject } from 'vitest/node';
import { ensurePackages } from './ensure-packages.ts';
import { startRedis } from './peers/redis.ts';

declare module 'vitest' {
  export interface ProvidedContext {
    /** URL of the run's private redis-server, or '' when it could not be started. */
    redisUrl: string;
    /** Why the redis-server could not be started ('' when it runs). */
    redisError: string;
  }
}

const teardowns: (() => Promise<void>)[] = [];

export async function setup(project: TestProject): Promise<void> {
  ensurePackages();
  try {
    const redis = await startRedis();
    teardowns.push(() => redis.stop());
    project.provide('redisUrl', redis.url);
    project.provide('redisError', '');
  } catch (e) {
    project.provide('redisUrl', '');
    project.provide('redisError', e instanceof Error ? e.message : String(e));
  }
}

export async function teardown(): Promise<void> {
  for (const t of teardowns.reverse()) await t();
}
