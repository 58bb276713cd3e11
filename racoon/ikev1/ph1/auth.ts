// Phase 1 authentication shared by main and aggressive mode, as racoon's oakley.c does it: the proof we
// send (HASH for pre-shared keys; [CERT,] SIG for RSA signatures, RFC 2409 §5.1), the CR payloads
// (oakley_append_cr), and the check of the peer's proof (oakley_validate_auth, oakley_check_certid,
// oakley_savecert) with racoon's log lines and the notification racoon sends for each failure.
import { equalCT } from '../../../common/bytes.js';
import { formatAddr } from '../../../common/inet.js';
import type { LogLevel } from '../../../common/log.js';
import { buildCertRequestV1, certPayload, decodeCertPayload } from '../../cert/cert-request.js';
import { CertError } from '../../cert/errors.js';
import { checkIdAgainstCert, matchPeersIdentifier } from '../../cert/identity.js';
import { rsaSignIkev1, rsaVerifyIkev1, rsaVerifyIkev1Any } from '../../cert/ikev1-sig.js';
import { lookupPlainRsa } from '../../cert/plainrsa.js';
import { verifyCertificate } from '../../cert/verify.js';
import { publicKeyOf, type Certificate } from '../../cert/x509.js';
import type { RemoteConf } from '../../conf/ast.js';
import type { RemoteAuth } from '../../conf/remote-auth.js';
import * as C from '../../isakmp/constants.js';
import { IsakmpError } from '../../isakmp/codec.js';
import type { IsakmpPayload } from '../../isakmp/message.js';
import type { IsakmpId } from '../../isakmp/payloads/id.js';
import type { Phase1 } from '../handles.js';
import { baseAuthMethod, signs } from './auth-method.js';

/** What authentication needs from the daemon. */
export interface AuthCtx {
  auth(rm: RemoteConf): RemoteAuth;
  /** The time certificates and CRLs are checked against (ms). */
  now(): number;
  log(level: LogLevel, msg: string): void;
}

/**
 * A failure racoon reports to the peer: oakley_validate_auth returned a notify type, and the exchange sends it
 * in an informational under the phase 1 keys (isakmp_info_send_n1).
 */
export class AuthFailure extends IsakmpError {}

/** The most CERT and CR payloads one message may carry before any is decoded (bounded work per packet). */
export const MAX_CERT_PAYLOADS = 8;

export function usesSignatures(ph1: Phase1): boolean {
  return baseAuthMethod(ph1.approval?.authMethod ?? 0) === C.OAKLEY_ATTR_AUTH_METHOD_RSASIG;
}

/** We prove ourselves with SIG (hybrid: only the XAuth server does). */
export function weSign(ph1: Phase1): boolean {
  return signs(ph1.approval?.authMethod ?? 0, ph1.side, 'me');
}

/** The peer proves itself with SIG: we ask for its certificate (CR) and check a signature. */
export function peerSigns(ph1: Phase1): boolean {
  return signs(ph1.approval?.authMethod ?? 0, ph1.side, 'peer');
}

const where = (ph1: Phase1) => `${formatAddr(ph1.local.addr)} <-> ${formatAddr(ph1.remote.addr)}`;

/** oakley_append_cr: one CR per remote that sends them (send_cr), naming its peers_certfile issuer or ca_type. */
export function crPayloads(remotes: readonly RemoteConf[], ctx: AuthCtx): IsakmpPayload[] {
  const out: IsakmpPayload[] = [];
  for (const rm of remotes) {
    if (!rm.sendCr) continue;
    const c = ctx.auth(rm).certs;
    const cr = buildCertRequestV1({ peersCert: c.peersCert, caCert: c.caCert });
    if (cr) out.push({ type: C.ISAKMP_NPTYPE_CR, body: cr });
  }
  return out;
}

