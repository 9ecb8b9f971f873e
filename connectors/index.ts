import type { ConnectorManifest } from '../core/connector/contract.ts';
import { demoManifest } from './demo/manifest.ts';

/**
 * Every connector kind the hub knows, listed by hand: deleting a connector's folder and its line
 * here removes it entirely.
 */
export const manifests: readonly ConnectorManifest[] = [demoManifest];

export const manifestsByKind: ReadonlyMap<string, ConnectorManifest> = new Map(manifests.map((m) => [m.kind, m]));
