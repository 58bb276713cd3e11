// The IPsec output path (KAME ipsec4_output/ipsec6_output, RFC 4301 §5.1): apply the policy's bundle to one
// outgoing packet. Requests are applied in list order, the first innermost (setkey `ipcomp/... esp/... ah/...`
// gives IP|AH|ESP|IPComp|payload); only the first tunnel request adds an outer header, a later one with the
// same endpoints is applied in place. A missing SA under require/unique drops the packet (never plaintext) and
// raises a rate-limited ACQUIRE; under use/default the request is skipped.
import type { Clock } from '../../common/clock.js';
import type { Rng } from '../../common/rng.js';
import { addrEqual } from '../../common/inet.js';
import type { Sad } from '../sad/sad.js';
import type { Stats, StatName } from '../stats.js';
import type { PolicyResolution } from '../spd/spd.js';
import type { IpsecRequest } from '../spd/policy.js';
import type { SecAssoc } from '../sad/secassoc.js';
import { espOutput } from './esp.js';
import { ahOutput } from './ah.js';
import { ipcompOutput } from './ipcomp.js';
import type { TransformEnv } from './transform.js';
import { AcquireTable, type SaIndex } from '../sad/acquire.js';
import { IPPROTO_TCP, IPPROTO_UDP, IPPROTO_ICMP, IPPROTO_ICMPV6 } from '../ip/constants.js';
import { IpWalk, walkIp } from '../ip/walk.js';

/** What the SPD is asked about a packet (RFC 4301 §4.4.1.1); ICMP type/code travel as sport/dport (KAME). */
export interface PacketSelector {
  src: Uint8Array;
  dst: Uint8Array;
  proto: number;
  sport: number;
  dport: number;
}

/** ACQUIRE (RFC 2367 §2.3.1 kernel -> key manager): the SA index that needs an SA, and why. */
export interface AcquireEvent {
  type: 'acquire';
  /** sadb_msg_seq of the ACQUIRE; a GETSPI with this seq refreshes the rate limiter. */
  seq: number;
  /** The SPD entry's id (sadb_x_policy_id); 0 when the request came from a socket policy. */
  policyId: number;
  saidx: SaIndex;
  level: IpsecRequest['level'];
  /** The packet that triggered it. */
  selector: PacketSelector;
}

/** What the output path needs from its host. */
export interface OutputContext {
  sad: Sad;
  stats: Stats;
  acquires: AcquireTable;
  clock: Clock;
  rng: Rng;
  emitAcquire(ev: AcquireEvent): void;
}

export type OutputVerdict = { ok: true; packet: Uint8Array } | { ok: false; reason: StatName; detail?: string };

/** Bounds the acquire table: expired entries are swept when it grows past this. */
const ACQ_SWEEP_SIZE = 1024;

/** The header walk of the packet at hand (kernel/ip/walk.ts), reused: read right after walking, nothing kept. */
const walk = new IpWalk();

/**
 * The selector of an IP packet: addresses, upper-layer protocol, ports (or ICMP type/code). Non-first
 * fragments and short headers give port 0 (RFC 4301 §7: "OPAQUE"). Undefined if the IP header is malformed.
 */
export function packetSelector(p: Uint8Array): PacketSelector | undefined {
  if (!walkIp(p, walk)) return undefined;
  const { proto, protoOff: off, end } = walk;
  let sport = 0,
    dport = 0;
  if (!walk.laterFragment && off + 4 <= end) {
    if (proto === IPPROTO_TCP || proto === IPPROTO_UDP) {
      sport = (p[off]! << 8) | p[off + 1]!;
      dport = (p[off + 2]! << 8) | p[off + 3]!;
    } else if (proto === IPPROTO_ICMP || proto === IPPROTO_ICMPV6) {
      sport = p[off]!;
      dport = p[off + 1]!;
    }
  }
  const [src, dst] = outerAddrs(p);
  return { src: new Uint8Array(src), dst: new Uint8Array(dst), proto, sport, dport }; // copies, even of a Buffer
}

/** Source and destination of the IP header at 0 (the current outermost header during the bundle). */
function outerAddrs(p: Uint8Array): [Uint8Array, Uint8Array] {
  return p[0]! >> 4 === 4 ? [p.subarray(12, 16), p.subarray(16, 20)] : [p.subarray(8, 24), p.subarray(24, 40)];
}

