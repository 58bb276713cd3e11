// The IPsec input path (KAME esp4_input/ah4_input/ipcomp4_input and ipsec4_in_reject, RFC 4301 §5.2): one
// transform step for an ESP/AH/IPComp header addressed to this host (SA lookup by (dst, proto, SPI), the
// transform, counters, lifetime accounting), and the inbound policy check of the packet's history of
// transforms once the last header is off.
import type { Clock } from '../../common/clock.js';
import type { Rng } from '../../common/rng.js';
import { addrEqual } from '../../common/inet.js';
import type { Sad } from '../sad/sad.js';
import type { Stats, StatName, ProtoStatPrefix } from '../stats.js';
import type { Spd, SocketPolicy } from '../spd/spd.js';
import type { IpsecRequest, PolicyDir } from '../spd/policy.js';
import type { IpsecMode, IpsecProto, SecAssoc } from '../sad/secassoc.js';
import { espInput, espSpi } from './esp.js';
import { ahInput, ahSpi } from './ah.js';
import { ipcompInput, ipcompCpi } from './ipcomp.js';
import { fixupTransportChecksum } from './udp-encap.js';
import { stripOuter, tunnelDropReason, dsByteOf } from './tunnel.js';
import type { TransformEnv, TransformResult } from './transform.js';
import type { PacketSelector } from './output.js';
import { IPPROTO_ESP, IPPROTO_AH, IPPROTO_IPV4, IPPROTO_IPV6 } from '../ip/constants.js';
import { ipPacketEnd } from '../ip/walk.js';

/** Tunnel-in-tunnel and transform nesting limit for one received packet (Linux XFRM_MAX_DEPTH is 6). */
export const IPSEC_MAX_INPUT_DEPTH = 6;

/** One transform a received packet went through (KAME keeps this as mbuf tags; Linux as the sec_path). */
export interface InputLayer {
  proto: IpsecProto;
  /** The SA's mode as installed ('any' SAs match either mode in the policy check). */
  mode: IpsecMode;
  sa: SecAssoc;
  /** Arrived in UDP (RFC 3948). */
  udpEncap: boolean;
}

export interface InputContext {
  sad: Sad;
  stats: Stats;
  clock: Clock;
  rng: Rng;
}

export type InputStep =
  { ok: true; packet: Uint8Array; layer: InputLayer } | { ok: false; reason: StatName; detail?: string };

const PREFIX: Record<IpsecProto, ProtoStatPrefix> = { esp: 'esps', ah: 'ahs', ipcomp: 'ipcomps' };

function lookupSa(ctx: InputContext, proto: number, p: Uint8Array, off: number, dst: Uint8Array): SecAssoc | StatName {
  if (proto === IPPROTO_ESP) {
    const spi = espSpi(p, off);
    if (spi < 0) return 'esps_hdrops';
    return ctx.sad.lookupIn(dst, 'esp', spi) ?? 'esps_notdb';
  }
  if (proto === IPPROTO_AH) {
    const spi = ahSpi(p, off);
    if (spi < 0) return 'ahs_hdrops';
    return ctx.sad.lookupIn(dst, 'ah', spi) ?? 'ahs_notdb';
  }
  const cpi = ipcompCpi(p, off);
  if (cpi < 0) return 'ipcomps_hdrops';
  return ctx.sad.lookupIpcompIn(dst, cpi) ?? 'ipcomps_notdb';
}

/** ICV bytes of an ESP SA (where the decrypted trailer ends). */
function espIcvLen(sa: SecAssoc): number {
  const alg = sa.encAlg;
  if (alg?.kind === 'aead') return alg.icvLen;
  return sa.authAlg && sa.authKey ? sa.authAlg.icvLen : 0; // contexts may not exist yet (created on first use)
}

/**
 * Processes the ESP (50), AH (51) or IPComp (108) header at `off` of a packet addressed to `dst`, or ESP
 * carried in UDP when `udpEncap` (the UDP header already stripped). A tunnel-mode SA is run as KAME's 'any'
 * mode, so that a bundle whose later tunnel request was applied in place (ipsec/output.ts) also opens.
 * Returns the resulting IP packet (transport: same header; tunnel: the inner packet) and the layer.
 */
