import { describe, it } from 'vitest';
import { demoThroughHub } from '../../test/support/calendar-demo.ts';
import { runDemo } from './simulator-demo.ts';

describe('domino-calendar demo', () => {
  it('examples/domino-calendar.yaml against the demo simulator: alice is busy "In a meeting" through the hub', async () => {
    await demoThroughHub({ runDemo, example: 'examples/domino-calendar.yaml', expected: { kind: 'domino-calendar', url: 'http://127.0.0.1:14880' }, env: { DOMINO_PASSWORD: 'demo' } });
  });
});
