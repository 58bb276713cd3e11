// CERT (RFC 2408 §3.9) and CERTIFICATE REQUEST (§3.10) payloads.
import { checkField, copyOf, needBytes, target, window, type Codec } from '../codec.js';

/*
 * CERT:                                        CR:
 * ! Next Payload  !   RESERVED    ! Length !   ! Next Payload  !   RESERVED    ! Length !
 * ! Cert Encoding !                        !   !  Cert. Type   !                        !
 * ~                  Certificate Data      ~   ~                Certificate Authority   ~
 */

/** A CERT payload body: encoding (ISAKMP_CERT_*) and the certificate bytes. */
export interface IsakmpCert {
  encoding: number;
  data: Uint8Array;
}

/** A CR payload body: the certificate type wanted and an optional CA name (may be empty, RFC 2408 §3.10). */
export interface IsakmpCertRequest {
  certType: number;
  authority: Uint8Array;
}

function decodeTyped(
  buf: Uint8Array,
  offset: number,
  end: number | undefined,
  field: string,
): { type: number; data: Uint8Array; next: number } {
  const e = window(buf, offset, end);
  needBytes(offset, e, 1, field);
  return { type: buf[offset]!, data: copyOf(buf, offset + 1, e), next: e };
}

function encodeTyped(type: number, data: Uint8Array, buf: Uint8Array | undefined, offset: number): Uint8Array {
  const out = target(buf, offset, 1 + data.length);
  out[offset] = checkField(type, 8, 'certificate type');
  out.set(data, offset + 1);
  return out;
}

export const cert: Codec<IsakmpCert> = {
  decode(buf, offset = 0, end) {
    const r = decodeTyped(buf, offset, end, 'certificate encoding');
    return { value: { encoding: r.type, data: r.data }, next: r.next };
  },
  encode: (c, buf, offset = 0) => encodeTyped(c.encoding, c.data, buf, offset),
  encodedLength: (c) => 1 + c.data.length,
};

export const certRequest: Codec<IsakmpCertRequest> = {
  decode(buf, offset = 0, end) {
    const r = decodeTyped(buf, offset, end, 'certificate type');
    return { value: { certType: r.type, authority: r.data }, next: r.next };
  },
  encode: (c, buf, offset = 0) => encodeTyped(c.certType, c.authority, buf, offset),
  encodedLength: (c) => 1 + c.authority.length,
};
