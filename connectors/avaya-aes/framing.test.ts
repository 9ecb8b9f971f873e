import { describe, expect, it } from 'vitest';
import { Deframer, encodeFrame, FramingError, HEADER_BYTES, MAX_FRAME_BYTES } from './framing.ts';

describe('DMCC framing (8-byte header: version, total length big-endian, 4-digit invoke id)', () => {
  it('writes the header as AE Services reads it', () => {
    const f = encodeFrame(7, '<a/>');
    expect(f.readUInt16BE(0)).toBe(0);
    expect(f.readUInt16BE(2)).toBe(HEADER_BYTES + 4);
    expect(f.toString('latin1', 4, 8)).toBe('0007');
    expect(f.toString('utf8', 8)).toBe('<a/>');
  });

  it('counts bytes, not characters, in the length', () => {
    const f = encodeFrame(1, '<a>é€</a>');
    expect(f.readUInt16BE(2)).toBe(f.length);
    expect(new Deframer().push(f)).toEqual([{ invokeId: 1, xml: '<a>é€</a>' }]);
  });

  it('reassembles partial frames and splits coalesced ones, byte by byte', () => {
    const stream = Buffer.concat([encodeFrame(1, '<one/>'), encodeFrame(9999, '<two>x</two>'), encodeFrame(42, '<three/>')]);
    const d = new Deframer();
    const got = [];
    for (let i = 0; i < stream.length; i++) got.push(...d.push(stream.subarray(i, i + 1)));
    expect(got).toEqual([
      { invokeId: 1, xml: '<one/>' },
      { invokeId: 9999, xml: '<two>x</two>' },
      { invokeId: 42, xml: '<three/>' },
    ]);
    expect(d.buffered).toBe(0);
    expect(new Deframer().push(stream).map((f) => f.invokeId)).toEqual([1, 9999, 42]);
  });

  it('keeps an incomplete frame until the rest arrives', () => {
    const f = encodeFrame(3, '<abc/>');
    const d = new Deframer();
    expect(d.push(f.subarray(0, 5))).toEqual([]);
    expect(d.push(f.subarray(5, 10))).toEqual([]);
    expect(d.buffered).toBe(10);
    expect(d.push(f.subarray(10))).toEqual([{ invokeId: 3, xml: '<abc/>' }]);
  });

  it.each([
    ['a length shorter than the header', Buffer.from([0, 0, 0, 4, 0x30, 0x30, 0x30, 0x31]), /shorter/],
    ['an invoke id that is not four digits', Buffer.from([0, 0, 0, 9, 0x41, 0x30, 0x30, 0x31, 0x3c]), /four digits/],
  ])('refuses %s', (_n, bytes, re) => {
    expect(() => new Deframer().push(bytes)).toThrow(FramingError);
    expect(() => new Deframer().push(bytes)).toThrow(re);
  });

  it('refuses to write what does not fit a frame', () => {
    expect(() => encodeFrame(10_000, '<a/>')).toThrow(/0\.\.9999/);
    expect(() => encodeFrame(1, 'x'.repeat(MAX_FRAME_BYTES))).toThrow(/larger than a DMCC frame/);
  });
});
