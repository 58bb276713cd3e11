// IKE fragments as they arrive (ipsec-tools isakmp.c frag_handler): a message whose first payload is a
// fragment is checked, accepted only where we announced reassembly (`ike_frag on|force` on the remote of the
// phase 1 it belongs to, or of the peer for a first message), held in the bounded reassembly, and the whole
// message, once complete, goes back to the ordinary input. Every drop is counted, never thrown.
import { addrEqual, formatAddr } from '../../common/inet.js';
import { lookupRemote } from '../conf/lookup.js';
import type { EngineCtx } from '../engine/context.js';
import type { Endpoint } from '../engine/datagram.js';
import * as C from '../isakmp/constants.js';
import { decodeIsakmpHeader, type IsakmpHeader } from '../isakmp/header.js';
import { decodePayload } from '../isakmp/message.js';
import type { IsakmpFragment } from '../isakmp/payloads/frag.js';
import type { Phase1 } from './handles.js';
import { DEFAULT_REASSEMBLY_LIMITS, FragmentReassembly, type ReassemblyLimits } from './reassembly.js';

/** Byte 16 of the ISAKMP header names the first payload (RFC 2408 §3.1). */
const NP_OFFSET = 16;

/** Whether a datagram's IKEv1 message is a fragment (checked before anything else is decoded). */
export function isFragmentMessage(d: Uint8Array): boolean {
  return d.length > NP_OFFSET && d[NP_OFFSET] === C.ISAKMP_NPTYPE_FRAG;
}

const isZero = (b: Uint8Array) => b.every((x) => x === 0);

export class FragmentInput {
  readonly reassembly: FragmentReassembly;

  constructor(
    private readonly ctx: EngineCtx,
    private readonly byCookie: (icookie: Uint8Array) => Phase1 | undefined,
    limits: Partial<ReassemblyLimits> = {},
  ) {
    this.reassembly = new FragmentReassembly(ctx.clock, { ...DEFAULT_REASSEMBLY_LIMITS, ...limits });
  }

  /** One fragment message; the reassembled message when this fragment completed it. */
  input(d: Uint8Array, remote: Endpoint): Uint8Array | undefined {
    const { ctx } = this;
    ctx.stats.fragReceived++;
    const parsed = parseFragment(d);
    if (typeof parsed === 'string') return this.drop(remote, parsed);
    const { header, fragment } = parsed;
    const why = this.refuse(header, remote);
    if (why) return this.drop(remote, why);
    const r = this.reassembly.add(remote, d.subarray(0, 16), fragment);
    ctx.stats.fragTimedOut = this.reassembly.timedOut;
    if (r.kind === 'dropped') return this.drop(remote, r.reason);
    if (r.kind === 'held') return undefined;
    // The whole message must be about the same ISAKMP SA and must not be a fragment itself.
    const m = r.message;
    if (m.length < C.ISAKMP_HEADER_LEN || !sameCookies(m, d) || m[NP_OFFSET] === C.ISAKMP_NPTYPE_FRAG)
      return this.drop(remote, 'reassembled message does not match its fragments');
    ctx.stats.fragReassembled++;
    ctx.log('debug', `reassembled a ${m.length}-byte message from ${formatAddr(remote.addr)}`);
    return m;
  }

  /** Fragments are taken only where we said we reassemble (racoon.conf(5) ike_frag: receiver side). */
  private refuse(h: IsakmpHeader, remote: Endpoint): string | undefined {
    const ph1 = this.byCookie(h.icookie);
    if (ph1) {
      if (!addrEqual(ph1.remote.addr, remote.addr)) return 'fragment from another address than the peer';
      return ph1.rmconf.ikeFrag === 'off' ? 'ike_frag is off for this peer' : undefined;
    }
    if (!isZero(h.rcookie)) return 'fragment for an unknown ISAKMP SA';
    const rm = lookupRemote(this.ctx.conf, remote.addr, remote.port);
    if (!rm || rm.ikeFrag === 'off') return 'first message fragmented but ike_frag is off for this peer';
    if (this.ctx.halfOpen.full()) return 'half-open limit reached';
    return undefined;
  }

  private drop(remote: Endpoint, why: string): undefined {
    this.ctx.stats.fragDropped++;
    this.ctx.log('debug', `IKE fragment from ${formatAddr(remote.addr)} dropped: ${why}`);
    return undefined;
  }

  close(): void {
    this.reassembly.clear();
  }
}

/** Header and fragment payload of a fragment message, or why it is malformed. */
function parseFragment(d: Uint8Array): { header: IsakmpHeader; fragment: IsakmpFragment } | string {
  try {
    const header = decodeIsakmpHeader(d).value;
    if (header.length !== d.length) return `header says ${header.length} bytes, datagram has ${d.length}`;
    const p = decodePayload(C.ISAKMP_NPTYPE_FRAG, d, C.ISAKMP_HEADER_LEN, d.length);
    if (p.next !== d.length || p.np !== C.ISAKMP_NPTYPE_NONE) return 'fragment payload not alone in its message';
    return { header, fragment: p.value.body as IsakmpFragment };
  } catch (e) {
    return (e as Error).message;
  }
}

function sameCookies(a: Uint8Array, b: Uint8Array): boolean {
  for (let i = 0; i < 16; i++) if (a[i] !== b[i]) return false;
  return true;
}
