import { HubError, errorMessage, isHubError } from '../../core/errors.ts';
import type { DmccClient } from './client.ts';
import type { Incoming, LocalState } from './messages.ts';
import { getDeviceId, monitorStart, monitorStop, snapshotDevice } from './requests.ts';

/**
 * Starting one line's monitor: GetThirdPartyDeviceId (or GetDeviceId), MonitorStart with the
 * call-control filter, then SnapshotDevice for the calls already there. A refusal that concerns
 * this extension only (unknown extension, no licence, not permitted) is a `LineRefusal`, which the
 * collector puts on the directory report; anything else (timeout, dropped connection) is the
 * connection's problem and is thrown on.
 */
export class LineRefusal extends Error {
  override readonly name = 'LineRefusal';
  constructor(
    readonly code: `HUB_ERR_${string}`,
    message: string,
  ) {
    super(message);
  }
}

/** A CSTA error on a per-device request as the reason an administrator can act on. */
export function lineRefusal(extension: string, step: string, m: Extract<Incoming, { kind: 'csta-error' }>): LineRefusal {
  const what = `${m.category}${m.value !== '' ? `/${m.value}` : ''}`;
  if (/invalid.*Device|invalidMonitorObject|invalidObjectType|notSameDevice/i.test(m.value) || m.category === 'operation' && /device/i.test(m.value))
    return new LineRefusal('HUB_ERR_AES_UNKNOWN_EXTENSION', `extension ${extension}: ${step} refused (${what}): not administered on the switch connection, or not a station`);
  if (/privilegeViolation/i.test(m.value) || m.category === 'security')
    return new LineRefusal('HUB_ERR_AES_NOT_PERMITTED', `extension ${extension}: ${step} refused (${what}): the CTI user may not monitor it (unrestricted access or the security database)`);
  if (m.category === 'subscribedResourceAvailability' || m.category === 'systemResourceAvailibility' || m.category === 'systemResourceAvailability' || /Limit|licen/i.test(m.value))
    return new LineRefusal('HUB_ERR_AES_LICENCE', `extension ${extension}: ${step} refused (${what}): no DMCC licence or monitor left`);
  return new LineRefusal('HUB_ERR_AES_MONITOR', `extension ${extension}: ${step} refused (${what})`);
}

/**
 * MonitorStart went out and its answer cannot be used: unreadable, of another kind, or none within
 * requestTimeout. AE Services may have started the monitor all the same (it then sends the
 * device's events under a monitorCrossRefID the hub never learnt), so the outcome is unknown and
 * counts as possibly applied (docs/architecture.md, "Lifecycle, errors, health").
 */
export class MonitorOutcomeUnknown extends Error {
  override readonly name = 'MonitorOutcomeUnknown';
  constructor(
    readonly extension: string,
    override readonly cause: HubError,
  ) {
    super(cause.message);
  }
}

export interface Monitored {
  readonly device: string;
  readonly crossRefId: string;
}

function check(extension: string, step: string, m: Incoming, kind: Incoming['kind']): void {
  if (m.kind === 'csta-error') throw lineRefusal(extension, step, m);
  if (m.kind !== kind) throw new HubError('HUB_ERR_AES_BAD_MESSAGE', `extension ${extension}: ${step} answered with ${m.kind === 'other' ? m.name : m.kind}`, { kind: 'transient' });
}

export async function startMonitor(client: DmccClient, o: { extension: string; switchName: string; deviceIds: 'third-party' | 'first-party'; onMonitor(m: Monitored): void }): Promise<Monitored> {
  const d = await client.request(getDeviceId(o.deviceIds, o.switchName, o.extension), `GetDeviceId ${o.extension}`);
  check(o.extension, o.deviceIds === 'third-party' ? 'GetThirdPartyDeviceId' : 'GetDeviceId', d, 'device-id');
  const device = (d as Extract<Incoming, { kind: 'device-id' }>).device;
  let crossRefId = '';
  // Registered in the same turn as the answer, so that the first event of the monitor finds its line.
  let m: Incoming;
  try {
    m = await client.request(monitorStart(device), `MonitorStart ${o.extension}`, (a) => {
      if (a.kind === 'monitor-started') {
        crossRefId = a.crossRefId;
        o.onMonitor({ device, crossRefId });
      }
    });
  } catch (e) {
    // A dropped connection ends the session and its monitors with it; these two leave a monitor the hub cannot name.
    if (isHubError(e) && (e.code === 'HUB_ERR_AES_BAD_MESSAGE' || e.code === 'HUB_ERR_AES_TIMEOUT')) throw new MonitorOutcomeUnknown(o.extension, e);
    throw e;
  }
  if (m.kind !== 'monitor-started' && m.kind !== 'csta-error') {
    throw new MonitorOutcomeUnknown(o.extension, new HubError('HUB_ERR_AES_BAD_MESSAGE', `extension ${o.extension}: MonitorStart answered with ${m.kind === 'other' ? m.name : m.kind}`, { kind: 'transient' }));
  }
  check(o.extension, 'MonitorStart', m, 'monitor-started');
  return { device, crossRefId };
}

/** Re-reads the calls at a device; `apply` runs before any event that follows the answer. Undefined when the switch cannot say. */
export async function snapshot(client: DmccClient, extension: string, device: string, apply: (calls: readonly { callId: string; state?: LocalState }[]) => void): Promise<boolean> {
  const m = await client.request(snapshotDevice(device), `SnapshotDevice ${extension}`, (a) => {
    if (a.kind === 'snapshot') apply(a.calls);
  });
  return m.kind === 'snapshot';
}

export async function stopMonitor(client: DmccClient, crossRefId: string): Promise<void> {
  try {
    await client.request(monitorStop(crossRefId), 'MonitorStop');
  } catch {
    // The monitor ends with the session anyway.
  }
}

/** Runs `fn` over `items` with at most `n` in flight; a rejection other than LineRefusal stops the run and is thrown. */
export async function pool<T>(items: readonly T[], n: number, fn: (item: T) => Promise<void>): Promise<void> {
  let next = 0;
  let failure: unknown;
  const worker = async (): Promise<void> => {
    while (failure === undefined && next < items.length) {
      const item = items[next++]!;
      try {
        await fn(item);
      } catch (e) {
        failure ??= e;
      }
    }
  };
  await Promise.all(Array.from({ length: Math.min(n, items.length) }, worker));
  if (failure !== undefined) throw isHubError(failure) ? failure : new HubError('HUB_ERR_AES_MONITOR', errorMessage(failure), { kind: 'transient' });
}
