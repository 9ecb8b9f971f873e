/**
 * DMCC XML framing (ECMA-323 Annex G, "CSTA XML without SOAP", as AE Services uses it on ports
 * 4721/4722): every message is an 8-byte header, then the XML. Bytes 0-1 are the version (0),
 * bytes 2-3 the total length including the header (big-endian, so at most 65 535 bytes), bytes
 * 4-7 the invoke id as four ASCII digits. A TCP read may hold part of a message or several; the
 * deframer cuts the stream at the header's length and refuses a header that cannot be one (the
 * stream is then out of step and the connection must be dropped).
 */
export const HEADER_BYTES = 8;
export const MAX_FRAME_BYTES = 0xffff;

export class FramingError extends Error {
  override readonly name = 'FramingError';
}

export interface Frame {
  /** 0..9999: requests carry the client's id, responses echo it, events carry the server's. */
  readonly invokeId: number;
  readonly xml: string;
}

export function encodeFrame(invokeId: number, xml: string): Buffer {
  if (!Number.isInteger(invokeId) || invokeId < 0 || invokeId > 9999) throw new FramingError(`invoke id ${invokeId} is not 0..9999`);
  const body = Buffer.from(xml, 'utf8');
  const total = HEADER_BYTES + body.length;
  if (total > MAX_FRAME_BYTES) throw new FramingError(`message of ${total} bytes is larger than a DMCC frame (${MAX_FRAME_BYTES})`);
  const out = Buffer.allocUnsafe(total);
  out.writeUInt16BE(0, 0);
  out.writeUInt16BE(total, 2);
  out.write(String(invokeId).padStart(4, '0'), 4, 'latin1');
  body.copy(out, HEADER_BYTES);
  return out;
}

/** Cuts a byte stream into frames; keeps at most one partial frame (bounded by the 16-bit length). */
export class Deframer {
  private pending: Buffer = Buffer.alloc(0);

  /** The complete frames in what has arrived so far; throws FramingError on a header that is not one. */
  push(chunk: Buffer): Frame[] {
    this.pending = this.pending.length === 0 ? chunk : Buffer.concat([this.pending, chunk]);
    const out: Frame[] = [];
    while (this.pending.length >= HEADER_BYTES) {
      const total = this.pending.readUInt16BE(2);
      if (total < HEADER_BYTES) throw new FramingError(`frame length ${total} is shorter than the ${HEADER_BYTES}-byte header`);
      const id = this.pending.toString('latin1', 4, 8);
      if (!/^[0-9]{4}$/.test(id)) throw new FramingError(`invoke id ${JSON.stringify(id)} is not four digits`);
      if (this.pending.length < total) break;
      out.push({ invokeId: Number(id), xml: this.pending.toString('utf8', HEADER_BYTES, total) });
      this.pending = this.pending.subarray(total);
    }
    if (this.pending.length === 0) this.pending = Buffer.alloc(0);
    return out;
  }

  /** Bytes of an incomplete frame still waiting for the rest. */
  get buffered(): number {
    return this.pending.length;
  }
}