/** HASH_I/R for pre-shared keys; [CERT,] SIG_I/R for signatures (oakley_getmycert, oakley_getsign). */
export function proofPayloads(ph1: Phase1, hash: Uint8Array, ctx: AuthCtx): IsakmpPayload[] {
  if (!weSign(ph1)) return [{ type: C.ISAKMP_NPTYPE_HASH, body: hash }];
  const rm = ph1.rmconf;
  const certs = ctx.auth(rm).certs;
  if (rm.certificate?.type === 'plain_rsa') {
    const keys = lookupPlainRsa(certs.myPlainRsa ?? [], ph1.local.addr, ph1.remote.addr);
    if (!keys[0])
      throw new IsakmpError(C.ISAKMP_NTYPE_AUTHENTICATION_FAILED, `Private RSA key not found for ${where(ph1)}`);
    if (keys.length > 1)
      ctx.log('warn', `More than one (=${keys.length}) private PlainRSA key found for ${where(ph1)}`);
    return [{ type: C.ISAKMP_NPTYPE_SIG, body: rsaSignIkev1(hash, keys[0].key) }];
  }
  if (!certs.myCert) throw new IsakmpError(C.ISAKMP_NTYPE_AUTHENTICATION_FAILED, `remote ${rm.name}: no cert defined.`);
  const sig: IsakmpPayload = { type: C.ISAKMP_NPTYPE_SIG, body: rsaSignIkev1(hash, certs.myCert.key) };
  if (!rm.sendCert) return [sig];
  return [{ type: C.ISAKMP_NPTYPE_CERT, body: certPayload(certs.myCert.cert) }, sig];
}

/** The peer's authentication payloads of one message. */
export interface PeerProof {
  id: IsakmpId;
  hash?: Uint8Array;
  sig?: Uint8Array;
  /** The first X.509 certificate the peer sent (racoon keeps the first, "ignore 2nd CERT payload"). */
  cert?: Certificate;
}

/** Collects HASH, SIG and the first usable CERT; CERT payloads beyond the bound are not decoded. */
export function collectProof(ph1: Phase1, id: IsakmpId, payloads: readonly IsakmpPayload[], ctx: AuthCtx): PeerProof {
  const proof: PeerProof = { id };
  let certs = 0;
  for (const p of payloads) {
    if (p.type === C.ISAKMP_NPTYPE_HASH) proof.hash = p.body;
    else if (p.type === C.ISAKMP_NPTYPE_SIG) proof.sig = p.body;
    else if (p.type === C.ISAKMP_NPTYPE_CERT) {
      if (++certs > MAX_CERT_PAYLOADS)
        throw new IsakmpError(C.ISAKMP_NTYPE_PAYLOAD_MALFORMED, 'too many CERT payloads');
      if (proof.cert) {
        ctx.log('warn', 'ignore 2nd CERT payload.');
        continue;
      }
      const got = decodeCertPayload(p.body.encoding, p.body.data);
      if (got.kind === 'cert') proof.cert = savedCert(ph1, id, got.cert, ctx);
      else if (got.kind === 'malformed') ctx.log('warn', `CERT payload not decoded: ${got.reason}`);
      else if (got.kind === 'unsupported') ctx.log('warn', `No supported such CERT type ${got.encoding}`);
    }
  }
  return proof;
}

/** oakley_savecert: with verify_cert on, a certificate that does not match the ID is discarded. */
function savedCert(ph1: Phase1, id: IsakmpId, cert: Certificate, ctx: AuthCtx): Certificate | undefined {
  if (!ph1.rmconf.verifyCert) return cert;
  const r = checkIdAgainstCert(id.idType, id.data, cert, ph1.rmconf.verifyIdentifier);
  if (r.ok) return cert;
  ctx.log('debug', `Discarding CERT: does not match ID (${r.reason}).`);
  return undefined;
}

/** The peer's ID against `peers_identifier` (rmconf_match_identity); a mismatch fails with verify_identifier. */
export function checkPeersIdentifier(ph1: Phase1, id: IsakmpId, ctx: AuthCtx): void {
  const rm = ph1.rmconf;
  const a = ctx.auth(rm);
  if (a.peerIdAny) return;
  const r = matchPeersIdentifier(a.peerIds, id.idType, id.data, rm.verifyIdentifier);
  if (!r.ok) throw new IsakmpError(C.ISAKMP_NTYPE_INVALID_ID_INFORMATION, `${r.reason} (peers_identifier)`);
  if (r.warning) ctx.log('warn', `${r.warning}.`);
}

