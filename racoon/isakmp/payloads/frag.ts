// The IKE fragment payload (type 132) of racoon's vendor-ID-negotiated IKE fragmentation (ipsec-tools
// isakmp.h `struct isakmp_frag`, strongSwan fragment_payload.c); not RFC 7383, which is IKEv2's.
import { u16, putU16 } from '../../../common/bytes.js';
import { checkField, copyOf, needBytes, target, window, type Codec } from '../codec.js';

/*
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 * ! Next Payload  !   RESERVED    !         Payload Length        !
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 * !         Fragment ID           !  Fragment Num !     Flags     !
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 * ~                        Fragment Data                          ~
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 */

/** Flags: this is the message's last fragment (racoon ISAKMP_FRAG_LAST). */
export const ISAKMP_FRAG_LAST = 1;
/** Fragment ID, number and flags precede the data. */
export const ISAKMP_FRAG_FIELDS_LEN = 4;

/** One fragment: racoon and strongSwan always send fragment ID 1 and number the fragments from 1. */
export interface IsakmpFragment {
  fragmentId: number;
  number: number;
  flags: number;
  data: Uint8Array;
}

export function decodeFrag(buf: Uint8Array, offset = 0, end?: number): { value: IsakmpFragment; next: number } {
  const e = window(buf, offset, end);
  needBytes(offset, e, ISAKMP_FRAG_FIELDS_LEN, 'fragment header');
  const value: IsakmpFragment = {
    fragmentId: u16(buf, offset),
    number: buf[offset + 2]!,
    flags: buf[offset + 3]!,
    data: copyOf(buf, offset + ISAKMP_FRAG_FIELDS_LEN, e),
  };
  return { value, next: e };
}

export function encodeFrag(f: IsakmpFragment, buf?: Uint8Array, offset = 0): Uint8Array {
  const out = target(buf, offset, fragLength(f));
  putU16(out, offset, checkField(f.fragmentId, 16, 'fragment id'));
  out[offset + 2] = checkField(f.number, 8, 'fragment number');
  out[offset + 3] = checkField(f.flags, 8, 'fragment flags');
  out.set(f.data, offset + ISAKMP_FRAG_FIELDS_LEN);
  return out;
}

export function fragLength(f: IsakmpFragment): number {
  return ISAKMP_FRAG_FIELDS_LEN + f.data.length;
}

export const frag: Codec<IsakmpFragment> = { decode: decodeFrag, encode: encodeFrag, encodedLength: fragLength };
