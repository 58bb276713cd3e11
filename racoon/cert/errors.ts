// Certificate errors with stable codes. The code names, numbers and reasons are OpenSSL's X509_V_ERR_*
// (x509_vfy.h, x509_txt.c): racoon logs them through eay_check_x509cert, and operators grep for them.

/** Verification failures: [number as in OpenSSL's x509_vfy.h, reason as X509_verify_cert_error_string]. */
export const CERT_ERRORS = {
  UNABLE_TO_GET_ISSUER_CERT: [2, 'unable to get issuer certificate'],
  UNABLE_TO_GET_CRL: [3, 'unable to get certificate CRL'],
  UNABLE_TO_DECODE_ISSUER_PUBLIC_KEY: [6, 'unable to decode issuer public key'],
  CERT_SIGNATURE_FAILURE: [7, 'certificate signature failure'],
  CRL_SIGNATURE_FAILURE: [8, 'CRL signature failure'],
  CERT_NOT_YET_VALID: [9, 'certificate is not yet valid'],
  CERT_HAS_EXPIRED: [10, 'certificate has expired'],
  CRL_NOT_YET_VALID: [11, 'CRL is not yet valid'],
  CRL_HAS_EXPIRED: [12, 'CRL has expired'],
  DEPTH_ZERO_SELF_SIGNED_CERT: [18, 'self-signed certificate'],
  SELF_SIGNED_CERT_IN_CHAIN: [19, 'self-signed certificate in certificate chain'],
  UNABLE_TO_GET_ISSUER_CERT_LOCALLY: [20, 'unable to get local issuer certificate'],
  CERT_CHAIN_TOO_LONG: [22, 'certificate chain too long'],
  CERT_REVOKED: [23, 'certificate revoked'],
  PATH_LENGTH_EXCEEDED: [25, 'path length constraint exceeded'],
  KEYUSAGE_NO_CERTSIGN: [32, 'key usage does not include certificate signing'],
  UNABLE_TO_GET_CRL_ISSUER: [33, 'unable to get CRL issuer certificate'],
  UNHANDLED_CRITICAL_EXTENSION: [34, 'unhandled critical extension'],
  KEYUSAGE_NO_CRL_SIGN: [35, 'key usage does not include CRL signing'],
  UNHANDLED_CRITICAL_CRL_EXTENSION: [36, 'unhandled critical CRL extension'],
  DIFFERENT_CRL_SCOPE: [44, 'different CRL scope'],
  CA_MD_TOO_WEAK: [68, 'CA signature digest algorithm too weak'],
  UNSUPPORTED_SIGNATURE_ALGORITHM: [76, 'unsupported signature algorithm'],
  INVALID_CA: [79, 'invalid CA certificate'],
} as const satisfies Record<string, readonly [number, string]>;

export type CertErrorCode = keyof typeof CERT_ERRORS;

/**
 * A certificate that failed verification: which one (subject and depth, 0 = the peer's own certificate), the
 * stable code, OpenSSL's number and reason. The message reads like racoon's log line.
 */
export class CertError extends Error {
  readonly opensslCode: number;
  readonly reason: string;
  constructor(
    readonly code: CertErrorCode,
    readonly subject: string,
    readonly depth: number,
  ) {
    const [n, reason] = CERT_ERRORS[code];
    super(`${reason} (X509_V_ERR ${n}) at depth ${depth}: ${subject}`);
    this.name = 'CertError';
    this.opensslCode = n;
    this.reason = reason;
  }
}

/** A certificate, CRL or key file that could not be loaded; the message names the file and never key bytes. */
export class CertLoadError extends Error {
  readonly code = 'ECERTLOAD';
  constructor(
    message: string,
    readonly file: string,
  ) {
    super(`${file}: ${message}`);
    this.name = 'CertLoadError';
  }
}