function isStrict(r: IpsecRequest): boolean {
  return r.level === 'require' || r.level === 'unique';
}

/** A larval SA between the endpoints (either direction: GETSPI is for the inbound SA) holds the acquire state. */
function hasLarval(sad: Sad, idx: SaIndex): boolean {
  return sad.hasLarvalBetween(idx.src, idx.dst, idx.proto);
}

function acquire(
  ctx: OutputContext,
  req: IpsecRequest,
  idx: SaIndex,
  res: PolicyResolution,
  sel: PacketSelector,
): void {
  const now = ctx.clock.now();
  if (ctx.acquires.size > ACQ_SWEEP_SIZE) ctx.acquires.expire(now);
  const seq = ctx.acquires.trigger(idx, now, () => hasLarval(ctx.sad, idx));
  if (seq === undefined) return;
  ctx.emitAcquire({ type: 'acquire', seq, policyId: res.policy?.id ?? 0, saidx: idx, level: req.level, selector: sel });
}

/** Runs one SA's transform; `inPlace` applies a tunnel SA without a new outer header (bundle rule above). */
function applySa(
  ctx: OutputContext,
  sa: SecAssoc,
  pkt: Uint8Array,
  env: TransformEnv,
  inPlace: boolean,
): OutputVerdict {
  const mode = inPlace ? 'transport' : sa.mode;
  let r: OutputVerdict;
  const before = pkt.length;
  if (sa.proto === 'esp') r = espOutput(sa, pkt, env, undefined, mode);
  else if (sa.proto === 'ah') r = ahOutput(sa, pkt, env, undefined, mode);
  else {
    const c = ipcompOutput(sa, pkt, env, undefined, mode);
    if (c.ok && c.stat) ctx.stats.bump(c.stat);
    r = c;
  }
  if (!r.ok) return r;
  const grp = sa.proto === 'esp' ? 'esps' : sa.proto === 'ah' ? 'ahs' : 'ipcomps';
  ctx.stats.bump(`${grp}_output` as const);
  ctx.stats.addBytes(`${grp}_obytes` as const, before);
  ctx.sad.recordUse(sa, before);
  return r;
}

/**
 * Applies `res` (an `ipsec` resolution) to `packet`. Returns the protected packet, or a drop whose reason is
 * a KAME counter name (the caller bumps it). Transforms that fail return their own espstat/ahstat reason.
 */
export function ipsecOutput(
  ctx: OutputContext,
  packet: Uint8Array,
  sel: PacketSelector,
  res: PolicyResolution,
): OutputVerdict {
  const env: TransformEnv = { rng: ctx.rng, now: ctx.clock.now() };
  let pkt = packet;
  let tunnelled = false;
  for (const req of res.requests) {
    const [curSrc, curDst] = outerAddrs(pkt);
    const tunnel = req.mode === 'tunnel';
    const src = tunnel ? req.src! : new Uint8Array(curSrc);
    const dst = tunnel ? req.dst! : new Uint8Array(curDst);
    const idx: SaIndex = { proto: req.proto, mode: req.mode, reqid: req.level === 'unique' ? req.reqid : 0, src, dst };
    const sa = ctx.sad.lookupOut(src, dst, req.proto, req.mode, idx.reqid);
    if (!sa) {
      acquire(ctx, req, idx, res, sel);
      if (isStrict(req)) return { ok: false, reason: 'ips_out_nosa', detail: `no ${req.proto} SA` };
      continue; // use/default: this layer is optional (KAME ipsec_nextisr IPSEC_LEVEL_USE)
    }
    if (ctx.acquires.size > 0) ctx.acquires.resolved(idx); // an SA exists now: the next miss asks at once
    const inPlace = tunnel && tunnelled && addrEqual(src, curSrc) && addrEqual(dst, curDst);
    const r = applySa(ctx, sa, pkt, env, inPlace);
    if (!r.ok) return r;
    pkt = r.packet;
    if (tunnel) tunnelled = true;
  }
  ctx.stats.bump('ips_out_success');
  return { ok: true, packet: pkt };
}
