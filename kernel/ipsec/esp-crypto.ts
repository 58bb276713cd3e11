// The crypto half of ESP (RFC 4303): the SA's contexts, ICV length and padding alignment, the IV (§2.3,
// RFC 3602 §2.3, RFC 4106 §3.1), the AAD and ICV input layouts with ESN (§2.2.1, RFC 4106 §5, RFC 7634 §2.1),
// and sealing and opening a payload in place, integrity checked before decryption (§3.4.4.1). esp.ts frames
// the packet around these.
import type { SecAssoc } from '../sad/secassoc.js';
import type { TransformEnv } from './transform.js';
import { putU32 } from '../../common/bytes.js';
import { byteView } from '../../common/byte-view.js';

/** RFC 4303 §2: SPI (4) + Sequence Number (4). */
export const ESP_HEADER_BYTES = 8;

/**
 * Creates the SA's transform contexts on first use if the SAD has not (no per-packet allocation after
 * that); false if the SA has no encryption algorithm or key, or the key does not fit the algorithm.
 */
export function ensureContexts(sa: SecAssoc): boolean {
  const alg = sa.encAlg;
  if (!alg || !sa.encKey) return false;
  if (alg.kind === 'aead' ? sa.aead : sa.cipher && (sa.auth || !sa.authAlg || !sa.authKey)) return true;
  try {
    if (alg.kind === 'aead') {
      sa.aead ??= alg.create(sa.encKey);
      return true;
    }
    sa.cipher ??= alg.create(sa.encKey);
    if (sa.authAlg && sa.authKey) sa.auth ??= sa.authAlg.create(sa.authKey);
    return true;
  } catch {
    return false; // a wrong key length is an SA bug; on the packet path it is a counted drop
  }
}

/** ICV bytes: the AEAD tag, or the integrity algorithm's truncated output, or none. */
export function icvLenOf(sa: SecAssoc): number {
  const alg = sa.encAlg!;
  if (alg.kind === 'aead') return alg.icvLen;
  return sa.auth && sa.authAlg ? sa.authAlg.icvLen : 0;
}

/** RFC 4303 §2.4: the padded plaintext is a multiple of the cipher block and of 4 bytes. */
export function alignOf(sa: SecAssoc): number {
  return Math.max(4, sa.encAlg!.blockSize);
}

/*
 * Per-call scratch: the IV, the AAD, the ICV to compare and the ICV parts list are copied into these
 * (a few bytes, all of them on the wire anyway) and handed to a crypto context, which consumes them
 * synchronously; the parts list is cleared again after use. They carry nothing from one packet to the
 * next and no host shares anything through them: they only replace per-packet view objects, which
 * cost more than copying 8-16 bytes.
 */
const EMPTY = new Uint8Array(0);
const aad8 = new Uint8Array(ESP_HEADER_BYTES);
const aad12 = new Uint8Array(ESP_HEADER_BYTES + 4);
const esnHi = new Uint8Array(4);
const parts1: Uint8Array[] = [EMPTY];
const parts2: Uint8Array[] = [EMPTY, esnHi];
/** Scratch arrays indexed by length: IVs (8 or 16 bytes) and received ICVs (8 to 32), kept apart. */
const ivScratch: (Uint8Array | undefined)[] = [];
const icvScratch: (Uint8Array | undefined)[] = [];

/** A copy of buf[off, off+len) in the pool's reused array of exactly that length. */
function scratchCopy(pool: (Uint8Array | undefined)[], buf: Uint8Array, off: number, len: number): Uint8Array {
  if (len === 0) return EMPTY;
  const s = pool[len] ?? (pool[len] = new Uint8Array(len));
  for (let i = 0; i < len; i++) s[i] = buf[off + i]!;
  return s;
}

