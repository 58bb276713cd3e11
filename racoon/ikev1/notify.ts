// Notification payloads (RFC 2408 §3.14) built in one place: about the ISAKMP SA itself, whose SPI is the
// cookie pair (RFC 2408 §3.15; INITIAL-CONTACT, RFC 2407 §4.6.3.3), or about an IPsec proposal (its
// protocol and SPI; RESPONDER-LIFETIME, RFC 2407 §4.6.3.1, and quick mode errors).
import * as C from '../isakmp/constants.js';
import type { IsakmpPayload } from '../isakmp/message.js';
import type { Phase1 } from './handles.js';

/** The ISAKMP SA's SPI: ICOOKIE | RCOOKIE, 16 bytes. */
export function isakmpSpi(ph1: Pick<Phase1, 'icookie' | 'rcookie'>): Uint8Array {
  const spi = new Uint8Array(16);
  spi.set(ph1.icookie);
  spi.set(ph1.rcookie, 8);
  return spi;
}

/** A notification in the IPsec DOI about `protoId` / `spi`. */
export function notifyPayload(
  protoId: number,
  notifyType: number,
  spi: Uint8Array,
  data: Uint8Array = new Uint8Array(0),
): IsakmpPayload {
  return { type: C.ISAKMP_NPTYPE_N, body: { doi: C.IPSEC_DOI, protoId, notifyType, spi, data } };
}

/** A notification about the ISAKMP SA itself (the cookie pair as SPI). */
export function isakmpNotify(ph1: Pick<Phase1, 'icookie' | 'rcookie'>, notifyType: number): IsakmpPayload {
  return notifyPayload(C.IPSECDOI_PROTO_ISAKMP, notifyType, isakmpSpi(ph1));
}
