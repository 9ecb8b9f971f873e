import { describe, expect, it } from 'vitest';
import { phoneOptionsSchema as phoneSchema, phoneToTel, readPhone, splitExtension } from './phone.ts';

const us = phoneSchema.parse({ defaultCountryCode: '1', nationalPrefix: '' });
const de = phoneSchema.parse({ defaultCountryCode: '49' });
const none = phoneSchema.parse({});

describe('phoneToTel', () => {
  it.each([
    ['+1 (555) 010-1234', us, 'tel:+15550101234'],
    ['555-010-1234', us, 'tel:+15550101234'],
    ['555.100.0109', us, 'tel:+15551000109'],
    ['1 555 010 1234', us, 'tel:+15550101234'],
    ['011 44 20 7946 0018', us, 'tel:+442079460018'],
    ['030 1234567', de, 'tel:+49301234567'],
    ['0049 30 1234567', de, 'tel:+49301234567'],
    ['tel:+44-20-7946-0018', de, 'tel:+442079460018'],
    ['2001', de, 'tel:2001'],
    ['20 01', us, 'tel:2001'],
    ['030 1234567', none, 'tel:0301234567'],
    // Extensions, in the forms directories hold them: the extension is the person's line.
    ['x2003', us, 'tel:2003'],
    ['X300002', us, 'tel:300002'],
    ['ext. 2003', us, 'tel:2003'],
    ['Ext 2003', us, 'tel:2003'],
    ['extension 2003', us, 'tel:2003'],
    ['+1 555 0100 x2003', us, 'tel:2003'],
    ['+1 555 0100, ext. 2003', us, 'tel:2003'],
    ['5550100x12', us, 'tel:12'],
    ['+49 30 1234567;ext=12', de, 'tel:12'],
    ['tel:+1-555-0100;ext=2003', us, 'tel:2003'],
    ['tel:+1-555-0100;phone-context=example.com', us, 'tel:+15550100'],
    ['call me', de, undefined],
    ['call me x2003', de, undefined],
    ['fax 5550100', us, undefined],
    ['', de, undefined],
    ['+1234567890123456', de, undefined],
  ])('%s -> %s', (raw, opts, want) => {
    expect(phoneToTel(raw, opts)).toBe(want);
  });
});

describe('readPhone says why a value is no phone number', () => {
  it.each([
    ['call me', 'not a phone number'],
    ['+1234567890123456', 'more than 15 digits (E.164)'],
    ['+12', 'too short for an international number'],
    ['x1234567890123456', 'an extension of more than 15 digits'],
  ])('%s: %s', (raw, reason) => expect(readPhone(raw, us)).toEqual({ ok: false, reason }));
});

describe('splitExtension', () => {
  it.each([
    ['+1 555 0100 x2003', { number: '+1 555 0100', extension: '2003' }],
    ['x2003', { number: '', extension: '2003' }],
    ['tel:2003', { number: '2003' }],
    ['tel:+15550100;ext=7', { number: '+15550100', extension: '7' }],
  ])('%s', (raw, want) => expect(splitExtension(raw)).toEqual(want));
});
