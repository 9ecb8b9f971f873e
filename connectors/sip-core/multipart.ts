import { parseValueParams } from './header-values.ts';
import { parseHead } from './parser.ts';
import { XmlError } from './xml.ts';

/**
 * multipart/related bodies of resource-list NOTIFYs (RFC 4662 section 5, MIME RFC 2046 section
 * 5.1): the root part is RLMI, the other parts are the resources' documents (PIDF, or nested
 * multipart for a resource with several instances). Bounded in parts and depth.
 */
export interface BodyPart {
  readonly contentType: string;
  readonly contentId?: string;
  readonly body: string;
}

const MAX_PARTS = 512;
const MAX_DEPTH = 3;

export function splitMultipart(body: string, contentType: string): BodyPart[] {
  const { params } = parseValueParams(contentType);
  const boundary = params.boundary;
  if (boundary === undefined || boundary === '' || boundary.length > 70) throw new XmlError('multipart body without a valid boundary parameter');
  const delim = `--${boundary}`;
  const pieces = body.split(delim);
  const out: BodyPart[] = [];
  // pieces[0] is the preamble; a piece starting with "--" is the close delimiter's epilogue.
  for (let i = 1; i < pieces.length; i++) {
    const piece = pieces[i]!;
    if (piece.startsWith('--')) break;
    if (out.length >= MAX_PARTS) throw new XmlError(`multipart body with more than ${MAX_PARTS} parts`);
    const p = piece.replace(/^\r?\n/, '');
    const sep = /\r?\n\r?\n/.exec(p);
    const headText = sep === null ? p : p.slice(0, sep.index);
    const partBody = sep === null ? '' : p.slice(sep.index + sep[0].length).replace(/\r?\n$/, '');
    // MIME part headers share the SIP header syntax; parseHead wants a start line first.
    const head = parseHead(`X\r\n${headText}`);
    const ct = head.headers.get('Content-Type') ?? 'text/plain';
    const cid = head.headers.get('Content-ID');
    out.push({ contentType: ct, body: partBody, ...(cid !== undefined ? { contentId: cid } : {}) });
  }
  return out;
}

/** Every part of the given media type, descending into nested multipart parts. */
export function partsOfType(body: string, contentType: string, wanted: string, depth = 0): BodyPart[] {
  const type = parseValueParams(contentType).value;
  if (type === wanted) return [{ contentType, body }];
  if (!type.startsWith('multipart/')) return [];
  if (depth >= MAX_DEPTH) throw new XmlError(`multipart nested deeper than ${MAX_DEPTH}`);
  return splitMultipart(body, contentType).flatMap((p) => partsOfType(p.body, p.contentType, wanted, depth + 1));
}
