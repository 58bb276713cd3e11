// Protection of the SK payload (RFC 7296 §3.14) and of SKF fragments (RFC 7383 §2.5): padding, encryption,
// and the ICV over the whole message (encrypt-then-MAC) or, for an AEAD, the tag with the IKE header through
// the SK/SKF header as associated data (RFC 5282 §5.1, RFC 7383 §2.5.3). The ICV is checked, in constant time,
// before any byte is decrypted; a bad ICV is a silent drop (§2.21.2), never a notification.
import type { Rng } from '../../common/rng.js';
import { ISAKMP_GEN_HEADER_LEN, ISAKMP_HEADER_LEN } from '../isakmp/constants.js';
import { IKEV2_PAYLOAD_SK, IKEV2_PAYLOAD_SKF } from './constants.js';
import { IKEV2_N_INVALID_SYNTAX } from './notify-types.js';
import { Ikev2Error } from './codec.js';
import type { Ikev2Header } from './header.js';
import { decodePayloadChain, encodePayloadChain, payloadChainLength, type Ikev2Payload } from './payload-chain.js';
import { encodeIkev2Message, type Ikev2Message } from './message.js';
import type { IkeEncr, IkeInteg } from './suite.js';

/** One direction's SK keys: SK_ei/SK_ai protect what the initiator sends, SK_er/SK_ar the responder's (§2.14). */
export interface SkKeys {
  encr: IkeEncr;
  /** Absent for an AEAD (RFC 5282 §8: no INTEG transform). */
  integ?: IkeInteg;
  encKey: Uint8Array;
  integKey?: Uint8Array;
}

const SKF_FIELDS_LEN = 4; // Fragment Number + Total Fragments (RFC 7383 §2.5)

/** Bytes of the ICV: the AEAD tag or the truncated MAC. */
export function icvLength(k: SkKeys): number {
  if (k.encr.aead) return k.encr.aead.icvLen;
  if (!k.integ || !k.integKey) throw new RangeError(`${k.encr.name} needs an integrity transform`);
  return k.integ.icvLen;
}

/** Bytes of plaintext padding + Pad Length for `n` bytes of payloads (§3.14: a multiple of the block size). */
function padLength(k: SkKeys, n: number): number {
  const b = k.encr.blockSize;
  return (b - ((n + 1) % b)) % b;
}

/** Bytes an SK payload adds around `n` bytes of inner payloads: generic header, IV, padding, ICV. */
export function skOverhead(k: SkKeys, n: number): number {
  return ISAKMP_GEN_HEADER_LEN + k.encr.ivLen + padLength(k, n) + 1 + icvLength(k);
}

/**
 * Encrypts and authenticates in place: `out[ivOff, end)` is IV | plaintext (already padded) | room for the ICV.
 * `out[0, ivOff)` is the associated data of an AEAD; a MAC covers `out[0, end - icv)` after encryption.
 */
function protect(out: Uint8Array, ivOff: number, k: SkKeys, iv: Uint8Array): void {
  const icv = icvLength(k);
  const ctOff = ivOff + k.encr.ivLen;
  const ctLen = out.length - icv - ctOff;
  out.set(iv, ivOff);
  if (k.encr.aead) {
    const ctx = k.encr.aead.create(k.encKey);
    try {
      ctx.seal(iv, out.subarray(0, ivOff), out, ctOff, ctLen, out, out.length - icv);
    } finally {
      ctx.wipe();
    }
    return;
  }
  const c = k.encr.cipher!.create(k.encKey);
  const m = k.integ!.alg.create(k.integKey!);
  try {
    c.encrypt(iv, out, ctOff, ctLen);
    m.mac([out.subarray(0, out.length - icv)], out, out.length - icv);
  } finally {
    c.wipe();
    m.wipe();
  }
}

/**
 * Checks the ICV over `raw[0, end)` and decrypts IV | ciphertext starting at `ivOff`; returns the plaintext
 * without padding, or 'length' / 'icv' (drop silently) or 'padding' (authentic but malformed: INVALID_SYNTAX).
 */
function unprotect(raw: Uint8Array, ivOff: number, k: SkKeys): Uint8Array | 'length' | 'icv' | 'padding' {
  const icv = icvLength(k);
  const end = raw.length;
  const ctOff = ivOff + k.encr.ivLen;
  const ctLen = end - icv - ctOff;
  if (ctLen < 1 || ctLen % k.encr.blockSize !== 0) return 'length';
  const iv = raw.slice(ivOff, ctOff);
  const pt = raw.slice(ctOff, ctOff + ctLen);
  if (k.encr.aead) {
    const ctx = k.encr.aead.create(k.encKey);
    try {
      if (!ctx.open(iv, raw.subarray(0, ivOff), pt, 0, ctLen, raw, end - icv)) return 'icv';
    } finally {
      ctx.wipe();
    }
  } else {
    const m = k.integ!.alg.create(k.integKey!);
    const c = k.encr.cipher!.create(k.encKey);
    try {
      if (!m.verify([raw.subarray(0, end - icv)], raw.subarray(end - icv))) return 'icv';
      c.decrypt(iv, pt, 0, ctLen);
    } finally {
      m.wipe();
      c.wipe();
    }
  }
  const pad = pt[ctLen - 1]!;
  if (pad + 1 > ctLen) return 'padding';
  return pt.subarray(0, ctLen - pad - 1);
}

