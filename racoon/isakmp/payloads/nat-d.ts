// NAT-D (20, and 130 of the drafts) payload, RFC 3947 §3.2.
import { opaqueCodec, type Codec } from '../codec.js';

/*
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 * ! Next Payload  !   RESERVED    !         Payload Length        !
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 * ~                       HASH of the address and port            ~
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 */

/** NAT-D: HASH(CKY-I | CKY-R | IP | Port) with the negotiated phase 1 hash. */
export const natD: Codec<Uint8Array> = opaqueCodec('NAT-D hash', 1, Infinity);
