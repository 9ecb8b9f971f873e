import { attr, child, children, elementNames, escapeXml, parseXml, root, text, XmlError, type XmlNode } from './xml.ts';

/**
 * PIDF (RFC 3863) with the data model (RFC 4479: dm:person, dm:device) and RPID (RFC 4480:
 * activities, user-input). Parsing keeps only what the hub maps; building writes one tuple and
 * one person, the shape Kamailio's presence_xml aggregates and re-distributes.
 */
export interface PidfTuple {
  readonly id: string;
  readonly basic?: 'open' | 'closed';
  readonly contact?: string;
  readonly priority?: number;
  readonly notes: readonly string[];
  readonly timestamp?: string;
  readonly deviceId?: string;
  /** RPID elements some clients put in the tuple's status (pre-RFC 4479 style). */
  readonly activities: readonly string[];
  /** RFC 4480 section 3.15: the usage state of the service. */
  readonly userInput?: UserInput;
}

/**
 * RFC 4480 section 3.15 `<rpid:user-input>`: `active` or `idle` (schema type activeIdle), with the
 * optional `idle-threshold` (seconds without input after which the state is idle, a positive
 * integer) and `last-input` (xs:dateTime of the last input). It may appear in a person, a tuple
 * (service) or a device element.
 */
export interface UserInput {
  readonly state: 'active' | 'idle';
  readonly idleThreshold?: number;
  readonly lastInput?: string;
}

export interface PidfPerson {
  readonly id?: string;
  readonly activities: readonly string[];
  /** Text of <rpid:other> among the activities. */
  readonly otherActivity?: string;
  readonly activityNote?: string;
  readonly from?: string;
  readonly until?: string;
  readonly notes: readonly string[];
  readonly timestamp?: string;
  readonly userInput?: UserInput;
}

export interface PidfDevice {
  readonly id?: string;
  readonly userInput?: UserInput;
}

export interface PidfDocument {
  readonly entity: string;
  readonly tuples: readonly PidfTuple[];
  readonly persons: readonly PidfPerson[];
  readonly devices: readonly PidfDevice[];
  readonly notes: readonly string[];
}

const MAX_ITEMS = 256;

function notes(node: XmlNode | undefined): string[] {
  return children(node, 'note')
    .map((n) => text(n)?.trim())
    .filter((n): n is string => n !== undefined && n !== '');
}

/** The activity tokens of an <rpid:activities> element (RFC 4480 section 3.2); `note` and `other` are not tokens. */
function activityTokens(node: XmlNode | undefined): { tokens: string[]; other?: string; note?: string } {
  if (node === undefined) return { tokens: [] };
  const tokens = elementNames(node).filter((n) => n !== 'note' && n !== 'other');
  const other = text(child(node, 'other'))?.trim();
  const note = text(child(node, 'note'))?.trim();
  return { tokens, ...(other ? { other } : {}), ...(note ? { note } : {}) };
}

/** An element's `<rpid:user-input>`; a value other than active/idle is not one (ignored). */
function userInput(node: XmlNode | undefined): UserInput | undefined {
  const el = child(node, 'user-input');
  const v = text(el)?.trim();
  if (v !== 'active' && v !== 'idle') return undefined;
  const threshold = attr(el, 'idle-threshold')?.trim();
  const last = attr(el, 'last-input')?.trim();
  return {
    state: v,
    ...(threshold !== undefined && /^[1-9]\d{0,8}$/.test(threshold) ? { idleThreshold: Number(threshold) } : {}),
    ...(last !== undefined && last !== '' && !Number.isNaN(Date.parse(last)) ? { lastInput: last } : {}),
  };
}

