// IKEv1 messages under a phase 1's keys: the header and (optionally encrypted) payload chain, phase 1
// bodies chained on one IV, phase 2 / informational bodies on IVs derived per message ID (RFC 2409 App. B),
// fresh message IDs, and the raw payload walk that hashes over received bytes need (SAi_b, quick mode
// HASH(1)). The ISAKMP codec itself is in ../isakmp/.
import { u16 } from '../../common/bytes.js';
import type { Rng } from '../../common/rng.js';
import { randomBytes } from '../../common/rng.js';
import {
  ISAKMP_FLAG_E,
  ISAKMP_HEADER_LEN,
  ISAKMP_MAJOR_VERSION,
  ISAKMP_NPTYPE_NONE,
  ISAKMP_NTYPE_PAYLOAD_MALFORMED,
} from '../isakmp/constants.js';
import { IsakmpError } from '../isakmp/codec.js';
import { encodeIsakmpHeader } from '../isakmp/header.js';
import { decodePayloadChain, encodePayloadChain, type IsakmpPayload } from '../isakmp/message.js';
import type { Phase1 } from './handles.js';
import { decryptBody, encryptBody, lastBlock, phase2Iv } from './oakley.js';

/** A whole message: header plus (optionally encrypted) payload chain. */
export function buildMessage(
  ph1: Phase1,
  etype: number,
  msgid: number,
  payloads: readonly IsakmpPayload[],
  enc?: { iv: Uint8Array },
): { bytes: Uint8Array; ivOut?: Uint8Array } {
  const body = encodePayloadChain(payloads);
  let wire = body;
  let ivOut: Uint8Array | undefined;
  if (enc) {
    const k = ph1.keys!;
    wire = encryptBody(k.cipher, k.encKey, enc.iv, body);
    ivOut = lastBlock(wire, k.cipher.blockSize);
  }
  const out = new Uint8Array(ISAKMP_HEADER_LEN + wire.length);
  encodeIsakmpHeader(
    {
      icookie: ph1.icookie,
      rcookie: ph1.rcookie,
      np: payloads[0]?.type ?? ISAKMP_NPTYPE_NONE,
      majorVersion: ISAKMP_MAJOR_VERSION,
      minorVersion: 0,
      etype,
      flags: enc ? ISAKMP_FLAG_E : 0,
      msgid,
      length: out.length,
    },
    out,
    0,
  );
  out.set(wire, ISAKMP_HEADER_LEN);
  return { bytes: out, ivOut };
}

/** Decrypts an encrypted body and decodes its chain; returns the plaintext too (for hashes over raw bytes). */
export function openMessage(
  ph1: Phase1,
  np: number,
  ct: Uint8Array,
  iv: Uint8Array,
): { payloads: IsakmpPayload[]; plain: Uint8Array; ivOut: Uint8Array } {
  const k = ph1.keys!;
  const plain = decryptBody(k.cipher, k.encKey, iv, ct);
  if (!plain)
    throw new IsakmpError(
      ISAKMP_NTYPE_PAYLOAD_MALFORMED,
      `encrypted body of ${ct.length} bytes is not a whole number of blocks`,
    );
  const r = decodePayloadChain(np, plain, 0, plain.length, { allowTrailing: true });
  return { payloads: r.value, plain: plain.subarray(0, r.next), ivOut: lastBlock(ct, k.cipher.blockSize) };
}

/** The IV of a new phase 2 or informational exchange (App. B: hash of the last phase 1 block and M-ID). */
export function exchangeIv(ph1: Phase1, msgid: number): Uint8Array {
  const k = ph1.keys!;
  return phase2Iv(k.hash, ph1.iv!, msgid, k.cipher.blockSize);
}

/** A fresh message ID unused with this phase 1 (never 0, RFC 2408 §3.1). */
export function newMsgid(ph1: Phase1, rng: Rng): number {
  for (;;) {
    const b = randomBytes(rng, 4);
    const id = Buffer.from(b).readUInt32BE(0);
    if (id !== 0 && !ph1.msgids.has(id)) {
      ph1.msgids.add(id);
      return id;
    }
  }
}

/** A payload inside a raw chain: its type and byte range including the generic header. */
export interface RawPayload {
  type: number;
  start: number;
  end: number;
}

/** Walks a chain that already decoded cleanly and returns each payload's byte range. */
export function rawChain(buf: Uint8Array, np: number, start = 0, end = buf.length): RawPayload[] {
  const out: RawPayload[] = [];
  let off = start;
  for (let t = np; t !== ISAKMP_NPTYPE_NONE && off + 4 <= end;) {
    const len = u16(buf, off + 2);
    out.push({ type: t, start: off, end: off + len });
    t = buf[off]!;
    off += len;
  }
  return out;
}

/** The first payload of `type` in a decoded list. */
export function findPayload<T extends IsakmpPayload['type']>(
  list: readonly IsakmpPayload[],
  type: T,
): Extract<IsakmpPayload, { type: T }> | undefined {
  return list.find((p) => p.type === type) as Extract<IsakmpPayload, { type: T }> | undefined;
}

/** Every payload of `type`. */
export function allPayloads<T extends IsakmpPayload['type']>(
  list: readonly IsakmpPayload[],
  type: T,
): Extract<IsakmpPayload, { type: T }>[] {
  return list.filter((p) => p.type === type) as Extract<IsakmpPayload, { type: T }>[];
}
