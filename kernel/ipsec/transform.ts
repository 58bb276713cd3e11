// The result of an IPsec transform: the new packet, or a drop with the KAME counter that it bumps.
// Transforms are pure with respect to the host (they touch only the SA they are given); the caller
// (the output/input path) increments the host's counters from `reason`.
import type { Rng } from '../../common/rng.js';
import type { StatName } from '../stats.js';
import type { SecAssoc } from '../sad/secassoc.js';

export type TransformResult = { ok: true; packet: Uint8Array } | { ok: false; reason: StatName; detail?: string };

/** What a transform may need from the host besides the SA. */
export interface TransformEnv {
  rng: Rng;
  /** Wall-clock milliseconds, for lifetime accounting. */
  now: number;
}

const U32_MAX = 0xffffffff;

/**
 * Advances the SA's outbound counter (RFC 4303 §3.3.3, RFC 4302 §3.3.2); false if it would cycle and the
 * SA forbids that.
 */
export function advanceSeq(sa: SecAssoc): boolean {
  if (sa.seqOutLo !== U32_MAX) {
    sa.seqOutLo++;
    return true;
  }
  if (sa.esn && sa.seqOutHi !== U32_MAX) {
    sa.seqOutHi++;
    sa.seqOutLo = 0;
    return true;
  }
  // KAME SADB_X_EXT_CYCSEQ: wrap instead of refusing (the peer must not run anti-replay).
  if (!sa.cyclicSeq) return false;
  sa.seqOutLo = 0;
  if (sa.esn) sa.seqOutHi = 0;
  return true;
}

export function drop(reason: StatName, detail?: string): TransformResult {
  return detail === undefined ? { ok: false, reason } : { ok: false, reason, detail };
}
