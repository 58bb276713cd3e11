// Chain building as OpenSSL 3's X509_verify_cert does it (x509_vfy.c build_chain), the way racoon's
// eay_check_x509cert runs it: trusted store first, then the peer's intermediates; only a self-signed
// certificate from the store is a trust anchor (racoon sets no X509_V_FLAG_PARTIAL_CHAIN).
import { nameEquals } from './name.js';
import {
  OID_EC_PUBLIC_KEY,
  OID_ED25519,
  OID_ED448,
  OID_RSA_ENCRYPTION,
  OID_RSASSA_PSS,
  SIGNATURE_ALGORITHMS,
} from './oid.js';
import type { CertSource } from './store.js';
import type { Certificate } from './x509.js';
import { serialKey } from './crl.js';
import type { AuthorityKeyId } from './extensions.js';
import type { CertErrorCode } from './errors.js';

/** OpenSSL's default verification depth (X509_VERIFY_PARAM depth 100). */
export const DEFAULT_MAX_DEPTH = 100;
/** Peer-sent intermediates considered at most (a hostile peer may send many CERT payloads). */
export const MAX_UNTRUSTED = 32;

const sameBytes = (a: Uint8Array, b: Uint8Array): boolean => Buffer.compare(a, b) === 0;

/** X509_check_akid: the subject's authorityKeyIdentifier does not contradict this issuer. */
export function akidMatches(issuer: Certificate, akid: AuthorityKeyId | undefined): boolean {
  if (!akid) return true;
  if (akid.keyId && issuer.subjectKeyId && !sameBytes(akid.keyId, issuer.subjectKeyId)) return false;
  if (akid.serial && serialKey(akid.serial) !== serialKey(issuer.serial)) return false;
  const dir = akid.issuer?.find((g) => g.type === 'dirName');
  if (dir && dir.type === 'dirName' && !nameEquals(dir.value, issuer.issuer)) return false;
  return true;
}

const KEY_TYPE_BY_SPKI: Record<string, string> = {
  [OID_RSA_ENCRYPTION]: 'rsa',
  [OID_RSASSA_PSS]: 'rsa-pss',
  [OID_EC_PUBLIC_KEY]: 'ec',
  [OID_ED25519]: 'ed25519',
  [OID_ED448]: 'ed448',
};

/** OpenSSL 3 check_sig_alg_match: the subject's signature algorithm fits the issuer's key type. */
function sigAlgFits(issuer: Certificate, subject: Certificate): boolean {
  const want = SIGNATURE_ALGORITHMS.get(subject.sigAlg.oid)?.key;
  const have = KEY_TYPE_BY_SPKI[issuer.spkiAlg];
  if (!want || !have) return false;
  return want === have || (want === 'rsa-pss' && have === 'rsa');
}

/** ossl_x509_likely_issued: names chain, the AKID agrees, the algorithm fits (the signature is checked later). */
export function likelyIssued(issuer: Certificate, subject: Certificate): boolean {
  return (
    nameEquals(issuer.subject, subject.issuer) &&
    akidMatches(issuer, subject.authorityKeyId) &&
    sigAlgFits(issuer, subject)
  );
}

/** EXFLAG_SS: self-issued, its own AKID agrees with it, and the algorithm fits its own key. */
export function isSelfSigned(c: Certificate): boolean {
  return c.selfIssued && akidMatches(c, c.authorityKeyId) && sigAlgFits(c, c);
}

export const timeValid = (c: Certificate, now: number): boolean => c.notBefore <= now && now < c.notAfter;

/** X509_STORE_CTX_get1_issuer / find_issuer: the first time-valid match, else the one expiring last. */
function pickIssuer(cands: readonly Certificate[], subject: Certificate, now: number): Certificate | undefined {
  let best: Certificate | undefined;
  for (const c of cands) {
    if (!likelyIssued(c, subject)) continue;
    if (timeValid(c, now)) return c;
    if (!best || c.notAfter > best.notAfter) best = c;
  }
  return best;
}

/** A built chain: leaf first; certificates from index `numUntrusted` on came from the store. */
export interface BuiltChain {
  chain: Certificate[];
  numUntrusted: number;
  /** Set when the chain does not end at a trust anchor: the error and depth OpenSSL reports. */
  error?: { code: CertErrorCode; depth: number };
}

function untrustedEnd(chain: Certificate[], numUntrusted: number, maxDepth: number): BuiltChain['error'] {
  const n = chain.length;
  const top = chain[n - 1]!;
  if (n > maxDepth) return { code: 'CERT_CHAIN_TOO_LONG', depth: n - 1 };
  if (isSelfSigned(top))
    return { code: n === 1 ? 'DEPTH_ZERO_SELF_SIGNED_CERT' : 'SELF_SIGNED_CERT_IN_CHAIN', depth: n - 1 };
  if (numUntrusted < n) return { code: 'UNABLE_TO_GET_ISSUER_CERT', depth: n - 1 };
  return { code: 'UNABLE_TO_GET_ISSUER_CERT_LOCALLY', depth: n - 1 };
}

/** Builds the chain from `leaf` through the store and the peer's `untrusted` certificates. */
export function buildChain(
  leaf: Certificate,
  store: CertSource,
  untrusted: readonly Certificate[],
  now: number,
  maxDepth = DEFAULT_MAX_DEPTH,
): BuiltChain {
  const chain = [leaf];
  let numUntrusted = 1;
  const pool = untrusted.slice(0, MAX_UNTRUSTED);
  let searchUntrusted = true;
  while (chain.length <= maxDepth) {
    const cur = chain[chain.length - 1]!;
    const trusted = pickIssuer(store.certsBySubject(cur.issuer), cur, now);
    if (trusted) {
      if (sameBytes(trusted.der, cur.der)) {
        // The peer's own self-signed certificate is itself in the store: trusted as is.
        if (chain.length === numUntrusted) numUntrusted--;
        return { chain, numUntrusted };
      }
      chain.push(trusted);
      searchUntrusted = false; // once in the store, the chain continues in the store only
      if (isSelfSigned(trusted)) return { chain, numUntrusted };
      continue;
    }
    if (!searchUntrusted || isSelfSigned(cur)) break;
    const next = pickIssuer(pool, cur, now);
    if (!next) break;
    pool.splice(pool.indexOf(next), 1);
    chain.push(next);
    numUntrusted++;
  }
  return { chain, numUntrusted, error: untrustedEnd(chain, numUntrusted, maxDepth) };
}
