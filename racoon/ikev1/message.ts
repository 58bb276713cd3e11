// The phase 1 SA record (racoon `struct ph1handle`) and the message crypto built on its keys: phase 1
// bodies chained on one IV, and phase 2 / informational bodies on IVs derived per message ID (RFC 2409
// App. B). Also the raw payload walk needed for hashes over received bytes (SAi_b, quick mode HASH(1)).
import { u16 } from '../../common/bytes.js';
import type { DhKeyPair } from '../../crypto/dh.js';
import type { IkeCipher } from '../../crypto/ike-cipher.js';
import type { PrfHash } from '../../crypto/prf.js';
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
import type { IsakmpId } from '../isakmp/payloads/id.js';
import type { IsakmpSa } from '../isakmp/payloads/sa.js';
import type { RemoteConf } from '../conf/ast.js';
import type { Ph1Approval } from './ph1/proposal.js';
import { decryptBody, encryptBody, lastBlock, phase2Iv } from './oakley.js';

/** One end of an IKE conversation. */
export interface Endpoint {
  addr: Uint8Array;
  port: number;
}

export type Ph1State =
  'msg1-sent' | 'msg2-sent' | 'msg3-sent' | 'msg4-sent' | 'msg5-sent' | 'established' | 'expired' | 'dead';

/** The phase 1 keys once SKEYID is known. */
export interface Ph1Keys {
  skeyid: Uint8Array;
  d: Uint8Array;
  a: Uint8Array;
  e: Uint8Array;
  encKey: Uint8Array;
  cipher: IkeCipher;
  hash: PrfHash;
}

/** An ISAKMP SA under negotiation or established (racoon `ph1handle`). */
export interface Phase1 {
  id: number;
  side: 'initiator' | 'responder';
  state: Ph1State;
  icookie: Uint8Array;
  rcookie: Uint8Array;
  local: Endpoint;
  remote: Endpoint;
  rmconf: RemoteConf;
  createdMs: number;
  establishedMs?: number;
  /** The initiator's SA payload body as sent (SAi_b), and what it offered. */
  saiB?: Uint8Array;
  offered?: IsakmpSa;
  approval?: Ph1Approval;
  dh?: DhKeyPair;
  gxi?: Uint8Array;
  gxr?: Uint8Array;
  gxy?: Uint8Array;
  ni?: Uint8Array;
  nr?: Uint8Array;
  keys?: Ph1Keys;
  /** The CBC chaining value for the next phase 1 message; after msg 6 the last phase 1 block. */
  iv?: Uint8Array;
  /** Our own and the peer's phase 1 identities (ID payload bodies). */
  myId?: IsakmpId;
  peerId?: IsakmpId;
  /** NAT-T: the peer sent the RFC 3947 vendor ID; a NAT was detected (or forced); the ports floated. */
  nattPeer: boolean;
  natDetected: boolean;
  floated: boolean;
  /** The bytes of our last message (resent for retransmission and on a duplicate), and the peer's last. */
  lastSent?: Uint8Array;
  lastRecv?: Uint8Array;
  retries: number;
  cancelTimer?: () => void;
  cancelExpire?: () => void;
  cancelKeepalive?: () => void;
  /** Quick modes waiting for this phase 1 to complete. */
  waiting: (() => void)[];
  /** Message IDs already used with this phase 1 (RFC 2408 §3.1: unique per exchange). */
  msgids: Set<number>;
  initialContactSent: boolean;
}

/** A cookie pair key for the phase 1 table. */
export function cookieKey(icookie: Uint8Array, rcookie: Uint8Array): string {
  return Buffer.from(icookie).toString('hex') + Buffer.from(rcookie).toString('hex');
}

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
