// Certificate and Certificate Request payloads, RFC 7296 §3.6 and §3.7. A CERTREQ for X.509 carries the
// concatenated 20-byte SHA-1 hashes of trusted CAs' public keys (§3.7), so its length is checked against that.
import { IKEV2_CERTREQ_HASH_LEN, IKEV2_CERT_X509_SIGNATURE } from '../constants.js';
import { checkField, copyOf, invalidSyntax, needBytes, target, window, type Codec } from '../codec.js';

/*
 * CERT (§3.6):
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 * | Next Payload  |C|  RESERVED   |         Payload Length        |
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 * | Cert Encoding |                                               |
 * +-+-+-+-+-+-+-+-+                                               |
 * ~                       Certificate Data                        ~
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 *
 * CERTREQ (§3.7):
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 * | Next Payload  |C|  RESERVED   |         Payload Length        |
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 * | Cert Encoding |                                               |
 * +-+-+-+-+-+-+-+-+                                               |
 * ~                    Certification Authority                    ~
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 */

export interface Ikev2Cert {
  encoding: number; // IKEV2_CERT_*
  data: Uint8Array;
}

/** `authority` holds the CA field as sent; for X.509, caHashes() splits it into 20-byte SHA-1 hashes. */
export interface Ikev2CertReq {
  encoding: number;
  authority: Uint8Array;
}

function decodeTyped(buf: Uint8Array, offset: number, end: number | undefined, field: string) {
  const e = window(buf, offset, end);
  needBytes(offset, e, 1, field);
  return { encoding: buf[offset]!, rest: copyOf(buf, offset + 1, e), e };
}

function encodeTyped(encoding: number, rest: Uint8Array, buf: Uint8Array | undefined, offset: number): Uint8Array {
  const out = target(buf, offset, 1 + rest.length);
  out[offset] = checkField(encoding, 8, 'certificate encoding');
  out.set(rest, offset + 1);
  return out;
}

export const cert: Codec<Ikev2Cert> = {
  decode(buf, offset = 0, end) {
    const { encoding, rest, e } = decodeTyped(buf, offset, end, 'certificate encoding');
    if (rest.length === 0) invalidSyntax('CERT payload without certificate data', offset);
    return { value: { encoding, data: rest }, next: e };
  },
  encode: (c, buf, offset = 0) => encodeTyped(c.encoding, c.data, buf, offset),
  encodedLength: (c) => 1 + c.data.length,
};

export const certReq: Codec<Ikev2CertReq> = {
  decode(buf, offset = 0, end) {
    const { encoding, rest, e } = decodeTyped(buf, offset, end, 'certificate request encoding');
    if (encoding === IKEV2_CERT_X509_SIGNATURE && rest.length % IKEV2_CERTREQ_HASH_LEN !== 0)
      invalidSyntax(`X.509 CERTREQ authority of ${rest.length} bytes is not a list of SHA-1 hashes`, offset + 1);
    return { value: { encoding, authority: rest }, next: e };
  },
  encode: (c, buf, offset = 0) => encodeTyped(c.encoding, c.authority, buf, offset),
  encodedLength: (c) => 1 + c.authority.length,
};

/** The CA public-key hashes of an X.509 CERTREQ (§3.7), in the order sent. */
export function caHashes(c: Ikev2CertReq): Uint8Array[] {
  const out: Uint8Array[] = [];
  for (let o = 0; o + IKEV2_CERTREQ_HASH_LEN <= c.authority.length; o += IKEV2_CERTREQ_HASH_LEN)
    out.push(c.authority.slice(o, o + IKEV2_CERTREQ_HASH_LEN));
  return out;
}
