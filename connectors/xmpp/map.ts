import type { XmlElement } from '@xmpp/client';
import { CLASS_MIDPOINT } from '../../core/model/availability.ts';
import { CONTAINERS, viewFor, type Container, type Presence } from '../../core/model/presence.ts';

/**
 * Pure mappings between XMPP presence (RFC 6121 section 4.7, XEP-0319 idle, XEP-0256 last
 * activity in presence) and the neutral model. No I/O: the collector and the publisher call these.
 */

export const NS_IDLE = 'urn:xmpp:idle:1';
export const NS_LAST = 'jabber:iq:last';
export const NS_DELAY = 'urn:xmpp:delay';

export type Show = 'chat' | 'away' | 'xa' | 'dnd';
const SHOWS: readonly string[] = ['chat', 'away', 'xa', 'dnd'];

export interface Jid {
  /** `local@domain` (or `domain`), lower case (RFC 7622 section 3.2/3.3: domain and, here, localpart case-folded). */
  readonly bare: string;
  readonly local?: string;
  readonly domain: string;
  /** Case-sensitive (RFC 7622 section 3.4); '' for a bare JID. */
  readonly resource: string;
}

export function parseJid(s: string | undefined): Jid | undefined {
  if (s === undefined || s.length === 0 || s.length > 3071) return undefined;
  const slash = s.indexOf('/');
  const bare = (slash >= 0 ? s.slice(0, slash) : s).toLowerCase();
  const resource = slash >= 0 ? s.slice(slash + 1) : '';
  const at = bare.indexOf('@');
  const domain = at >= 0 ? bare.slice(at + 1) : bare;
  if (domain === '' || /[\s@/]/.test(domain) || (at >= 0 && at === 0)) return undefined;
  return at >= 0 ? { bare, local: bare.slice(0, at), domain, resource } : { bare, domain, resource };
}

/** One resource's presence as the server reported it. */
export interface ResourcePresence {
  readonly show?: Show;
  /** The status text (the first one, or the one without xml:lang). */
  readonly status?: string;
  /** RFC 6121 section 4.7.2.3: -128..127, default 0. */
  readonly priority: number;
  /** Last user input, epoch ms (XEP-0319 `idle since`, or XEP-0256 `seconds` before `now`). */
  readonly idleSince?: number;
}

export type Inbound =
  | { readonly kind: 'available'; readonly from: Jid; readonly to?: Jid; readonly presence: ResourcePresence }
  | { readonly kind: 'unavailable'; readonly from: Jid; readonly to?: Jid }
  | { readonly kind: 'subscribe' | 'subscribed' | 'unsubscribe' | 'unsubscribed' | 'probe'; readonly from: Jid; readonly to?: Jid }
  | { readonly kind: 'error'; readonly from: Jid; readonly to?: Jid; readonly condition: string };

/** Why a presence stanza was refused (bad input from the server: counted, nothing emitted). */
export class PresenceRefused extends Error {}

const MAX_STATUS = 256;

/** Reads a presence stanza (RFC 6121 section 4.7). Throws PresenceRefused for a malformed one. */
export function readPresence(el: XmlElement, now: number): Inbound {
  if (!el.is('presence')) throw new PresenceRefused(`not a presence stanza: <${el.name}>`);
  const from = parseJid(el.attrs.from);
  if (from === undefined) throw new PresenceRefused(`presence without a valid from (${JSON.stringify(el.attrs.from ?? '').slice(0, 80)})`);
  const to = parseJid(el.attrs.to);
  const base = to === undefined ? { from } : { from, to };
  const type = el.attrs.type;
  switch (type) {
    case undefined:
      return { kind: 'available', ...base, presence: readResource(el, now) };
    case 'unavailable':
      return { kind: 'unavailable', ...base };
    case 'subscribe':
    case 'subscribed':
    case 'unsubscribe':
    case 'unsubscribed':
    case 'probe':
      return { kind: type, ...base };
    case 'error': {
      const error = el.getChild('error');
      const condition = error?.children.find((c): c is XmlElement => typeof c !== 'string' && c.attrs.xmlns === 'urn:ietf:params:xml:ns:xmpp-stanzas')?.name ?? 'undefined-condition';
      return { kind: 'error', ...base, condition };
    }
    default:
      throw new PresenceRefused(`presence of unknown type ${JSON.stringify(type).slice(0, 40)} (RFC 6121 section 4.7.1)`);
  }
}

