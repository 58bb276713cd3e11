// Sending side of racoon's IKE fragmentation (ipsec-tools isakmp_frag.c isakmp_sendfrags): a message larger
// than ISAKMP_FRAG_MAXLEN is cut into pieces, each sent as its own ISAKMP message whose only payload is a
// fragment (type 132), numbered from 1, the last one flagged. Each fragment datagram gets the non-ESP marker
// on the NAT-T port; the whole message never does.
import { putU16 } from '../../common/bytes.js';
import * as C from '../isakmp/constants.js';
import { encodeIsakmpHeader } from '../isakmp/header.js';
import { ISAKMP_FRAG_FIELDS_LEN, ISAKMP_FRAG_LAST, encodeFrag } from '../isakmp/payloads/frag.js';
import type { Phase1 } from './handles.js';

/** racoon isakmp_frag.h: the largest fragment datagram, non-ESP marker included (racoon keeps 4 bytes for it). */
export const ISAKMP_FRAG_MAXLEN = 552;
/** Header, fragment payload header and the 4-byte trailer racoon reserves: 512 data bytes per fragment. */
const FRAG_OVERHEAD = C.ISAKMP_HEADER_LEN + C.ISAKMP_GEN_HEADER_LEN + ISAKMP_FRAG_FIELDS_LEN + 4;
/** racoon and strongSwan always send fragment ID 1. */
const FRAG_ID = 1;
/** The fragment number is 8 bits. */
const MAX_FRAGMENTS = 255;

/**
 * Cuts a whole ISAKMP message into fragment messages of at most `maxLen` bytes. The fragments carry the
 * message's cookies and exchange type (racoon copies hdr->etype), message ID 0 and no flags (strongSwan
 * message.c create_fragment: "other implementations seem to just use 0 as message ID").
 */
export function splitIsakmp(msg: Uint8Array, maxLen = ISAKMP_FRAG_MAXLEN): Uint8Array[] {
  const per = maxLen - FRAG_OVERHEAD;
  if (per < 1) throw new RangeError(`fragments of ${maxLen} bytes leave no room for data`);
  if (msg.length < C.ISAKMP_HEADER_LEN) throw new RangeError('not an ISAKMP message');
  const count = Math.ceil(msg.length / per);
  if (count > MAX_FRAGMENTS) throw new RangeError(`${count} fragments exceed ${MAX_FRAGMENTS}`);
  const out: Uint8Array[] = [];
  for (let i = 0; i < count; i++) {
    const data = msg.subarray(i * per, Math.min(msg.length, (i + 1) * per));
    const len = C.ISAKMP_HEADER_LEN + C.ISAKMP_GEN_HEADER_LEN + ISAKMP_FRAG_FIELDS_LEN + data.length;
    const f = new Uint8Array(len);
    encodeIsakmpHeader(
      {
        icookie: msg.subarray(0, 8),
        rcookie: msg.subarray(8, 16),
        np: C.ISAKMP_NPTYPE_FRAG,
        majorVersion: C.ISAKMP_MAJOR_VERSION,
        minorVersion: 0,
        etype: msg[18]!,
        flags: 0,
        msgid: 0,
        length: len,
      },
      f,
      0,
    );
    f[C.ISAKMP_HEADER_LEN] = C.ISAKMP_NPTYPE_NONE;
    putU16(f, C.ISAKMP_HEADER_LEN + 2, len - C.ISAKMP_HEADER_LEN);
    const last = i === count - 1 ? ISAKMP_FRAG_LAST : 0;
    encodeFrag({ fragmentId: FRAG_ID, number: i + 1, flags: last, data }, f, C.ISAKMP_HEADER_LEN + 4);
    out.push(f);
  }
  return out;
}

/**
 * The path splitter of a phase 1 (IkePath.fragment): once fragmentation is on for this peer (its vendor ID, or
 * our `ike_frag force` as initiator), every message of this ISAKMP SA longer than ISAKMP_FRAG_MAXLEN goes out
 * in fragments — phase 1, quick mode and informational alike, as racoon's isakmp_send does.
 */
export function phase1Fragmenter(ph1: Pick<Phase1, 'frag'>): (msg: Uint8Array) => Uint8Array[] {
  return (msg) => (ph1.frag?.send && msg.length > ISAKMP_FRAG_MAXLEN ? splitIsakmp(msg) : [msg]);
}
