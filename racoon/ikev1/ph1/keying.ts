// Phase 1 keying material (RFC 2409 §5): our KE and nonce, the peer's, the Diffie-Hellman secret, and
// SKEYID with its derivatives and the first IV once both nonces are known.
import { formatAddr } from '../../../common/inet.js';
import { randomBytes } from '../../../common/rng.js';
import { DhError, DhKeyPair } from '../../../crypto/dh.js';
import { ikeCipher } from '../../../crypto/ike-cipher.js';
import * as C from '../../isakmp/constants.js';
import type { IsakmpMessage, IsakmpPayload } from '../../isakmp/message.js';
import type { Phase1 } from '../handles.js';
import { findPayload } from '../message.js';
import * as O from '../oakley.js';
import { fail, type Ph1Ctx } from './step.js';
import { baseAuthMethod } from './auth-method.js';

/** Receives KE and the nonce, then derives SKEYID.. and the phase 1 IV (both sides, after msg 3/4). */
export function takeKeNonce(ph1: Phase1, msg: IsakmpMessage, isInitiator: boolean): void {
  const ke = findPayload(msg.payloads, C.ISAKMP_NPTYPE_KE);
  const nonce = findPayload(msg.payloads, C.ISAKMP_NPTYPE_NONCE);
  if (!ke || !nonce) fail(C.ISAKMP_NTYPE_PAYLOAD_MALFORMED, 'KE or NONCE missing');
  if (nonce.body.length < C.ISAKMP_NONCE_MIN || nonce.body.length > C.ISAKMP_NONCE_MAX)
    fail(C.ISAKMP_NTYPE_PAYLOAD_MALFORMED, `nonce of ${nonce.body.length} bytes`);
  try {
    ph1.gxy = ph1.dh!.computeSecret(ke.body);
  } catch (e) {
    if (e instanceof DhError) fail(C.ISAKMP_NTYPE_INVALID_KEY_INFORMATION, e.message);
    throw e;
  }
  if (isInitiator) {
    ph1.gxr = ke.body;
    ph1.nr = nonce.body;
  } else {
    ph1.gxi = ke.body;
    ph1.ni = nonce.body;
  }
}

/** SKEYID (RFC 2409 §5: prf(PSK, Ni_b | Nr_b), or prf(Ni_b | Nr_b, g^xy) for signatures), SKEYID_d/a/e, IV. */
export function deriveKeys(ph1: Phase1, psk: Uint8Array | undefined): void {
  const a = ph1.approval!;
  const skeyid = psk ? O.skeyidPsk(a.hash, psk, ph1.ni!, ph1.nr!) : O.skeyidSig(a.hash, ph1.ni!, ph1.nr!, ph1.gxy!);
  const dae = O.skeyidDae(a.hash, skeyid, ph1.gxy!, ph1.icookie, ph1.rcookie);
  const cipher = ikeCipher(a.enc, a.keyBits);
  ph1.keys = { skeyid, ...dae, encKey: O.encryptionKey(a.hash, dae.e, cipher.keyLen), cipher, hash: a.hash };
  ph1.iv = O.phase1Iv(a.hash, ph1.gxi!, ph1.gxr!, cipher.blockSize);
}

/** The pre-shared key, or undefined under signatures (racoon: "couldn't find the pskey for ..."). */
export function pskOf(ph1: Phase1, ctx: Ph1Ctx): Uint8Array | undefined {
  const m = baseAuthMethod(ph1.approval!.authMethod);
  if (m === C.OAKLEY_ATTR_AUTH_METHOD_RSASIG) return undefined;
  if (m !== C.OAKLEY_ATTR_AUTH_METHOD_PSKEY)
    fail(C.ISAKMP_NTYPE_NO_PROPOSAL_CHOSEN, 'only pre-shared keys and RSA signatures are supported');
  const k = ctx.psk(ph1);
  if (!k) fail(C.ISAKMP_NTYPE_AUTHENTICATION_FAILED, `couldn't find the pskey for ${formatAddr(ph1.remote.addr)}.`);
  return k;
}

export function keNonce(ph1: Phase1, ctx: Ph1Ctx, isInitiator: boolean): IsakmpPayload[] {
  ph1.dh = new DhKeyPair(ph1.approval!.group, ctx.rng);
  const nonce = randomBytes(ctx.rng, ph1.rmconf.nonceSize);
  if (isInitiator) {
    ph1.gxi = ph1.dh.publicKey;
    ph1.ni = nonce;
  } else {
    ph1.gxr = ph1.dh.publicKey;
    ph1.nr = nonce;
  }
  return [
    { type: C.ISAKMP_NPTYPE_KE, body: ph1.dh.publicKey },
    { type: C.ISAKMP_NPTYPE_NONCE, body: nonce },
  ];
}
