import { describe, expect, it } from 'vitest';
import { signalInputSchema } from '../../core/model/signal.ts';
import { normalizeBlocks, DEFAULT_STATUS_MAP, busyStatusOf, type BusyBlock } from './blocks.ts';
import { CalendarEngine } from './engine.ts';

const t = (hhmm: string) => Date.parse(`2026-11-23T${hhmm}:00Z`);
const NOW = t('09:00');
const ID = 'mailto:alice@corp.example';
const engine = (o: Partial<ConstructorParameters<typeof CalendarEngine>[0]> = {}) => new CalendarEngine({ source: 'exchange', details: 'none', lookahead: 8 * 3_600_000, interval: 60_000, ...o });
const block = (from: string, until: string, status: BusyBlock['status'] = 'busy', extra: Partial<BusyBlock> = {}): BusyBlock => ({ from: t(from), until: t(until), status, ...extra });

describe('normalizeBlocks', () => {
  const norm = (blocks: BusyBlock[], details: 'none' | 'subject' = 'none') => normalizeBlocks(blocks, { map: DEFAULT_STATUS_MAP, details, now: NOW }).map((b) => [new Date(b.from).toISOString().slice(11, 16), new Date(b.until).toISOString().slice(11, 16), b.status, b.text]);
  it.each([
    ['one block', [block('10:00', '10:30')], [['10:00', '10:30', 'busy', undefined]]],
    ['an exact duplicate is one block', [block('10:00', '10:30'), block('10:00', '10:30')], [['10:00', '10:30', 'busy', undefined]]],
    ['overlapping blocks of one status merge', [block('10:00', '10:30'), block('10:15', '11:00')], [['10:00', '11:00', 'busy', undefined]]],
    ['touching blocks of one status merge', [block('10:00', '10:30'), block('10:30', '11:00')], [['10:00', '11:00', 'busy', undefined]]],
    ['a busy block inside an OOF day is dropped (it can never decide)', [block('00:00', '23:59', 'oof'), block('10:00', '10:30')], [['00:00', '23:59', 'oof', undefined]]],
    ['an OOF block inside a busy one stays (it is less available)', [block('10:00', '11:00'), block('10:15', '10:30', 'oof')], [['10:00', '11:00', 'busy', undefined], ['10:15', '10:30', 'oof', undefined]]],
    ['free, tentative (default) and unknown say nothing', [block('10:00', '10:30', 'free'), block('11:00', '11:30', 'tentative'), block('12:00', '12:30', 'unknown')], []],
    ['a block already over, or empty, is dropped', [block('08:00', '08:30'), block('10:00', '10:00')], []],
  ])('%s', (_name, blocks, expected) => {
    expect(norm(blocks)).toEqual(expected);
  });

  it('keeps subjects only with details: subject, never for a private block', () => {
    const blocks = [block('10:00', '10:30', 'busy', { subject: 'Merger talks' }), block('11:00', '11:30', 'busy', { subject: 'Secret', isPrivate: true })];
    expect(norm(blocks)).toEqual([['10:00', '10:30', 'busy', undefined], ['11:00', '11:30', 'busy', undefined]]);
    expect(norm(blocks, 'subject')).toEqual([['10:00', '10:30', 'busy', 'Merger talks'], ['11:00', '11:30', 'busy', undefined]]);
  });

  it('two meetings at the same time with different subjects: one block, no subject (neither would be true)', () => {
    expect(norm([block('10:00', '10:30', 'busy', { subject: 'A' }), block('10:00', '10:30', 'busy', { subject: 'B' })], 'subject')).toEqual([['10:00', '10:30', 'busy', undefined]]);
  });

  it.each([['Busy', 'busy'], ['OOF', 'oof'], ['WorkingElsewhere', 'workingElsewhere'], ['NoData', 'unknown'], ['Free', 'free'], ['Sleeping', undefined]])('status word %s is %s', (w, s) => {
    expect(busyStatusOf(w)).toBe(s);
  });
});

