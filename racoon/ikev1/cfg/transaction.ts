// The ISAKMP transaction exchange (exchange type 6) that carries mode config and XAuth under an established
// phase 1 (draft-ietf-ipsec-isakmp-mode-cfg-05 §3.1): HDR*, HASH, ATTR with HASH = prf(SKEYID_a, M-ID | ATTR).
// The first message of an exchange takes the IV derived from the phase 1 IV and its message ID (RFC 2409
// App. B), the answer chains on the last block of the first (as quick mode does).
import { equalCT } from '../../../common/bytes.js';
import * as C from '../../isakmp/constants.js';
import { IsakmpError } from '../../isakmp/codec.js';
import { encodePayloadChain, type IsakmpMessage, type IsakmpPayload } from '../../isakmp/message.js';
import type { IsakmpCfg } from '../../isakmp/payloads/attr.js';
import type { Phase1 } from '../handles.js';
import { buildMessage, exchangeIv, openMessage, rawChain } from '../message.js';
import { infoHash } from '../oakley.js';

/** An encrypted transaction message; `ivOut` is the IV of the answer in the same exchange. */
export function buildCfg(
  ph1: Phase1,
  msgid: number,
  iv: Uint8Array,
  body: IsakmpCfg,
): { bytes: Uint8Array; ivOut: Uint8Array } {
  const k = ph1.keys!;
  const attr: IsakmpPayload = { type: C.ISAKMP_NPTYPE_ATTR, body };
  const h = infoHash(k.hash, k.a, msgid, encodePayloadChain([attr]));
  const m = buildMessage(ph1, C.ISAKMP_ETYPE_CFG, msgid, [{ type: C.ISAKMP_NPTYPE_HASH, body: h }, attr], { iv });
  return { bytes: m.bytes, ivOut: m.ivOut! };
}

/**
 * Decrypts a transaction message and checks its HASH, trying each candidate IV in turn (the chained one of an
 * exchange in progress, then the fresh one of a new exchange); throws INVALID-HASH-INFORMATION when none fits.
 */
export function openCfg(
  ph1: Phase1,
  msg: IsakmpMessage,
  ivs: readonly Uint8Array[],
): { cfg: IsakmpCfg; ivOut: Uint8Array } {
  if (!msg.encrypted) throw new IsakmpError(C.ISAKMP_NTYPE_INVALID_FLAGS, 'unencrypted transaction exchange');
  const k = ph1.keys!;
  let malformedWhy: string | undefined;
  for (const iv of ivs) {
    let o: ReturnType<typeof openMessage>;
    try {
      o = openMessage(ph1, msg.header.np, msg.encrypted, iv);
    } catch (e) {
      malformedWhy = (e as Error).message; // a wrong IV garbles the first block: try the next one
      continue;
    }
    const raw = rawChain(o.plain, msg.header.np);
    const attr = o.payloads[1];
    if (raw[0]?.type !== C.ISAKMP_NPTYPE_HASH || attr?.type !== C.ISAKMP_NPTYPE_ATTR || o.payloads.length !== 2) {
      malformedWhy = 'a transaction message is HASH, ATTR';
      continue;
    }
    const want = infoHash(k.hash, k.a, msg.header.msgid, o.plain.slice(raw[0]!.end));
    if (equalCT(want, o.payloads[0]!.body as Uint8Array)) return { cfg: attr.body, ivOut: o.ivOut };
    malformedWhy = undefined;
  }
  if (malformedWhy) throw new IsakmpError(C.ISAKMP_NTYPE_PAYLOAD_MALFORMED, malformedWhy);
  throw new IsakmpError(C.ISAKMP_NTYPE_INVALID_HASH_INFORMATION, 'transaction exchange HASH mismatch');
}

/** The IV a new exchange with this message ID starts on. */
export function firstIv(ph1: Phase1, msgid: number): Uint8Array {
  return exchangeIv(ph1, msgid);
}