function drawIv(k: SkKeys, iv: Uint8Array | Rng): Uint8Array {
  if (iv instanceof Uint8Array) {
    if (iv.length !== k.encr.ivLen)
      throw new RangeError(`IV of ${iv.length} bytes, ${k.encr.name} takes ${k.encr.ivLen}`);
    return iv;
  }
  // CBC needs an unpredictable IV, the counter modes a unique one (RFC 7296 §3.14, RFC 5282 §3.1): both come
  // from the CSPRNG; an 8-byte random IV repeats with probability ~n²/2⁶⁵ for n messages under one key.
  const out = new Uint8Array(k.encr.ivLen);
  iv.fill(out);
  return out;
}

/** Builds HDR, outer payloads, SK{inner}: `inner` is the clear chain to protect with `k` (§3.14). */
export function sealSk(
  header: Ikev2Header,
  outer: readonly Ikev2Payload[],
  inner: readonly Ikev2Payload[],
  k: SkKeys,
  iv: Uint8Array | Rng,
): Uint8Array {
  const n = payloadChainLength(inner);
  const pad = padLength(k, n);
  const body = new Uint8Array(k.encr.ivLen + n + pad + 1 + icvLength(k));
  encodePayloadChain(inner, body, k.encr.ivLen);
  body[k.encr.ivLen + n + pad] = pad;
  const innerNp = inner[0]?.type ?? 0;
  const out = encodeIkev2Message({ header, payloads: [...outer, { type: IKEV2_PAYLOAD_SK, body, innerNp }] });
  protect(out, out.length - body.length, k, drawIv(k, iv));
  return out;
}

/** What openSk found: the inner chain, or why the message is dropped ('length', 'icv') or answered ('syntax'). */
export type OpenSkResult =
  | { ok: true; inner: Ikev2Payload[]; ignored: number[] }
  | { ok: false; reason: 'no-sk' | 'length' | 'icv' }
  | { ok: false; reason: 'syntax'; error: Ikev2Error };

/**
 * Verifies and decrypts the SK payload of `msg` (decoded from exactly the bytes `raw`) and decodes the payloads
 * inside. Errors before the ICV check are drops; errors after it are INVALID_SYNTAX answers (§2.21.2).
 */
export function openSk(raw: Uint8Array, msg: Ikev2Message, k: SkKeys): OpenSkResult {
  const last = msg.payloads[msg.payloads.length - 1];
  if (last?.type !== IKEV2_PAYLOAD_SK) return { ok: false, reason: 'no-sk' };
  if (raw.length !== msg.header.length) throw new RangeError('raw bytes are not the decoded message');
  const ivOff = raw.length - last.body.length;
  if (ivOff < ISAKMP_HEADER_LEN + ISAKMP_GEN_HEADER_LEN) throw new RangeError('SK payload outside the message');
  const pt = unprotect(raw, ivOff, k);
  if (pt === 'length' || pt === 'icv') return { ok: false, reason: pt };
  try {
    if (pt === 'padding') throw new Ikev2Error(IKEV2_N_INVALID_SYNTAX, 'SK pad length longer than the plaintext');
    const chain = decodePayloadChain(last.innerNp, pt, 0, pt.length, { inner: true }).value;
    return { ok: true, inner: chain.payloads, ignored: chain.ignored };
  } catch (e) {
    if (e instanceof Ikev2Error) return { ok: false, reason: 'syntax', error: e };
    throw e;
  }
}

/**
 * Builds HDR, outer payloads, SKF{fragment}: `content` is this fragment's share of the clear inner chain bytes,
 * `innerNp` the first inner payload type for fragment 1 and 0 for the others (RFC 7383 §2.5).
 */
export function sealSkf(
  header: Ikev2Header,
  outer: readonly Ikev2Payload[],
  frag: { fragmentNumber: number; totalFragments: number; innerNp: number; content: Uint8Array },
  k: SkKeys,
  iv: Uint8Array | Rng,
): Uint8Array {
  const n = frag.content.length;
  const pad = padLength(k, n);
  const data = new Uint8Array(k.encr.ivLen + n + pad + 1 + icvLength(k));
  data.set(frag.content, k.encr.ivLen);
  data[k.encr.ivLen + n + pad] = pad;
  const body = { fragmentNumber: frag.fragmentNumber, totalFragments: frag.totalFragments, data };
  const out = encodeIkev2Message({
    header,
    payloads: [...outer, { type: IKEV2_PAYLOAD_SKF, body, innerNp: frag.innerNp }],
  });
  protect(out, out.length - data.length, k, drawIv(k, iv));
  return out;
}

export type OpenSkfResult =
  | { ok: true; fragmentNumber: number; totalFragments: number; innerNp: number; content: Uint8Array }
  | { ok: false; reason: 'no-skf' | 'length' | 'icv' | 'padding' };

/** Verifies and decrypts one SKF fragment (RFC 7383 §2.6); reassembly is racoon/ikev2/fragment.ts. */
export function openSkf(raw: Uint8Array, msg: Ikev2Message, k: SkKeys): OpenSkfResult {
  const last = msg.payloads[msg.payloads.length - 1];
  if (last?.type !== IKEV2_PAYLOAD_SKF) return { ok: false, reason: 'no-skf' };
  if (raw.length !== msg.header.length) throw new RangeError('raw bytes are not the decoded message');
  const ivOff = raw.length - last.body.data.length;
  if (ivOff < ISAKMP_HEADER_LEN + ISAKMP_GEN_HEADER_LEN + SKF_FIELDS_LEN)
    throw new RangeError('SKF payload outside the message');
  const pt = unprotect(raw, ivOff, k);
  if (typeof pt === 'string') return { ok: false, reason: pt };
  const { fragmentNumber, totalFragments } = last.body;
  return { ok: true, fragmentNumber, totalFragments, innerNp: last.innerNp, content: pt };
}
