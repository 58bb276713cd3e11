// Identities and certificates: does the peer's ID payload match its certificate (racoon oakley.c
// oakley_check_certid, run when verify_cert is on; RFC 4945 §3.1), and does it match `peers_identifier`
// (remoteconf.c rmconf_match_identity, enforced when verify_identifier is on). ID type numbers are the
// IPsec DOI's (RFC 2407 §4.6.2.1), which IKEv2 keeps (RFC 7296 §3.5).
import { equalCT } from '../../common/bytes.js';
import { decodeNameDer, matchNameWildcard, type Name } from './name.js';
import { parseNameText } from './name-text.js';
import type { Certificate } from './x509.js';

export const ID_IPV4_ADDR = 1;
export const ID_FQDN = 2;
export const ID_USER_FQDN = 3; // IKEv2 ID_RFC822_ADDR
export const ID_IPV6_ADDR = 5;
export const ID_DER_ASN1_DN = 9;
export const ID_KEY_ID = 11;

/** ISAKMP notify types the checks answer with (RFC 2408 §3.14.1). */
export const NOTIFY_INVALID_ID_INFORMATION = 18;
export const NOTIFY_INVALID_CERTIFICATE = 20;

export type IdCheck = { ok: true; warning?: string } | { ok: false; notify: number; reason: string };

const ok = (warning?: string): IdCheck => (warning ? { ok: true, warning } : { ok: true });
const fail = (notify: number, reason: string): IdCheck => ({ ok: false, notify, reason });

function sanValues(cert: Certificate, type: 'ip' | 'dns' | 'email'): Array<{ text: string; bytes: Uint8Array }> {
  const out: Array<{ text: string; bytes: Uint8Array }> = [];
  for (const g of cert.subjectAltNames) {
    if (g.type !== type) continue;
    out.push(
      g.type === 'ip' ? { text: g.value, bytes: g.bytes } : { text: g.value, bytes: Buffer.from(g.value, 'latin1') },
    );
  }
  return out;
}

/** FQDNs compare without regard to ASCII case (RFC 4945 §3.1.2); user@FQDN compare exactly, as racoon does. */
function sameName(a: Uint8Array, b: Uint8Array, fold: boolean): boolean {
  if (!fold) return equalCT(a, b);
  return Buffer.from(a).toString('latin1').toLowerCase() === Buffer.from(b).toString('latin1').toLowerCase();
}

/**
 * oakley_check_certid: the peer's ID (type, data) against its certificate. A DN must equal the subject's DER;
 * an address, FQDN or user FQDN must equal a subjectAltName of that kind. racoon fails a DN or address
 * mismatch only with verify_identifier on (else it is a warning), a name mismatch always; any other ID type
 * cannot be checked against a certificate and fails. (racoon looks only at the first subjectAltName of the
 * kind; RFC 4945 §3.1 and this code accept any of them.)
 */
export function checkIdAgainstCert(
  idType: number,
  idData: Uint8Array,
  cert: Certificate,
  verifyIdentifier: boolean,
): IdCheck {
  switch (idType) {
    case ID_DER_ASN1_DN: {
      if (Buffer.compare(idData, cert.subject.der) === 0) return ok();
      const why = 'ID mismatched with ASN1 SubjectName';
      return verifyIdentifier ? fail(NOTIFY_INVALID_ID_INFORMATION, why) : ok(why);
    }
    case ID_IPV4_ADDR:
    case ID_IPV6_ADDR: {
      const sans = sanValues(cert, 'ip');
      if (!sans.length) return fail(NOTIFY_INVALID_CERTIFICATE, 'no proper subjectAltName (no IP address)');
      if (sans.some((s) => equalCT(s.bytes, idData))) return ok();
      const why = 'ID mismatched with subjectAltName';
      return verifyIdentifier ? fail(NOTIFY_INVALID_ID_INFORMATION, why) : ok(why);
    }
    case ID_FQDN:
    case ID_USER_FQDN: {
      const sans = sanValues(cert, idType === ID_FQDN ? 'dns' : 'email');
      if (!sans.length)
        return fail(
          NOTIFY_INVALID_CERTIFICATE,
          `no proper subjectAltName (no ${idType === ID_FQDN ? 'DNS name' : 'email'})`,
        );
      if (sans.some((s) => sameName(s.bytes, idData, idType === ID_FQDN))) return ok();
      return fail(NOTIFY_INVALID_ID_INFORMATION, 'ID mismatched with subjectAltName');
    }
    default:
      return fail(NOTIFY_INVALID_ID_INFORMATION, `ID type ${idType} cannot be checked against a certificate`);
  }
}

/** One `peers_identifier` value as an ID: an asn1dn carries its DER Name (wildcards allowed). */
export interface PeerIdSpec {
  idType: number;
  data: Uint8Array;
}

/** `peers_identifier asn1dn "C=JP, O=KAME, CN=*"` as a spec (throws NameTextError on a bad DN). */
export function asn1dnSpec(text: string): PeerIdSpec {
  return { idType: ID_DER_ASN1_DN, data: parseNameText(text).der };
}

const isAddr = (t: number): boolean => t === ID_IPV4_ADDR || t === ID_IPV6_ADDR;

function specMatches(spec: PeerIdSpec, idType: number, idData: Uint8Array): boolean {
  if (isAddr(spec.idType)) return isAddr(idType) && equalCT(spec.data, idData);
  if (spec.idType !== idType) return false;
  if (idType === ID_DER_ASN1_DN) {
    let peer: Name;
    try {
      peer = decodeNameDer(idData);
    } catch {
      return false;
    }
    return matchNameWildcard(decodeNameDer(spec.data), peer);
  }
  // racoon compares only the configured value's length (a prefix match); whole values are compared here.
  return equalCT(spec.data, idData);
}

/**
 * rmconf_match_identity: the peer's ID must equal one of the configured `peers_identifier` values (asn1dn
 * with racoon's `*` wildcards). No values configured = anything goes. A mismatch fails with verify_identifier
 * on; off, it is a warning.
 */
export function matchPeersIdentifier(
  specs: readonly PeerIdSpec[],
  idType: number,
  idData: Uint8Array,
  verifyIdentifier: boolean,
): IdCheck {
  if (specs.length === 0 || specs.some((s) => specMatches(s, idType, idData))) return ok();
  return verifyIdentifier ? fail(NOTIFY_INVALID_ID_INFORMATION, 'No ID match') : ok('No ID match');
}

/** `my_identifier asn1dn;` without a value: the subject of our certificate, as DER. */
export function myAsn1dn(cert: Certificate): PeerIdSpec {
  return { idType: ID_DER_ASN1_DN, data: cert.subject.der };
}
