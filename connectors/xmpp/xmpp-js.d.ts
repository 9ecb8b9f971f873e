/**
 * The parts of xmpp.js (@xmpp/client 0.14, @xmpp/component 0.13) this connector uses: the packages
 * ship no type declarations. Kept to what client.ts calls, so a change upstream shows up here.
 */
declare module '@xmpp/client' {
  import type { EventEmitter } from 'node:events';

  export interface XmlElement {
    name: string;
    attrs: Record<string, string | undefined>;
    children: (XmlElement | string)[];
    is(name: string, xmlns?: string): boolean;
    getChild(name: string, xmlns?: string): XmlElement | undefined;
    getChildren(name: string, xmlns?: string): XmlElement[];
    getChildText(name: string, xmlns?: string): string | null;
    getText(): string;
    toString(): string;
  }

  export function xml(name: string, attrs?: Record<string, string | undefined> | null, ...children: (XmlElement | string | undefined)[]): XmlElement;

  /** A client or component connection (@xmpp/connection). */
  export interface XmppEntity extends EventEmitter {
    status: string;
    timeout: number;
    jid: { toString(): string; bare(): { toString(): string } } | null;
    start(): Promise<unknown>;
    stop(): Promise<unknown>;
    disconnect(): Promise<unknown>;
    send(el: XmlElement): Promise<void>;
    reconnect: { stop(): void; reconnect(): Promise<void> };
    iqCaller: { request(el: XmlElement, timeout?: number): Promise<XmlElement> };
    /** Handlers of inbound IQs; one that returns nothing makes xmpp.js answer service-unavailable. */
    iqCallee?: { set(ns: string, name: string, handler: (ctx: { stanza: XmlElement }) => XmlElement | true | undefined): void };
    streamManagement?: EventEmitter & { enabled: boolean; id: string };
    /** Internal hooks the inbound guard wraps (xml-guard.ts). */
    _onData(data: Buffer | string): void;
    _attachParser(parser: EventEmitter): void;
    _streamError(condition: string): Promise<unknown>;
    /** What the connection was created with; `service` is read again by each (re)connect. */
    options: { service: string; domain?: string; lang?: string };
    /** xmpp.js's own handling of a see-other-host stream error (replaced by the link: client.ts). */
    _onSeeOtherHost(error: { element?: XmlElement }): Promise<void>;
  }

  export interface ClientOptions {
    service: string;
    domain: string;
    username?: string;
    password?: string;
    resource?: string;
    timeout?: number;
  }

  export function client(options: ClientOptions): XmppEntity;
}

declare module '@xmpp/component' {
  import type { XmlElement, XmppEntity } from '@xmpp/client';
  export function xml(name: string, attrs?: Record<string, string | undefined> | null, ...children: (XmlElement | string | undefined)[]): XmlElement;
  export function component(options: { service: string; domain: string; password: string }): XmppEntity;
}

declare module '@xmpp/xml' {
  import type { EventEmitter } from 'node:events';
  import type { XmlElement } from '@xmpp/client';
  /** The streaming parser every xmpp.js connection uses (ltx underneath). */
  export class Parser extends EventEmitter {
    write(data: string): void;
    end(data?: string): void;
  }
  export default function xml(name: string, attrs?: Record<string, string | undefined> | null, ...children: (XmlElement | string | undefined)[]): XmlElement;
}
