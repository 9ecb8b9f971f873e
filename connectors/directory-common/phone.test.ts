import { describe, expect, it } from 'vitest';
import { phoneOptionsSchema as phoneSchema, phoneToTel } from './phone.ts';

const us = phoneSchema.parse({ defaultCountryCode: '1', nationalPrefix: '' });
const de = phoneSchema.parse({ defaultCountryCode: '49' });
const none = phoneSchema.parse({});

describe('phoneToTel', () => {
  it.each([
    ['+1 (555) 010-1234', us, 'tel:+15550101234'],
    ['555-010-1234', us, 'tel:+15550101234'],
    ['1 555 010 1234', us, 'tel:+15550101234'],
    ['011 44 20 7946 0018', us, 'tel:+442079460018'],
    ['030 1234567', de, 'tel:+49301234567'],
    ['0049 30 1234567', de, 'tel:+49301234567'],
    ['+49 30 1234567 x12', de, 'tel:+49301234567'],
    ['+49 30 1234567;ext=12', de, 'tel:+49301234567'],
    ['tel:+44-20-7946-0018', de, 'tel:+442079460018'],
    ['2001', de, 'tel:2001'],
    ['20 01', us, 'tel:2001'],
    ['030 1234567', none, 'tel:0301234567'],
    ['call me', de, undefined],
    ['', de, undefined],
    ['+1234567890123456', de, undefined],
  ])('%s -> %s', (raw, opts, want) => {
    expect(phoneToTel(raw, opts)).toBe(want);
  });
});
