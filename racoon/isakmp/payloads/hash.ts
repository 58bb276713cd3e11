// HASH payload, RFC 2408 §3.11.
import { opaqueCodec, type Codec } from '../codec.js';

/*
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 * ! Next Payload  !   RESERVED    !         Payload Length        !
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 * ~                       Hash Data                               ~
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 */

/** HASH: prf output (HASH_I/HASH_R of RFC 2409 §5, HASH(1..3) of §5.5). */
export const hash: Codec<Uint8Array> = opaqueCodec('hash data', 1, Infinity);
