import { describe, it } from 'vitest';
import { demoThroughHub } from '../../test/support/calendar-demo.ts';
import { DEMO_USER, runDemo } from './simulator-demo.ts';

describe('ews-calendar demo', () => {
  it('examples/ews-calendar.yaml against the demo simulator: alice is busy "In a meeting" through the hub', async () => {
    await demoThroughHub({ runDemo, example: 'examples/ews-calendar.yaml', expected: { kind: 'ews-calendar', url: 'http://127.0.0.1:14780/EWS/Exchange.asmx' }, env: { EWS_USER: DEMO_USER, EWS_PASSWORD: 'demo' } });
  });
});