function readResource(el: XmlElement, now: number): ResourcePresence {
  const out: { show?: Show; status?: string; priority: number; idleSince?: number } = { priority: 0 };
  const show = el.getChildText('show');
  if (show !== null) {
    const s = show.trim();
    if (!SHOWS.includes(s)) throw new PresenceRefused(`show ${JSON.stringify(s).slice(0, 40)} is none of away, chat, dnd, xa (RFC 6121 section 4.7.2.1)`);
    out.show = s as Show;
  }
  const statuses = el.getChildren('status');
  const status = statuses.find((s) => s.attrs['xml:lang'] === undefined) ?? statuses[0];
  const text = status?.getText().trim();
  if (text !== undefined && text !== '') out.status = text.length > MAX_STATUS ? `${text.slice(0, MAX_STATUS - 1)}…` : text;
  const priority = el.getChildText('priority');
  if (priority !== null) {
    const p = Number(priority.trim());
    if (!Number.isInteger(p) || p < -128 || p > 127) throw new PresenceRefused(`priority ${JSON.stringify(priority).slice(0, 20)} is not an integer from -128 to 127 (RFC 6121 section 4.7.2.3)`);
    out.priority = p;
  }
  const idle = el.getChild('idle', NS_IDLE)?.attrs.since;
  if (idle !== undefined) {
    const t = Date.parse(idle);
    if (Number.isNaN(t)) throw new PresenceRefused(`idle since ${JSON.stringify(idle).slice(0, 40)} is not a date (XEP-0319)`);
    out.idleSince = Math.min(t, now);
  } else {
    const seconds = el.getChild('query', NS_LAST)?.attrs.seconds;
    if (seconds !== undefined) {
      const s = Number(seconds);
      if (!Number.isInteger(s) || s < 0) throw new PresenceRefused(`last activity seconds ${JSON.stringify(seconds).slice(0, 20)} is not a whole number (XEP-0256)`);
      out.idleSince = now - s * 1000;
    }
  }
  return out;
}

/** What each show means by default (the configuration's `collect.show` overrides). */
export const DEFAULT_SHOW_AVAILABILITY: Readonly<Record<Show | 'available', number>> = {
  chat: 3000,
  available: CLASS_MIDPOINT.available,
  // "Temporarily away" (RFC 6121 section 4.7.2.1): idle but around, the inactive range.
  away: 12_500,
  // "Extended away".
  xa: CLASS_MIDPOINT.away,
  dnd: CLASS_MIDPOINT.dnd,
};

export type ShowOverrides = Partial<Record<Show | 'available', number | keyof typeof CLASS_MIDPOINT>>;

export interface NeutralUserState {
  readonly availability: number;
  readonly text?: string;
}

export function toNeutral(p: ResourcePresence, overrides: ShowOverrides = {}): NeutralUserState {
  const key = p.show ?? 'available';
  const o = overrides[key];
  const availability = o === undefined ? DEFAULT_SHOW_AVAILABILITY[key] : typeof o === 'number' ? o : CLASS_MIDPOINT[o];
  return p.status === undefined ? { availability } : { availability, text: p.status };
}

/**
 * Among a person's available resources, the one that speaks for them: the highest priority
 * (RFC 6121 section 4.7.2.3: what the server itself uses to route to the bare JID), then the one
 * heard from last.
 */
export function chooseResource<R extends { readonly presence: ResourcePresence; readonly at: number }>(resources: ReadonlyMap<string, R>): string | undefined {
  let best: string | undefined;
  let bestR: R | undefined;
  for (const [name, r] of resources) {
    if (bestR === undefined || r.presence.priority > bestR.presence.priority || (r.presence.priority === bestR.presence.priority && r.at >= bestR.at)) {
      best = name;
      bestR = r;
    }
  }
  return best;
}

// --- outbound: the hub's presence as XMPP presence ------------------------------------------------

/** What one subscriber is shown: a show, status and idle time, or `null` (unavailable). */
export interface OutboundState {
  readonly show?: Show;
  readonly status?: string;
  /** ISO time of the last activity (XEP-0319), for idle classes. */
  readonly idle?: string;
}

const SHOW_FOR_CLASS: Record<Presence['class'], Show | undefined | null> = {
  available: undefined,
  busy: 'dnd',
  dnd: 'dnd',
  inactive: 'away',
  'busy-inactive': 'dnd',
  away: 'xa',
  offline: null,
};

/**
 * The presence per container (the core's viewFor decides what each container sees; this only
 * writes it in XMPP terms). JSON-plain: the reconciliation compares and stores it.
 */
export type PublishedStates = Readonly<Record<Container, OutboundState | null>>;

export function toOutbound(p: Presence, baselineSince: number): PublishedStates {
  const out = {} as Record<Container, OutboundState | null>;
  for (const c of CONTAINERS) {
    const v = viewFor(p, c, baselineSince);
    const show = SHOW_FOR_CLASS[v.class];
    if (show === null) {
      out[c] = null;
      continue;
    }
    const s: { show?: Show; status?: string; idle?: string } = {};
    if (show !== undefined) s.show = show;
    if (v.activity.text !== '') s.status = v.activity.text;
    if ((v.class === 'inactive' || v.class === 'away' || v.class === 'busy-inactive') && v.lastActive !== undefined) s.idle = v.lastActive;
    out[c] = s;
  }
  return out;
}