export function parsePidf(xml: string): PidfDocument {
  const pres = root(parseXml(xml), 'presence');
  const entity = attr(pres, 'entity');
  if (entity === undefined || entity === '') throw new XmlError('PIDF <presence> without an entity attribute (RFC 3863 section 4.1.1)');
  const tupleNodes = children(pres, 'tuple');
  const personNodes = children(pres, 'person');
  const deviceNodes = children(pres, 'device');
  if (tupleNodes.length + personNodes.length + deviceNodes.length > MAX_ITEMS) throw new XmlError(`PIDF with more than ${MAX_ITEMS} tuples, persons and devices`);
  const tuples = tupleNodes.map((t, i): PidfTuple => {
    const status = child(t, 'status');
    const basic = text(child(status, 'basic'))?.trim();
    const contact = child(t, 'contact');
    const priority = Number(attr(contact, 'priority'));
    const acts = activityTokens(child(status, 'activities') ?? child(t, 'activities'));
    const ui = userInput(t) ?? userInput(status);
    const out: PidfTuple = {
      id: attr(t, 'id') ?? `tuple-${i}`,
      notes: notes(t),
      activities: acts.tokens,
      ...(basic === 'open' || basic === 'closed' ? { basic } : {}),
      ...(text(contact)?.trim() ? { contact: text(contact)!.trim() } : {}),
      ...(Number.isFinite(priority) && attr(contact, 'priority') !== undefined ? { priority } : {}),
      ...(text(child(t, 'timestamp'))?.trim() ? { timestamp: text(child(t, 'timestamp'))!.trim() } : {}),
      ...(text(child(t, 'deviceID'))?.trim() ? { deviceId: text(child(t, 'deviceID'))!.trim() } : {}),
      ...(ui !== undefined ? { userInput: ui } : {}),
    };
    return out;
  });
  const persons = personNodes.map((p): PidfPerson => {
    const actsNode = child(p, 'activities');
    const acts = activityTokens(actsNode);
    const from = attr(actsNode, 'from');
    const until = attr(actsNode, 'until');
    const ts = text(child(p, 'timestamp'))?.trim();
    const ui = userInput(p);
    const id = attr(p, 'id');
    return {
      activities: acts.tokens,
      notes: notes(p),
      ...(id !== undefined ? { id } : {}),
      ...(acts.other !== undefined ? { otherActivity: acts.other } : {}),
      ...(acts.note !== undefined ? { activityNote: acts.note } : {}),
      ...(from !== undefined ? { from } : {}),
      ...(until !== undefined ? { until } : {}),
      ...(ts ? { timestamp: ts } : {}),
      ...(ui !== undefined ? { userInput: ui } : {}),
    };
  });
  const devices = deviceNodes.map((d): PidfDevice => {
    const ui = userInput(d);
    const id = attr(d, 'id');
    return { ...(id !== undefined ? { id } : {}), ...(ui !== undefined ? { userInput: ui } : {}) };
  });
  return { entity, tuples, persons, devices, notes: notes(pres) };
}

export interface PidfBuild {
  readonly entity: string;
  readonly tupleId: string;
  readonly personId: string;
  readonly basic: 'open' | 'closed';
  readonly activities: readonly string[];
  readonly note?: string;
  readonly userInput?: 'active' | 'idle';
  readonly contact?: string;
  readonly timestamp?: string;
}

const TOKEN_RE = /^[A-Za-z][A-Za-z0-9-]*$/;

/** Writes PIDF + RPID in the data model's person element (RFC 4479 section 3.3, RFC 4480 section 3.2). */
export function buildPidf(b: PidfBuild): string {
  const e = escapeXml;
  const acts = b.activities.filter((a) => TOKEN_RE.test(a)).map((a) => `<rpid:${a}/>`).join('');
  const lines = [
    '<?xml version="1.0" encoding="UTF-8"?>',
    `<presence xmlns="urn:ietf:params:xml:ns:pidf" xmlns:dm="urn:ietf:params:xml:ns:pidf:data-model" xmlns:rpid="urn:ietf:params:xml:ns:pidf:rpid" entity="${e(b.entity)}">`,
    `<tuple id="${e(b.tupleId)}"><status><basic>${b.basic}</basic></status>`,
    b.contact !== undefined ? `<contact>${e(b.contact)}</contact>` : '',
    b.note !== undefined && b.note !== '' ? `<note>${e(b.note)}</note>` : '',
    b.timestamp !== undefined ? `<timestamp>${e(b.timestamp)}</timestamp>` : '',
    '</tuple>',
    `<dm:person id="${e(b.personId)}">`,
    acts !== '' ? `<rpid:activities>${acts}</rpid:activities>` : '',
    b.userInput !== undefined ? `<rpid:user-input>${b.userInput}</rpid:user-input>` : '',
    b.note !== undefined && b.note !== '' ? `<dm:note>${e(b.note)}</dm:note>` : '',
    '</dm:person>',
    '</presence>',
  ];
  return lines.filter((l) => l !== '').join('\n');
}
