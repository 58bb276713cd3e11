// racoon IKE fragment (132) payload, vendor-ID-negotiated IKE fragmentation (not RFC 7383).
import { opaqueCodec, type Codec } from '../codec.js';

/*
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 * ! Next Payload  !   RESERVED    !         Payload Length        !
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 * ~                       Fragment ID, number, flags, data        ~
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 */

/** The fragment body is kept as bytes for the fragmentation layer. */
export const frag: Codec<Uint8Array> = opaqueCodec('fragment', 0, Infinity);
