// The result of an IPsec transform: the new packet, or a drop with the KAME counter that it bumps.
// Transforms are pure with respect to the host (they touch only the SA they are given); the caller
// (the output/input path) increments the host's counters from `reason`.
import type { Rng } from '../../common/rng.js';
import type { StatName } from '../stats.js';

export type TransformResult = { ok: true; packet: Uint8Array } | { ok: false; reason: StatName; detail?: string };

/** What a transform may need from the host besides the SA. */
export interface TransformEnv {
  rng: Rng;
  /** Wall-clock milliseconds, for lifetime accounting. */
  now: number;
}

export function drop(reason: StatName, detail?: string): TransformResult {
  return detail === undefined ? { ok: false, reason } : { ok: false, reason, detail };
}