/** AAD for combined modes: SPI || Seq, or SPI || SeqHi || SeqLo with ESN (RFC 4106 §5, RFC 7634 §2.1). */
function aeadAad(buf: Uint8Array, espOff: number, esn: boolean, seqHi: number): Uint8Array {
  if (!esn) {
    for (let i = 0; i < 8; i++) aad8[i] = buf[espOff + i]!;
    return aad8;
  }
  for (let i = 0; i < 4; i++) aad12[i] = buf[espOff + i]!;
  putU32(aad12, 4, seqHi);
  for (let i = 4; i < 8; i++) aad12[4 + i] = buf[espOff + i]!;
  return aad12;
}

/** ICV input for separate integrity: SPI..ciphertext, plus the high 32 bits with ESN (RFC 4303 §2.2.1, §3.3.2.2). */
function icvParts(buf: Uint8Array, espOff: number, icvOff: number, esn: boolean, seqHi: number): Uint8Array[] {
  const body = byteView(buf, espOff, icvOff - espOff);
  if (!esn) {
    parts1[0] = body;
    return parts1;
  }
  putU32(esnHi, 0, seqHi);
  parts2[0] = body;
  return parts2;
}

/** Drops the packet reference the parts list held for one ICV computation. */
function releaseParts(): void {
  parts1[0] = EMPTY;
  parts2[0] = EMPTY;
}

/**
 * IVs: CBC needs unpredictable ones (RFC 3602 §2.3), drawn from the host's pooled RNG. Counter modes and
 * AEADs need unique ones; the 64-bit sequence number is unique per SA (RFC 4106 §3.1, RFC 3686 §3.1)
 * unless the SA may cycle its counter, in which case a random IV is used instead.
 */
export function writeIv(sa: SecAssoc, out: Uint8Array, ivOff: number, ivLen: number, env: TransformEnv): void {
  if (ivLen === 0) return;
  const alg = sa.encAlg!;
  const counter = alg.kind === 'aead' || alg.ivKind === 'counter';
  if (counter && ivLen === 8 && !sa.cyclicSeq) {
    putU32(out, ivOff, sa.seqOutHi);
    putU32(out, ivOff + 4, sa.seqOutLo);
    return;
  }
  env.rng.fill(out, ivOff, ivLen);
}

/** Encrypts the plaintext in place and writes the ICV right after it. */
export function sealPayload(
  sa: SecAssoc,
  out: Uint8Array,
  espOff: number,
  dataOff: number,
  plainLen: number,
  icvLen: number,
): void {
  const iv = scratchCopy(ivScratch, out, espOff + ESP_HEADER_BYTES, dataOff - espOff - ESP_HEADER_BYTES);
  const icvOff = dataOff + plainLen;
  if (sa.encAlg!.kind === 'aead') {
    sa.aead!.seal(iv, aeadAad(out, espOff, sa.esn, sa.seqOutHi), out, dataOff, plainLen, out, icvOff);
    return;
  }
  sa.cipher!.encrypt(iv, out, dataOff, plainLen);
  if (icvLen > 0) {
    sa.auth!.mac(icvParts(out, espOff, icvOff, sa.esn, sa.seqOutHi), out, icvOff);
    releaseParts();
  }
}

/** Integrity first (RFC 4303 §3.4.4.1), then decryption; combined modes do both in open(). */
export function verifyAndDecrypt(
  sa: SecAssoc,
  p: Uint8Array,
  espOff: number,
  dataOff: number,
  encLen: number,
  icvOff: number,
  icvLen: number,
  seqHi: number,
): boolean {
  const iv = scratchCopy(ivScratch, p, espOff + ESP_HEADER_BYTES, dataOff - espOff - ESP_HEADER_BYTES);
  if (sa.encAlg!.kind === 'aead')
    return sa.aead!.open(iv, aeadAad(p, espOff, sa.esn, seqHi), p, dataOff, encLen, p, icvOff);
  if (icvLen > 0) {
    const ok = sa.auth!.verify(icvParts(p, espOff, icvOff, sa.esn, seqHi), scratchCopy(icvScratch, p, icvOff, icvLen));
    releaseParts();
    if (!ok) return false;
  }
  sa.cipher!.decrypt(iv, p, dataOff, encLen);
  return true;
}