/** RFC 2409 §5: the peer's HASH or SIG over `want` (its HASH_I/HASH_R as we compute it). */
export function checkPeerProof(ph1: Phase1, proof: PeerProof, want: Uint8Array, ctx: AuthCtx): void {
  if (!peerSigns(ph1)) {
    if (!proof.hash) throw new IsakmpError(C.ISAKMP_NTYPE_PAYLOAD_MALFORMED, 'few isakmp message received.');
    if (!equalCT(want, proof.hash))
      throw new AuthFailure(C.ISAKMP_NTYPE_INVALID_HASH_INFORMATION, 'HASH mismatched (wrong pre-shared key?)');
    return;
  }
  if (!proof.sig) throw new AuthFailure(C.ISAKMP_NTYPE_PAYLOAD_MALFORMED, 'no SIG payload was passed.');
  const rm = ph1.rmconf;
  if (rm.peersCert?.type === 'plain_rsa') {
    const keys = lookupPlainRsa(ctx.auth(rm).certs.peersPlainRsa ?? [], ph1.remote.addr, ph1.local.addr);
    if (!keys.length)
      throw new IsakmpError(C.ISAKMP_NTYPE_AUTHENTICATION_FAILED, `Public RSA key not found for ${where(ph1)}`);
    if (!rsaVerifyIkev1Any(want, proof.sig, keys))
      throw new AuthFailure(C.ISAKMP_NTYPE_INVALID_SIGNATURE, 'Invalid SIG.');
    return;
  }
  const cert = peerCertificate(ph1, proof, ctx);
  if (!rsaVerifyIkev1(want, proof.sig, publicKeyOf(cert)))
    throw new AuthFailure(C.ISAKMP_NTYPE_INVALID_SIGNATURE, 'Invalid SIG.');
}

/** The certificate whose key must verify SIG: peers_certfile, else the peer's, verified when verify_cert. */
function peerCertificate(ph1: Phase1, proof: PeerProof, ctx: AuthCtx): Certificate {
  const rm = ph1.rmconf;
  const certs = ctx.auth(rm).certs;
  let cert = certs.peersCert;
  if (!cert) {
    // racoon: ISAKMP_INTERNAL_ERROR, no notification.
    if (!proof.cert) throw new IsakmpError(C.ISAKMP_NTYPE_AUTHENTICATION_FAILED, "no peer's CERT payload found.");
    cert = proof.cert;
    if (rm.verifyCert) verifyPeerCert(cert, ph1, ctx);
  }
  if (rm.verifyCert) {
    const r = checkIdAgainstCert(proof.id.idType, proof.id.data, cert, rm.verifyIdentifier);
    if (!r.ok) throw new AuthFailure(r.notify, `${r.reason}.`);
    if (r.warning) ctx.log('warn', `${r.warning}.`);
    ctx.log('debug', 'CERT validated');
  } else {
    ctx.log('warn', 'CERT validation disabled by configuration');
  }
  return cert;
}

/** eay_check_x509cert with racoon's callback: each error logged as `reason(code) at depth:N SubjectName:...`. */
function verifyPeerCert(cert: Certificate, ph1: Phase1, ctx: AuthCtx): void {
  const line = (e: CertError) => `${e.reason}(${e.opensslCode}) at depth:${e.depth} SubjectName:${e.subject}`;
  try {
    const r = verifyCertificate(cert, ctx.auth(ph1.rmconf).certs.store, { now: ctx.now() });
    for (const w of r.warnings) ctx.log('warn', line(w));
  } catch (e) {
    if (!(e instanceof CertError)) throw e;
    ctx.log('error', line(e));
    throw new AuthFailure(C.ISAKMP_NTYPE_INVALID_CERT_AUTHORITY, "the peer's certificate is not verified.");
  }
}
