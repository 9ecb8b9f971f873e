import type { HubConfigInput } from '../core/config/schema.ts';

const FIRST = ['alice', 'bob', 'carol', 'dave', 'erin', 'frank', 'grace', 'heidi', 'ivan', 'judy', 'mallory', 'niaj', 'olivia', 'peggy', 'rupert', 'sybil', 'trent', 'uma', 'victor', 'walter', 'xena', 'yusuf', 'zoe', 'amir', 'beatriz'];
const LAST = ['Example', 'Sample'];
const TEAMS = ['support', 'sales', 'engineering', 'finance', 'operations'];

/**
 * The demo configuration `npm start` runs when no configuration is given: 50 people in five teams
 * with SIP, mail and phone identities, and the demo connector acting for them.
 */
export function demoConfig(): HubConfigInput {
  const people = [];
  let n = 0;
  for (const last of LAST) {
    for (const first of FIRST) {
      const id = n < FIRST.length ? first : `${first}.${last.toLowerCase()}`;
      const team = TEAMS[n % TEAMS.length]!;
      const ext = 2001 + n;
      people.push({
        id,
        name: `${first.charAt(0).toUpperCase()}${first.slice(1)} ${last}`,
        identities: [`sip:${id}@corp.example`, `mailto:${id}@corp.example`, `tel:+1555010${String(ext).padStart(4, '0')}`],
        teams: [team],
      });
      n++;
    }
  }
  return {
    server: { port: 8080, host: '127.0.0.1' },
    people,
    connectors: [{ id: 'demo', kind: 'demo', interval: 2, perTick: 4 }],
    demo: true,
  };
}
