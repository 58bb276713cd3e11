// Certificate verification as racoon's eay_check_x509cert asks OpenSSL for it: X509_verify_cert with
// X509_V_FLAG_CRL_CHECK | X509_V_FLAG_CRL_CHECK_ALL, and a callback that lets only "unable to get certificate
// CRL" through (cb_check_cert_remote; a missing CRL is a warning, a CRL that is there is enforced). The checks
// run in OpenSSL 3's order (x509_vfy.c verify_chain) so that the first error reported is the one
// `openssl verify` reports for the same files: build the chain, CA/path-length/critical-extension checks,
// revocation, then signatures and validity dates from the trust anchor down.
import { buildChain, DEFAULT_MAX_DEPTH, isSelfSigned, likelyIssued } from './chain.js';
import type { CertError, CertErrorCode } from './errors.js';
import { KU_KEY_CERT_SIGN } from './extensions.js';
import { Reporter } from './reporter.js';
import { checkRevocation } from './revocation.js';
import { checkSignature } from './signature.js';
import type { CertSource } from './store.js';
import { publicKeyOf, type Certificate } from './x509.js';

export interface VerifyOptions {
  /** The time to check validity dates and CRLs against, ms since the epoch (an injected clock's now()). */
  now: number;
  /** Intermediate certificates the peer sent (CERT payloads); racoon 0.8.2 itself passes none. */
  untrusted?: readonly Certificate[];
  /** CRL checking: racoon checks every certificate of the chain ('all'); 'leaf' or 'none' for other uses. */
  crlCheck?: 'all' | 'leaf' | 'none';
  /**
   * Errors reported as warnings instead of failing. racoon: a peer's certificate tolerates only
   * UNABLE_TO_GET_CRL (the default); its own (cb_check_cert_local) also expired, self-signed, invalid CA,
   * path length, purpose (LOCAL_CERT_TOLERATED).
   */
  tolerate?: ReadonlySet<CertErrorCode>;
  maxDepth?: number;
}

export const REMOTE_CERT_TOLERATED: ReadonlySet<CertErrorCode> = new Set(['UNABLE_TO_GET_CRL']);
export const LOCAL_CERT_TOLERATED: ReadonlySet<CertErrorCode> = new Set([
  'CERT_HAS_EXPIRED',
  'DEPTH_ZERO_SELF_SIGNED_CERT',
  'INVALID_CA',
  'PATH_LENGTH_EXCEEDED',
  'UNABLE_TO_GET_CRL',
]);

export interface VerifyResult {
  /** Leaf first, trust anchor last. */
  chain: Certificate[];
  /** Errors the options tolerated, in the order met (racoon logs them as warnings). */
  warnings: CertError[];
}

/** check_ca: 0 = not a CA, 1 = a CA by basicConstraints, 3 = a v1 self-signed root, 4 = keyUsage allows signing. */
function checkCa(c: Certificate): number {
  if (c.keyUsage !== undefined && !(c.keyUsage & KU_KEY_CERT_SIGN)) return 0;
  if (c.basicConstraints) return c.basicConstraints.ca ? 1 : 0;
  if (c.version === 1 && isSelfSigned(c)) return 3;
  if (c.keyUsage !== undefined) return 4;
  return 0;
}

/** check_chain_extensions: unhandled critical extensions, CA status of issuers, path lengths. */
function checkExtensions(chain: readonly Certificate[], rep: Reporter): void {
  let plen = 0;
  chain.forEach((x, i) => {
    if (x.unhandledCritical.length) rep.fail('UNHANDLED_CRITICAL_EXTENSION', i);
    if (i > 0) {
      const ca = checkCa(x);
      // Intermediates must be CAs by basicConstraints; the anchor may also be a v1 root or keyUsage-only.
      if (ca === 0 || (i + 1 < chain.length && ca !== 1)) rep.fail('INVALID_CA', i);
    }
    const pathLen = x.basicConstraints?.ca ? x.basicConstraints.pathLen : undefined;
    if (i > 1 && pathLen !== undefined && plen > pathLen) rep.fail('PATH_LENGTH_EXCEEDED', i);
    if (i > 0 && !x.selfIssued) plen++;
  });
}

function checkTime(c: Certificate, depth: number, now: number, rep: Reporter): void {
  if (c.notBefore > now) rep.fail('CERT_NOT_YET_VALID', depth);
  if (c.notAfter <= now) rep.fail('CERT_HAS_EXPIRED', depth);
}

function checkSigned(subject: Certificate, issuer: Certificate, n: number, issuerDepth: number, rep: Reporter): void {
  if (issuer !== subject && issuer.keyUsage !== undefined && !(issuer.keyUsage & KU_KEY_CERT_SIGN)) {
    rep.fail('KEYUSAGE_NO_CERTSIGN', issuerDepth);
  }
  let key;
  try {
    key = publicKeyOf(issuer);
  } catch {
    rep.fail('UNABLE_TO_DECODE_ISSUER_PUBLIC_KEY', issuerDepth);
    return;
  }
  const r = checkSignature(subject, key);
  if (r === 'weak') rep.fail('CA_MD_TOO_WEAK', n);
  else if (r === 'unsupported') rep.fail('UNSUPPORTED_SIGNATURE_ALGORITHM', n);
  else if (r === 'bad') rep.fail('CERT_SIGNATURE_FAILURE', n);
}

/** internal_verify: from the anchor down, each signature by its issuer's key, then each certificate's dates. */
function checkSignaturesAndTimes(chain: readonly Certificate[], now: number, rep: Reporter): void {
  let n = chain.length - 1;
  let xi = chain[n]!;
  let xs = xi;
  if (!likelyIssued(xi, xi)) {
    // The top is not self-issued: it was accepted without its issuer (cannot happen without partial chains).
    n--;
    if (n < 0) return;
    xs = chain[n]!;
  }
  for (; n >= 0; n--) {
    xs = chain[n]!;
    // OpenSSL skips the self-signed anchor's own signature: it adds no security.
    if (xs !== xi) checkSigned(xs, xi, n, n + 1, rep);
    checkTime(xs, n, now, rep);
    xi = xs;
  }
}

/**
 * Verifies `leaf` against the trust store as racoon does. Returns the chain and tolerated warnings, or
 * throws a CertError naming the certificate (subject, depth) and OpenSSL's reason.
 */
export function verifyCertificate(leaf: Certificate, store: CertSource, opts: VerifyOptions): VerifyResult {
  const built = buildChain(leaf, store, opts.untrusted ?? [], opts.now, opts.maxDepth ?? DEFAULT_MAX_DEPTH);
  const rep = new Reporter(built.chain, opts.tolerate ?? REMOTE_CERT_TOLERATED);
  // A chain that ends without a trust anchor fails here unless tolerated (racoon's own certificate may be
  // self-signed); the checks below still run on what was built, as OpenSSL's do after its callback says ok.
  if (built.error) rep.fail(built.error.code, built.error.depth);
  checkExtensions(built.chain, rep);
  const crl = opts.crlCheck ?? 'all';
  if (crl !== 'none') checkRevocation(built.chain, store, opts.now, crl === 'all' ? built.chain.length - 1 : 0, rep);
  checkSignaturesAndTimes(built.chain, opts.now, rep);
  return { chain: built.chain, warnings: rep.warnings };
}
