/** The hub's HTTP API as the dashboard uses it: same origin, the session cookie, JSON. */

export type AvailabilityClass = 'available' | 'busy' | 'dnd' | 'inactive' | 'busy-inactive' | 'away' | 'offline';

export interface View {
  person: string;
  availability: number;
  class: AvailabilityClass;
  activity: { token: string; text: string };
  machineState?: string;
  lastActive?: string;
  since: string;
  version: number;
}

export interface Entry {
  id: string;
  name?: string;
  identities?: string[];
  teams?: string[];
}

export interface Who {
  name: string;
  roles: string[];
  person?: string;
  open: boolean;
}

export class ApiError extends Error {
  constructor(
    readonly status: number,
    message: string,
  ) {
    super(message);
  }
}

export async function api<T>(path: string, init: { method?: string; body?: unknown } = {}): Promise<T> {
  const res = await fetch(path, {
    method: init.method ?? 'GET',
    credentials: 'same-origin',
    headers: init.body === undefined ? {} : { 'content-type': 'application/json' },
    ...(init.body === undefined ? {} : { body: JSON.stringify(init.body) }),
  });
  if (res.status === 204) return undefined as T;
  const text = await res.text();
  const body = text === '' ? undefined : (JSON.parse(text) as unknown);
  if (!res.ok) throw new ApiError(res.status, (body as { detail?: string } | undefined)?.detail ?? `${res.status} ${res.statusText}`);
  return body as T;
}

export const isAdmin = (w: Who | undefined): boolean => w?.roles.includes('admin') === true;
/** Who may see why a person shows what they show (explanation, timeline): admins and the helpdesk. */
export const canExplain = (w: Who | undefined): boolean => isAdmin(w) || w?.roles.includes('helpdesk') === true;

export const enc = encodeURIComponent;
