// Certificate authentication in IKE_AUTH (RFC 7296 §2.15, §3.6-§3.8; RFC 7427): the Authenticator of a remote
// whose proposal says `authentication_method rsasig`. It signs with `certificate_type x509`'s key — RFC 7427
// Digital Signature (method 14) when the peer announced SIGNATURE_HASH_ALGORITHMS, else the key's classic
// method (1 for RSA, 9-11 for ECDSA by curve) — and checks the peer's AUTH with the key of its certificate,
// verified as IKEv1 does (racoon/cert: chain to `ca_type` / `path certificate`, CRLs, the ID against the
// subject or subjectAltName when verify_cert is on).
import type { KeyObject } from 'node:crypto';
import { buildCertRequestV2, decodeCertPayload } from '../cert/cert-request.js';
import { CertError } from '../cert/errors.js';
import { checkIdAgainstCert } from '../cert/identity.js';
import { decodeNameDer, nameEquals } from '../cert/name.js';
import { verifyCertificate } from '../cert/verify.js';
import { publicKeyOf, type Certificate } from '../cert/x509.js';
import type { RemoteAuth } from '../conf/remote-auth.js';
import type { EngineCtx } from '../engine/context.js';
import type { Authenticator } from './authenticator.js';
import * as K from './constants.js';
import type { Ikev2Payload } from './payload-chain.js';
import { formatIkev2Id, type Ikev2Id } from './payloads/id.js';
import type { IkeSa } from './records.js';
import { chooseSignatureAlgorithm, decodeDigitalSignature, signAuth, verifyAuth } from './signature.js';

/** CERT payloads decoded from one message at most (bounded work per packet; a chain longer is refused). */
export const MAX_PEER_CERTS = 8;

/** The hashes we announce in SIGNATURE_HASH_ALGORITHMS (RFC 7427 §4; SHA-1 is not offered, RFC 8247 §3.2). */
export const OUR_SIGNATURE_HASHES: readonly number[] = [
  K.IKEV2_HASH_SHA2_256,
  K.IKEV2_HASH_SHA2_384,
  K.IKEV2_HASH_SHA2_512,
];

const SIGNATURE_METHODS: ReadonlySet<number> = new Set([
  K.IKEV2_AUTH_METHOD_RSA_SIG,
  K.IKEV2_AUTH_METHOD_ECDSA_SHA256_P256,
  K.IKEV2_AUTH_METHOD_ECDSA_SHA384_P384,
  K.IKEV2_AUTH_METHOD_ECDSA_SHA512_P521,
  K.IKEV2_AUTH_METHOD_DIGITAL_SIGNATURE,
]);

/** RFC 4754 §7: the classic ECDSA method of a curve. */
const ECDSA_METHOD_BY_CURVE: Readonly<Record<string, number>> = {
  prime256v1: K.IKEV2_AUTH_METHOD_ECDSA_SHA256_P256,
  secp384r1: K.IKEV2_AUTH_METHOD_ECDSA_SHA384_P384,
  secp521r1: K.IKEV2_AUTH_METHOD_ECDSA_SHA512_P521,
};

/** Why the peer's certificate authentication failed (the exchange answers AUTHENTICATION_FAILED). */
export class CertAuthError extends Error {}

/**
 * Our AUTH with `key`: method 14 when the peer takes RFC 7427 signatures, else the key's own method. RSA signs
 * with RSASSA-PSS when `pss` is asked (`rsa_pss on`) and always with an RSA-PSS key, which has no PKCS#1 v1.5
 * form (RFC 4055 §1.2) and so no method 1.
 */
export function signWithKey(
  key: KeyObject,
  octets: Uint8Array,
  peerHashes: readonly number[] | undefined,
  opts: { pss?: boolean } = {},
) {
  const pssKey = key.asymmetricKeyType === 'rsa-pss';
  if (peerHashes?.length) {
    const alg = chooseSignatureAlgorithm(key, peerHashes, { pss: pssKey || opts.pss });
    if (alg)
      return {
        method: K.IKEV2_AUTH_METHOD_DIGITAL_SIGNATURE,
        data: signAuth(K.IKEV2_AUTH_METHOD_DIGITAL_SIGNATURE, key, octets, alg),
      };
  }
  if (key.asymmetricKeyType === 'rsa')
    return { method: K.IKEV2_AUTH_METHOD_RSA_SIG, data: signAuth(K.IKEV2_AUTH_METHOD_RSA_SIG, key, octets) };
  const m = ECDSA_METHOD_BY_CURVE[key.asymmetricKeyDetails?.namedCurve ?? ''];
  if (m === undefined) throw new CertAuthError(`a ${key.asymmetricKeyType} key signs only with RFC 7427 signatures`);
  return { method: m, data: signAuth(m, key, octets) };
}

/** The X.509 certificates of a message's CERT payloads, the peer's own first (§3.6), bounded in number. */
export function peerCertificates(payloads: readonly Ikev2Payload[], log: (m: string) => void): Certificate[] {
  const out: Certificate[] = [];
  let n = 0;
  for (const p of payloads) {
    if (p.type !== K.IKEV2_PAYLOAD_CERT) continue;
    if (++n > MAX_PEER_CERTS) throw new CertAuthError(`more than ${MAX_PEER_CERTS} CERT payloads`);
    const got = decodeCertPayload(p.body.encoding, p.body.data);
    if (got.kind === 'cert') out.push(got.cert);
    else if (got.kind === 'malformed') log(`CERT payload not decoded: ${got.reason}`);
    else if (got.kind === 'unsupported') log(`CERT encoding ${got.encoding} not supported, ignored`);
  }
  return out;
}

