// The Notification Data of the notify types whose data has a layout: INVALID_KE_PAYLOAD (RFC 7296 §1.3), COOKIE
// (§2.6), NAT_DETECTION_*_IP (§2.23), SIGNATURE_HASH_ALGORITHMS (RFC 7427 §4), and UNSUPPORTED_CRITICAL_PAYLOAD
// (§3.10.1). Decoders return undefined for data of the wrong shape; the engine then treats the notify as absent.
import { createHash } from 'node:crypto';
import { u16, putU16 } from '../../common/bytes.js';

/** §2.6: "the cookie ... MUST be between 1 and 64 octets". */
export const IKEV2_COOKIE_MAX = 64;

/** INVALID_KE_PAYLOAD carries the DH group the responder wants (2 octets, §1.3). */
export function encodeGroupData(group: number): Uint8Array {
  const out = new Uint8Array(2);
  putU16(out, 0, group);
  return out;
}

export function decodeGroupData(data: Uint8Array): number | undefined {
  return data.length === 2 ? u16(data, 0) : undefined;
}

/** A COOKIE's data, when its length is legal (§2.6). */
export function isValidCookie(data: Uint8Array): boolean {
  return data.length >= 1 && data.length <= IKEV2_COOKIE_MAX;
}

/** SIGNATURE_HASH_ALGORITHMS: a list of 2-octet hash algorithm identifiers (RFC 7427 §4). */
export function encodeHashAlgorithms(ids: readonly number[]): Uint8Array {
  const out = new Uint8Array(2 * ids.length);
  ids.forEach((id, i) => putU16(out, 2 * i, id));
  return out;
}

export function decodeHashAlgorithms(data: Uint8Array): number[] | undefined {
  if (data.length === 0 || data.length % 2 !== 0) return undefined;
  const out: number[] = [];
  for (let o = 0; o < data.length; o += 2) out.push(u16(data, o));
  return out;
}

/**
 * §2.23: NAT_DETECTION_SOURCE_IP / _DESTINATION_IP data = SHA-1(SPIi | SPIr | IP address | port), with the
 * address in network order (4 or 16 bytes) and the UDP port; SPIr is zero in the IKE_SA_INIT request.
 */
export function natDetectionHash(spiI: Uint8Array, spiR: Uint8Array, addr: Uint8Array, port: number): Uint8Array {
  const p = new Uint8Array(2);
  putU16(p, 0, port);
  return new Uint8Array(createHash('sha1').update(spiI).update(spiR).update(addr).update(p).digest());
}

/** UNSUPPORTED_CRITICAL_PAYLOAD names the payload type in one octet (§3.10.1). */
export function decodeCriticalPayloadType(data: Uint8Array): number | undefined {
  return data.length === 1 ? data[0] : undefined;
}