describe('CalendarEngine', () => {
  it('sends each block as a windowed calendar signal the public schema accepts', () => {
    const out = engine().apply(ID, { blocks: [block('10:00', '10:30')] }, NOW);
    expect(out).toEqual([expect.objectContaining({ identity: ID, source: 'exchange', category: 'calendar', availability: 'busy', activity: 'in-a-meeting', from: '2026-11-23T10:00:00.000Z', until: '2026-11-23T10:30:00.000Z', expireType: 'time', endpoint: expect.stringMatching(/^cal-[0-9a-f]{16}$/) })]);
    for (const s of out) expect(signalInputSchema.safeParse(s).success).toBe(true);
  });

  it('refreshes without churn: unchanged blocks are not re-sent; a removed block is cleared with a window ending now', () => {
    const e = engine();
    const [a] = e.apply(ID, { blocks: [block('10:00', '10:30'), block('11:00', '11:30')] }, NOW);
    expect(e.apply(ID, { blocks: [block('10:00', '10:30'), block('11:00', '11:30')] }, NOW + 60_000)).toEqual([]);
    const later = NOW + 120_000;
    expect(e.apply(ID, { blocks: [block('11:00', '11:30')] }, later)).toEqual([expect.objectContaining({ endpoint: a!.endpoint, from: new Date(later - 1).toISOString(), until: new Date(later).toISOString() })]);
    // A block whose time is over needs no clearing: its window ended by itself.
    expect(e.apply(ID, { blocks: [] }, t('11:31'))).toEqual([]);
  });

  it('a moved meeting: the new block is sent and the old one cleared', () => {
    const e = engine();
    const [a] = e.apply(ID, { blocks: [block('10:00', '10:30')] }, NOW);
    const out = e.apply(ID, { blocks: [block('10:30', '11:00')] }, NOW + 60_000);
    expect(out.map((s) => [s.endpoint === a!.endpoint, s.from])).toEqual([[false, '2026-11-23T10:30:00.000Z'], [true, new Date(NOW + 60_000 - 1).toISOString()]]);
  });

  it('re-sends unchanged registers only after resendAfter', () => {
    const e = engine({ resendAfter: 600_000 });
    e.apply(ID, { blocks: [block('10:00', '10:30')] }, NOW);
    expect(e.apply(ID, { blocks: [block('10:00', '10:30')] }, NOW + 300_000)).toHaveLength(0);
    expect(e.apply(ID, { blocks: [block('10:00', '10:30')] }, NOW + 600_000)).toHaveLength(1);
  });

  it('out of office: always on is announced to the window end and re-announced only near it; scheduled keeps its window; off clears it', () => {
    const e = engine({ lookahead: 3_600_000 });
    const [first] = e.apply(ID, { blocks: [], oof: { enabled: true } }, NOW);
    expect(first).toMatchObject({ endpoint: 'mailbox-oof', availability: 'away', activity: 'out-of-office', from: new Date(NOW).toISOString(), until: new Date(NOW + 3_600_000).toISOString() });
    expect(e.apply(ID, { blocks: [], oof: { enabled: true } }, NOW + 30 * 60_000)).toEqual([]);
    const renewed = e.apply(ID, { blocks: [], oof: { enabled: true } }, NOW + 59 * 60_000);
    expect(renewed).toEqual([expect.objectContaining({ endpoint: 'mailbox-oof', until: new Date(NOW + 119 * 60_000).toISOString() })]);
    expect(e.apply(ID, { blocks: [], oof: { enabled: true, from: t('08:00'), until: t('18:00') } }, NOW + 60 * 60_000)).toEqual([expect.objectContaining({ from: '2026-11-23T08:00:00.000Z', until: '2026-11-23T18:00:00.000Z' })]);
    expect(e.apply(ID, { blocks: [], oof: { enabled: false } }, NOW + 61 * 60_000)).toEqual([expect.objectContaining({ endpoint: 'mailbox-oof', until: new Date(NOW + 61 * 60_000).toISOString() })]);
  });

  it('what was not read this time (oof, working hours) stands', () => {
    const e = engine({ lookahead: 10 * 3_600_000, workingHours: { outsideAvailability: 'away' } });
    const wh = { timeZone: { name: 'UTC' }, periods: [{ days: ['monday'], startMinutes: 8 * 60, endMinutes: 17 * 60 }] };
    const first = e.apply(ID, { blocks: [], oof: { enabled: true, from: t('08:00'), until: t('18:00') }, workingHours: wh }, NOW);
    expect(first.map((s) => s.activity)).toEqual(['out-of-office', 'off-work']);
    expect(e.apply(ID, { blocks: [] }, NOW + 60_000)).toEqual([]);
  });

  it('counts unreadable working hours and says nothing about them', () => {
    const counted: string[] = [];
    const e = engine({ workingHours: { outsideAvailability: 'away' }, count: (n) => counted.push(n) });
    expect(e.apply(ID, { blocks: [], workingHours: { timeZone: { name: 'Mars Standard Time' }, periods: [{ days: ['monday'], startMinutes: 480, endMinutes: 1020 }] } }, NOW)).toEqual([]);
    expect(counted).toEqual(['working_hours_unreadable']);
  });

  it('a custom status map, forget and retain', () => {
    const e = engine({ statusMap: { tentative: { availability: 'busy', activity: 'tentative' } } });
    expect(e.apply(ID, { blocks: [block('10:00', '10:30', 'tentative')] }, NOW)).toEqual([expect.objectContaining({ availability: 'busy', activity: 'tentative' })]);
    e.forget(ID);
    expect(e.apply(ID, { blocks: [block('10:00', '10:30', 'tentative')] }, NOW)).toHaveLength(1);
    e.retain([]);
    expect(e.apply(ID, { blocks: [block('10:00', '10:30', 'tentative')] }, NOW)).toHaveLength(1);
  });

  it('the window ahead to fetch is [now, now + lookahead)', () => {
    expect(engine({ lookahead: 7_200_000 }).window(NOW)).toEqual({ start: NOW, end: NOW + 7_200_000 });
  });
});