export function ipsecInputStep(
  ctx: InputContext,
  packet: Uint8Array,
  proto: number,
  off: number,
  dst: Uint8Array,
  udpEncap = false,
): InputStep {
  const found = lookupSa(ctx, proto, packet, off, dst);
  if (typeof found === 'string') {
    if (found.endsWith('_notdb')) ctx.stats.bump('ips_in_nosa');
    return { ok: false, reason: found };
  }
  const sa = found;
  const env: TransformEnv = { rng: ctx.rng, now: ctx.clock.now() };
  const mode: IpsecMode = sa.mode === 'tunnel' ? 'any' : sa.mode;
  const end = ipPacketEnd(packet);
  const len = packet.length;
  let r: TransformResult;
  if (sa.proto === 'esp') r = espInput(sa, packet, off, env, mode);
  else if (sa.proto === 'ah') r = ahInput(sa, packet, off, env, mode);
  else r = ipcompInput(sa, packet, off, env, undefined, mode);
  const grp = PREFIX[sa.proto];
  if (!r.ok) return r;
  ctx.stats.bump(`${grp}_input` as const);
  ctx.stats.addBytes(`${grp}_ibytes` as const, len);
  ctx.sad.recordUse(sa, len);
  const out = r.packet;
  if (udpEncap && sa.proto === 'esp') {
    // RFC 3948 §3.1.2: after transport-mode decapsulation the TCP/UDP checksum needs the NAT fix-up.
    const nh = packet[end - espIcvLen(sa) - 1];
    const tunnelled = sa.mode !== 'transport' && (nh === IPPROTO_IPV4 || nh === IPPROTO_IPV6);
    if (!tunnelled && !fixupTransportChecksum(out, sa.natt))
      return { ok: false, reason: 'esps_hdrops', detail: 'short transport header after NAT-T' };
  }
  return { ok: true, packet: out, layer: { proto: sa.proto, mode: sa.mode, sa, udpEncap } };
}

/**
 * An IP-in-IP packet (protocol 4 or 41, inner header at `off`) from a peer that has an IPComp tunnel SA to
 * us is an IPComp packet sent uncompressed (RFC 3173 §2.2: small or incompressible payloads go without the
 * IPComp header; FreeBSD ipcomp_nonexp_input accepts them the same way). Undefined when there is no such SA:
 * then it is plain IP-in-IP, which this host does not terminate.
 */
export function ipcompUncompressedStep(
  ctx: InputContext,
  packet: Uint8Array,
  proto: number,
  off: number,
  end: number,
  src: Uint8Array,
  dst: Uint8Array,
): InputStep | undefined {
  const sa = ctx.sad.lookupOut(src, dst, 'ipcomp', 'tunnel', 0);
  if (!sa) return undefined;
  const r = stripOuter(packet, off, end, proto, dsByteOf(packet, 0) & 3);
  if (!r.ok) return { ok: false, reason: tunnelDropReason('ipcomps', r.error) };
  ctx.stats.bump('ipcomps_input');
  ctx.stats.addBytes('ipcomps_ibytes', end);
  ctx.sad.recordUse(sa, end);
  return { ok: true, packet: r.packet, layer: { proto: 'ipcomp', mode: sa.mode, sa, udpEncap: false } };
}

function layerMatches(req: IpsecRequest, l: InputLayer): boolean {
  if (l.proto !== req.proto) return false;
  if (l.mode !== 'any' && l.mode !== req.mode) return false;
  if (req.mode === 'tunnel' && (!addrEqual(l.sa.src, req.src!) || !addrEqual(l.sa.dst, req.dst!))) return false;
  if (req.level === 'unique' && req.reqid !== 0 && l.sa.reqid !== req.reqid) return false;
  return true;
}

/**
 * Does the history (outermost first, as processed) satisfy the requests (innermost first)? Every ESP/AH
 * request at level require/unique must be matched, in order, by a layer (protocol, mode, tunnel endpoints,
 * reqid for unique:N). Optional requests (use/default) are not matched at all, so they can never take a
 * layer a later mandatory request needs; extra layers are accepted (KAME accepts more than asked). IPComp
 * is never required on input: small or incompressible payloads are sent without it (RFC 3173 §2.2; KAME
 * ipsec_in_reject skips IPComp for the same reason).
 */
export function historySatisfies(requests: readonly IpsecRequest[], history: readonly InputLayer[]): boolean {
  let pos = history.length - 1; // innermost layer first
  for (const req of requests) {
    if ((req.level !== 'require' && req.level !== 'unique') || req.proto === 'ipcomp') continue;
    while (pos >= 0 && !layerMatches(req, history[pos]!)) pos--;
    if (pos < 0) return false;
    pos--;
  }
  return true;
}

/**
 * The inbound policy check (KAME ipsec4_in_reject/ipsec6_in_reject, RFC 4301 §5.2 step 4) for a packet
 * after its last IPsec header: `in` for local delivery (with the receiving socket's policy), `fwd` for a
 * forwarded packet (falling back to the `in` policy when no `fwd` one matches, as KAME checks forwarded
 * packets against its inbound policy). Returns undefined when accepted, else the counter to bump.
 */
export function inboundPolicyCheck(
  spd: Spd,
  sock: SocketPolicy | undefined,
  dir: Exclude<PolicyDir, 'out'>,
  sel: PacketSelector,
  history: readonly InputLayer[],
): StatName | undefined {
  let d: PolicyDir = dir;
  if (dir === 'fwd' && spd.lookupPolicy('fwd', sel.src, sel.dst, sel.proto, sel.sport, sel.dport) === undefined)
    d = 'in';
  const res = spd.resolvePolicy(sock, d, sel.src, sel.dst, sel.proto, sel.sport, sel.dport);
  if (res.action === 'discard') return 'ips_in_polvio';
  if (res.action === 'none') return undefined;
  return historySatisfies(res.requests, history) ? undefined : 'ips_in_polvio';
}
