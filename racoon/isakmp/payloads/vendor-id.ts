// VENDOR ID payload, RFC 2408 §3.16.
import { opaqueCodec, type Codec } from '../codec.js';

/*
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 * ! Next Payload  !   RESERVED    !         Payload Length        !
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 * ~                       Vendor ID (VID)                         ~
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 */

/** VENDOR ID: usually MD5 of a vendor string (NAT-T drafts, RFC 3947, DPD, IKE fragmentation). */
export const vendorId: Codec<Uint8Array> = opaqueCodec('vendor id', 1, Infinity);
