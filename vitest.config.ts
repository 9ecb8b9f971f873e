import { defineConfig } from 'vitest/config';
import { tiers } from './test/support/tiers.ts';

// Three tiers (docs/connectors.md "Test tiers"): `npx vitest run --project unit` needs only Node;
// integration and e2e start their peers in the global setup. Without --project, all three run.
const t = tiers(import.meta.dirname);
const peers = { globalSetup: ['test/support/global-setup.ts'] };

export default defineConfig({
  test: {
    exclude: ['node_modules/**', 'api/dashboard/**/node_modules/**'],
    testTimeout: 30_000,
    hookTimeout: 60_000,
    // Two cores: keep the number of forks small so that real peers (Redis, Kamailio, slapd) get CPU.
    pool: 'forks',
    maxWorkers: 2,
    projects: [
      // Unit files share their fork's module cache (isolate: false): each fork imports fastify, BullMQ,
      // the Graph and EWS clients once instead of once per file, which was most of test:unit's CPU.
      // So a unit test leaves no state behind: it restores fake timers and env vars it changes.
      // Six forks on two cores: unit tests mostly wait (simulators, timers, sockets), and a fork that
      // waits leaves its core to another. Vitest runs projects with their own maxWorkers in their own
      // group (groupOrder): `npm test` runs the unit tier first, then integration and e2e together.
      { extends: true, test: { name: 'unit', include: t.unit, isolate: false, maxWorkers: 6, sequence: { groupOrder: 0 } } },
      { extends: true, test: { name: 'integration', include: t.integration, ...peers, sequence: { groupOrder: 1 } } },
      { extends: true, test: { name: 'e2e', include: t.e2e, ...peers, sequence: { groupOrder: 1 } } },
    ],
  },
});