/** CERT payloads for our certificate and the chain in its file (`send_cert on`). */
function ourCertPayloads(a: RemoteAuth): Ikev2Payload[] {
  const my = a.certs.myCert;
  if (!my) return [];
  return [my.cert, ...my.chain].map((c) => ({
    type: K.IKEV2_PAYLOAD_CERT,
    body: { encoding: K.IKEV2_CERT_X509_SIGNATURE, data: c.der },
  }));
}

/** A CERTREQ naming the `ca_type` CA by its public key hash (§3.7), when send_cr is on and one is set. */
export function certReqPayloads(sa: IkeSa, a: RemoteAuth): Ikev2Payload[] {
  if (!sa.rmconf.sendCr || !a.certs.caCert) return [];
  const r = buildCertRequestV2([a.certs.caCert]);
  return [{ type: K.IKEV2_PAYLOAD_CERTREQ, body: { encoding: r.encoding, authority: r.data } }];
}

/**
 * The certificate whose key must verify the peer's AUTH: `peers_certfile x509` when set, else the first CERT
 * it sent, verified against the trust store with CRLs (its other CERTs as untrusted intermediates), and its
 * identity checked against it when verify_cert is on (RFC 4945 §3.1 / racoon oakley_check_certid).
 */
export function peerCertificate(
  ctx: EngineCtx,
  sa: IkeSa,
  id: Ikev2Id,
  payloads: readonly Ikev2Payload[],
): Certificate {
  const rm = sa.rmconf;
  const a = ctx.auth.get(rm);
  const sent = peerCertificates(payloads, (m) => ctx.log('warn', m));
  const cert = a.certs.peersCert ?? sent[0];
  if (!cert) throw new CertAuthError(`no CERT payload from ${formatIkev2Id(id)} and no peers_certfile`);
  if (!rm.verifyCert) {
    ctx.log('warn', 'CERT validation disabled by configuration');
    return cert;
  }
  if (!a.certs.peersCert) {
    try {
      const r = verifyCertificate(cert, a.certs.store, { now: ctx.clock.now(), untrusted: sent.slice(1) });
      for (const w of r.warnings) ctx.log('warn', certLine(w));
    } catch (e) {
      if (!(e instanceof CertError)) throw e;
      ctx.log('error', certLine(e));
      throw new CertAuthError("the peer's certificate is not verified");
    }
  }
  if (id.idType === K.IKEV2_ID_DER_ASN1_DN && sameDn(id.data, cert)) return cert;
  const c = checkIdAgainstCert(id.idType, id.data, cert, rm.verifyIdentifier);
  if (!c.ok) throw new CertAuthError(`${c.reason} (${formatIkev2Id(id)})`);
  if (c.warning) ctx.log('warn', `${c.warning} (${formatIkev2Id(id)})`);
  return cert;
}

/** `RSA signature (method 1)`, `sha512WithRSAEncryption (method 14)`: what a verified AUTH used. */
export function signatureText(method: number, data: Uint8Array): string {
  if (method === K.IKEV2_AUTH_METHOD_DIGITAL_SIGNATURE)
    return `${decodeDigitalSignature(data)?.alg.name ?? 'unknown'} (method 14)`;
  return `${K.nameOf(K.IKEV2_AUTH_METHOD_NAMES, method)} (method ${method})`;
}

/**
 * An ID_DER_ASN1_DN naming the certificate's subject, compared as X509_NAME_cmp does (canonical form): peers
 * encode the same DN with other string types (strongSwan writes PrintableString where openssl wrote
 * UTF8String), and RFC 4945 §3.1.5 asks for a match of the name, not of its bytes.
 */
function sameDn(der: Uint8Array, cert: Certificate): boolean {
  try {
    return nameEquals(decodeNameDer(der), cert.subject);
  } catch {
    return false;
  }
}

/** racoon's log line for a certificate error: `reason(code) at depth:N SubjectName:...`. */
function certLine(e: CertError): string {
  return `${e.reason}(${e.opensslCode}) at depth:${e.depth} SubjectName:${e.subject}`;
}

/** Certificate (signature) authentication of one IKE SA. */
export function certAuthenticator(sa: IkeSa, ctx: EngineCtx): Authenticator {
  const a = ctx.auth.get(sa.rmconf);
  return {
    payloads: () => [
      ...(sa.rmconf.sendCert ? ourCertPayloads(a) : []),
      ...(sa.initiator ? certReqPayloads(sa, a) : []),
    ],
    sign(octets) {
      const key = a.certs.myCert?.key;
      return key ? signWithKey(key, octets, sa.peerSigHashes, { pss: sa.rmconf.rsaPss }) : undefined;
    },
    verify(auth, octets, peer) {
      if (!SIGNATURE_METHODS.has(auth.method)) throw new CertAuthError(`AUTH method ${auth.method} is not a signature`);
      const cert = peerCertificate(ctx, sa, sa.peerId!, peer);
      if (!verifyAuth(auth.method, publicKeyOf(cert), octets, auth.data)) return false;
      ctx.log('info', `IKEv2 peer ${formatIkev2Id(sa.peerId!)} signed with ${signatureText(auth.method, auth.data)}`);
      return true;
    },
  };
}
