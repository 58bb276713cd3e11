// NONCE payload, RFC 2408 §3.13, sized by RFC 2409 §5.
import { opaqueCodec, type Codec } from '../codec.js';
import { ISAKMP_NONCE_MAX, ISAKMP_NONCE_MIN } from '../constants.js';

/*
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 * ! Next Payload  !   RESERVED    !         Payload Length        !
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 * ~                       Nonce Data                              ~
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 */

/** NONCE: RFC 2409 §5 says its length "MUST be between 8 and 256 bytes inclusive". */
export const nonce: Codec<Uint8Array> = opaqueCodec('nonce', ISAKMP_NONCE_MIN, ISAKMP_NONCE_MAX);
