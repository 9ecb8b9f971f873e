import { attr, child, children, parseXml, root, text, XmlError } from './xml.ts';

/** The dialog event package body (RFC 4235 section 4). */
export const DIALOG_STATES = ['trying', 'proceeding', 'early', 'confirmed', 'terminated'] as const;
export type DialogState = (typeof DIALOG_STATES)[number];

export interface DialogEntry {
  readonly id: string;
  readonly callId?: string;
  readonly localTag?: string;
  readonly remoteTag?: string;
  readonly direction?: 'initiator' | 'recipient';
  readonly state: DialogState;
  /** state@event: cancelled, rejected, replaced, local-bye, remote-bye, error, timeout. */
  readonly event?: string;
  readonly code?: number;
  readonly remoteIdentity?: string;
  readonly localIdentity?: string;
}

export interface DialogInfo {
  readonly version: number;
  readonly state: 'full' | 'partial';
  readonly entity: string;
  readonly dialogs: readonly DialogEntry[];
}

const MAX_DIALOGS = 256;

export function parseDialogInfo(xml: string): DialogInfo {
  const di = root(parseXml(xml), 'dialog-info');
  // RFC 4235 section 4.1: version, state and entity are mandatory.
  const versionText = attr(di, 'version');
  if (versionText === undefined || !/^\d{1,10}$/.test(versionText)) throw new XmlError(`dialog-info version ${JSON.stringify(versionText ?? null)} is not a non-negative integer`);
  const state = attr(di, 'state');
  if (state !== 'full' && state !== 'partial') throw new XmlError(`dialog-info state ${JSON.stringify(state ?? null)} is neither full nor partial`);
  const entity = attr(di, 'entity');
  if (entity === undefined || entity === '') throw new XmlError('dialog-info without an entity attribute');
  const nodes = children(di, 'dialog');
  if (nodes.length > MAX_DIALOGS) throw new XmlError(`dialog-info with more than ${MAX_DIALOGS} dialogs`);
  const dialogs = nodes.map((d): DialogEntry => {
    const id = attr(d, 'id');
    if (id === undefined || id === '') throw new XmlError('dialog element without an id');
    const stateNode = child(d, 'state');
    const s = text(stateNode)?.trim();
    if (!DIALOG_STATES.includes(s as DialogState)) throw new XmlError(`dialog ${id} has an unknown state ${JSON.stringify(s ?? null)}`);
    const direction = attr(d, 'direction');
    const code = Number(attr(stateNode, 'code'));
    const opt = (k: string, v: string | undefined): Record<string, string> => (v !== undefined && v !== '' ? { [k]: v } : {});
    return {
      id,
      state: s as DialogState,
      ...opt('callId', attr(d, 'call-id')),
      ...opt('localTag', attr(d, 'local-tag')),
      ...opt('remoteTag', attr(d, 'remote-tag')),
      ...(direction === 'initiator' || direction === 'recipient' ? { direction } : {}),
      ...opt('event', attr(stateNode, 'event')),
      ...(Number.isInteger(code) && attr(stateNode, 'code') !== undefined ? { code } : {}),
      ...opt('remoteIdentity', text(child(child(d, 'remote'), 'identity'))?.trim()),
      ...opt('localIdentity', text(child(child(d, 'local'), 'identity'))?.trim()),
    };
  });
  return { version: Number(versionText), state, entity, dialogs };
}

export function buildDialogInfo(d: DialogInfo): string {
  const e = (s: string): string => s.replace(/[<>&"]/g, (c) => `&#${c.charCodeAt(0)};`);
  const body = d.dialogs
    .map((x) => {
      const a = [`id="${e(x.id)}"`];
      if (x.callId) a.push(`call-id="${e(x.callId)}"`);
      if (x.localTag) a.push(`local-tag="${e(x.localTag)}"`);
      if (x.remoteTag) a.push(`remote-tag="${e(x.remoteTag)}"`);
      if (x.direction) a.push(`direction="${x.direction}"`);
      const remote = x.remoteIdentity ? `<remote><identity>${e(x.remoteIdentity)}</identity></remote>` : '';
      return `<dialog ${a.join(' ')}><state>${x.state}</state>${remote}</dialog>`;
    })
    .join('\n');
  return `<?xml version="1.0"?>\n<dialog-info xmlns="urn:ietf:params:xml:ns:dialog-info" version="${d.version}" state="${d.state}" entity="${e(d.entity)}">\n${body}\n</dialog-info>`;
}
