// Signatures on certificates and CRLs (RFC 5280 §4.1.1.3, RFC 4055 RSASSA-PSS, RFC 5758 ECDSA, RFC 8410 EdDSA),
// checked by node:crypto over the TBS bytes exactly as received.
import { constants, verify, type KeyObject } from 'node:crypto';
import { DerReader, TAG_INTEGER, TAG_SEQUENCE, ctxC, oidOf, smallInt } from './der.js';
import { DIGEST_OIDS, OID_MGF1, SIGNATURE_ALGORITHMS } from './oid.js';
import { decodeAlgorithmId, type AlgorithmId } from './x509.js';

/** Outcome of a signature check: good, bad, or an algorithm we refuse or do not know. */
export type SignatureCheck = 'ok' | 'bad' | 'unsupported' | 'weak';

/** Anything signed the X.509 way: TBS bytes, the algorithm inside and outside the TBS, the signature. */
export interface Signed {
  tbs: Uint8Array;
  tbsSigAlg: AlgorithmId;
  sigAlg: AlgorithmId;
  signature: Uint8Array;
}

interface PssParams {
  digest: string;
  saltLength: number;
}

/** RSASSA-PSS-params (RFC 4055 §3.1); undefined when the MGF is not MGF1 with the same digest (Node's only form). */
function pssParams(raw: Uint8Array | undefined): PssParams | undefined {
  if (!raw) return undefined;
  const r = DerReader.inside(raw, new DerReader(raw, 0, raw.length).expect(TAG_SEQUENCE, 'RSASSA-PSS-params'));
  let digest = 'sha1';
  let mgfDigest = 'sha1';
  let saltLength = 20;
  const h = r.optional(ctxC(0), 'hashAlgorithm');
  if (h) digest = DIGEST_OIDS.get(decodeAlgorithmId(raw, DerReader.inside(raw, h).next('hash'), 'hash').oid) ?? '';
  const m = r.optional(ctxC(1), 'maskGenAlgorithm');
  if (m) {
    const mgf = decodeAlgorithmId(raw, DerReader.inside(raw, m).next('mgf'), 'mgf');
    if (mgf.oid !== OID_MGF1 || !mgf.params) return undefined;
    const inner = new DerReader(mgf.params, 0, mgf.params.length).expect(TAG_SEQUENCE, 'mgf1 hash');
    mgfDigest = DIGEST_OIDS.get(oidOf(mgf.params, DerReader.inside(mgf.params, inner).next('oid'), 'oid')) ?? '';
  }
  const s = r.optional(ctxC(2), 'saltLength');
  if (s) saltLength = smallInt(raw, DerReader.inside(raw, s).expect(TAG_INTEGER, 'saltLength'), 'saltLength');
  if (!digest || digest !== mgfDigest) return undefined;
  return { digest, saltLength };
}

const sameBytes = (a: Uint8Array, b: Uint8Array): boolean => Buffer.compare(a, b) === 0;

/** Checks `s`'s signature with `key` (the issuer's public key). */
export function checkSignature(s: Signed, key: KeyObject): SignatureCheck {
  // OpenSSL X509_verify/X509_CRL_verify: the algorithm inside the TBS must equal the outer one.
  if (!sameBytes(s.tbsSigAlg.raw, s.sigAlg.raw)) return 'bad';
  const info = SIGNATURE_ALGORITHMS.get(s.sigAlg.oid);
  if (!info) return 'unsupported';
  if (info.weak) return 'weak';
  const kt = key.asymmetricKeyType;
  try {
    if (info.key === 'rsa-pss') {
      const p = pssParams(s.sigAlg.params);
      if (!p || (kt !== 'rsa' && kt !== 'rsa-pss')) return p ? 'bad' : 'unsupported';
      const opts = { key, padding: constants.RSA_PKCS1_PSS_PADDING, saltLength: p.saltLength };
      return verify(p.digest, s.tbs, opts, s.signature) ? 'ok' : 'bad';
    }
    if (info.key !== kt) return 'bad';
    return verify(info.digest, s.tbs, key, s.signature) ? 'ok' : 'bad';
  } catch {
    return 'bad';
  }
}
