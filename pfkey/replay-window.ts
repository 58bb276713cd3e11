// How an anti-replay window travels in PF_KEY (FreeBSD key_setsaval/key_setsadbsa, setkey -r): the one-byte
// sadb_sa_replay holds the window in BYTES of bitmap (8 packets each, so at most 255 × 8 = 2040 packets);
// larger windows add SADB_X_EXT_SA_REPLAY, which counts PACKETS, with sadb_sa_replay saturated at 255.
import { SADB_X_EXT_OLD } from './constants.js';
import type { SadbSa } from './ext/sa.js';
import type { SadbXSaReplay } from './ext/x-sa-replay.js';

const SA_REPLAY_MAX_BYTES = 0xff;

/** The sadb_sa_replay byte and, for windows above 255 bytes, the SA_REPLAY extension (setkey -r). */
export function replayWindowToWire(windowBytes: number): { saReplay: number; saReplayExt?: SadbXSaReplay } {
  if (windowBytes <= SA_REPLAY_MAX_BYTES) return { saReplay: windowBytes };
  return { saReplay: SA_REPLAY_MAX_BYTES, saReplayExt: { replay: windowBytes * 8 } };
}

/**
 * The window in bytes of bitmap a kernel derives from an SA and its optional SA_REPLAY extension: the
 * extension wins (packets rounded up to whole bytes); sadb_sa_replay is ignored for old-format SAs.
 */
export function replayWindowFromWire(sa: SadbSa, ext?: SadbXSaReplay): number {
  if (ext) return Math.ceil(ext.replay / 8);
  return (sa.flags & SADB_X_EXT_OLD) !== 0 ? 0 : sa.replay;
}
