// Revocation checking as OpenSSL 3 does it for racoon (x509_vfy.c check_revocation, get_crl_sk,
// get_crl_score, check_crl, cert_crl): for each certificate of the chain, the best CRL issued under its
// issuer's name is chosen, its scope, dates and signature are checked, then the serial is looked up.
import { akidMatches } from './chain.js';
import { CRL_REASON_REMOVE_FROM_CRL, findRevoked, type Crl } from './crl.js';
import { KU_CRL_SIGN } from './extensions.js';
import { checkSignature, type SignatureCheck } from './signature.js';
import type { CertSource } from './store.js';
import type { Reporter } from './reporter.js';
import { publicKeyOf, type Certificate } from './x509.js';

// get_crl_score weights (x509_vfy.c).
const CRL_SCORE_NOCRITICAL = 0x100;
const CRL_SCORE_SCOPE = 0x080;
const CRL_SCORE_TIME = 0x040;
const CRL_SCORE_ISSUER_NAME = 0x020;
const CRL_SCORE_ISSUER_CERT = 0x018;

const crlTimeValid = (crl: Crl, now: number): boolean =>
  crl.thisUpdate <= now && (crl.nextUpdate === undefined || now < crl.nextUpdate);

/**
 * crl_crldp_check without distribution-point names: an IssuingDistributionPoint limited to user, CA or
 * attribute certificates puts other certificates out of scope. Named distribution points and reason
 * subsets are taken as covering the certificate (a CRL applied too widely can only revoke more).
 */
function inScope(crl: Crl, cert: Certificate): boolean {
  const idp = crl.idp;
  if (!idp) return true;
  if (idp.onlyAttribute) return false;
  const isCa = cert.basicConstraints?.ca === true;
  return isCa ? !idp.onlyUser : !idp.onlyCa;
}

/** get_crl_score for a CRL found under the certificate's issuer name; 0 = not usable. */
function scoreCrl(crl: Crl, cert: Certificate, issuer: Certificate, now: number): number {
  if (crl.isDelta) return 0; // deltas need X509_V_FLAG_USE_DELTAS, which racoon does not set
  if (!akidMatches(issuer, crl.authorityKeyId)) return 0;
  let score = CRL_SCORE_ISSUER_NAME | CRL_SCORE_ISSUER_CERT;
  if (!crl.unhandledCritical) score |= CRL_SCORE_NOCRITICAL;
  if (crlTimeValid(crl, now)) score |= CRL_SCORE_TIME;
  if (inScope(crl, cert)) score |= CRL_SCORE_SCOPE;
  return score;
}

/** get_crl_sk: the highest score wins; between equals, the most recent thisUpdate. */
function bestCrl(crls: readonly Crl[], cert: Certificate, issuer: Certificate, now: number) {
  let best: { crl: Crl; score: number } | undefined;
  for (const crl of crls) {
    const score = scoreCrl(crl, cert, issuer, now);
    if (score === 0 || (best && score < best.score)) continue;
    if (best && score === best.score && crl.thisUpdate <= best.crl.thisUpdate) continue;
    best = { crl, score };
  }
  return best;
}

/** check_crl: the CRL's issuer may sign CRLs, the CRL covers the certificate, is current, and is signed. */
function checkCrl(crl: Crl, score: number, issuer: Certificate, depth: number, now: number, rep: Reporter): void {
  if (issuer.keyUsage !== undefined && !(issuer.keyUsage & KU_CRL_SIGN)) rep.fail('KEYUSAGE_NO_CRL_SIGN', depth);
  if (!(score & CRL_SCORE_SCOPE)) rep.fail('DIFFERENT_CRL_SCOPE', depth);
  if (!(score & CRL_SCORE_TIME)) {
    if (crl.thisUpdate > now) rep.fail('CRL_NOT_YET_VALID', depth);
    if (crl.nextUpdate !== undefined && crl.nextUpdate <= now) rep.fail('CRL_HAS_EXPIRED', depth);
  }
  const sig = crlSignature(crl, issuer);
  if (sig === 'nokey') rep.fail('UNABLE_TO_DECODE_ISSUER_PUBLIC_KEY', depth);
  else if (sig !== 'ok') rep.fail('CRL_SIGNATURE_FAILURE', depth);
}

/** Per CRL, the outcome of its signature check by each issuer key met (a CRL in the store is checked once). */
const crlChecks = new WeakMap<Crl, Map<string, SignatureCheck | 'nokey'>>();

function crlSignature(crl: Crl, issuer: Certificate): SignatureCheck | 'nokey' {
  let m = crlChecks.get(crl);
  if (!m) crlChecks.set(crl, (m = new Map()));
  const k = Buffer.from(issuer.spki).toString('latin1');
  let r = m.get(k);
  if (r === undefined) {
    try {
      r = checkSignature(crl, publicKeyOf(issuer));
    } catch {
      r = 'nokey';
    }
    if (m.size < 8) m.set(k, r);
  }
  return r;
}

/** check_revocation with CRL_CHECK (last = 0) or CRL_CHECK_ALL (last = the anchor's index). */
export function checkRevocation(
  chain: readonly Certificate[],
  store: CertSource,
  now: number,
  last: number,
  rep: Reporter,
): void {
  for (let i = 0; i <= last; i++) {
    const cert = chain[i]!;
    // The CRL's signer is the certificate's issuer; the anchor signs its own (check_crl).
    const issuer = chain[Math.min(i + 1, chain.length - 1)]!;
    const best = bestCrl(store.crlsByIssuer(cert.issuer), cert, issuer, now);
    if (!best) {
      rep.fail('UNABLE_TO_GET_CRL', i);
      continue;
    }
    checkCrl(best.crl, best.score, issuer, i, now, rep);
    if (best.crl.unhandledCritical) rep.fail('UNHANDLED_CRITICAL_CRL_EXTENSION', i);
    const entry = findRevoked(best.crl, cert.serial);
    if (entry && entry.reason !== CRL_REASON_REMOVE_FROM_CRL) rep.fail('CERT_REVOKED', i);
  }
}
