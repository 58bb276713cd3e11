// Scenario helpers: hosts on in-memory wires with a manual clock and seeded RNG, SA pairs and policy pairs
// installed the way `setkey -f` would install them, a tap that records every frame on a wire, and settle()
// to let queued deliveries run. Keys are deterministic (SeededRng), never real secrets.
import { Host, type HostOptions } from '../../kernel/host/host.js';
import { MemWire, type WireOptions } from '../../kernel/link/memwire.js';
import { UdpUnderlay } from '../../kernel/link/udp-underlay.js';
import type { Link } from '../../kernel/link/link.js';
import { ManualClock } from '../../common/clock.js';
import { SeededRng } from '../../common/rng.js';
import { parseAddr } from '../../common/inet.js';
import { findEncAlg, findAuthAlg } from '../../crypto/registry.js';
import type { IpsecProto } from '../../kernel/sad/secassoc.js';
import type { IpsecRequestSpec, PolicySpec } from '../../kernel/spd/policy.js';
import type { SaParams } from '../../kernel/sad/sad.js';
import { decodeIpPacket } from '../../kernel/ip/packet.js';

/** Lets every queued microtask and immediate run (memwire delivers with queueMicrotask). */
export async function settle(rounds = 4): Promise<void> {
  for (let i = 0; i < rounds; i++) await new Promise((r) => setImmediate(r));
}

export function ip(s: string): Uint8Array {
  const a = parseAddr(s);
  if (!a) throw new Error(`bad address ${s}`);
  return a;
}

export function keyBytes(bits: number, seed: string): Uint8Array {
  const k = new Uint8Array(bits / 8);
  new SeededRng(seed).fill(k);
  return k;
}

/** A frame seen on a wire: when, from which port, and the bytes. */
export interface Frame {
  from: string;
  bytes: Uint8Array;
}

export interface Segment {
  wire: MemWire;
  frames: Frame[];
}

export function segment(opts: WireOptions = {}): Segment {
  const frames: Frame[] = [];
  const wire = new MemWire({ ...opts, tap: (p, from) => frames.push({ from, bytes: new Uint8Array(p) }) });
  return { wire, frames };
}

export function makeHost(name: string, clock: ManualClock, extra: Partial<HostOptions> = {}): Host {
  return new Host({ name, clock, rng: new SeededRng(`host:${name}`), ...extra });
}

/** Attaches `host` to `seg` as interface `ifname` with the given addresses (`addr/len`). */
export function attach(host: Host, seg: Segment, ifname: string, addrs: string[]): void {
  const port = seg.wire.attach(
    `${host.name}.${ifname}`,
    addrs.map((a) => ip(a.split('/')[0]!)),
  );
  host.addInterface(ifname, port, addrs);
}

export interface SaSpec {
  proto: IpsecProto;
  mode?: 'transport' | 'tunnel' | 'any';
  enc?: string;
  auth?: string;
  comp?: string;
  replayBits?: number;
  reqid?: number;
  natt?: SaParams['natt'];
  soft?: SaParams['soft'];
  hard?: SaParams['hard'];
}

/** The ADD parameters for one direction, with deterministic keys of the algorithms' first sizes. */
export function saParams(spec: SaSpec, src: string, dst: string, spi: number): SaParams {
  const p: SaParams = {
    spi,
    proto: spec.proto,
    mode: spec.mode ?? 'transport',
    src: ip(src),
    dst: ip(dst),
    reqid: spec.reqid ?? 0,
  };
  if (spec.proto === 'ipcomp') {
    p.compAlg = spec.comp ?? 'deflate';
    return p;
  }
  if (spec.proto === 'esp') {
    const enc = spec.enc ?? 'aes-gcm-16';
    p.encAlg = enc;
    p.encKey = keyBytes(findEncAlg(enc).keyBits[0]!, `enc:${enc}:${spi}`);
  }
  const auth = spec.auth ?? (spec.proto === 'ah' ? 'hmac-sha256' : undefined);
  if (auth) {
    p.authAlg = auth;
    p.authKey = keyBytes(findAuthAlg(auth).keyBits[0]!, `auth:${auth}:${spi}`);
  }
  p.replayBits = spec.replayBits ?? 64;
  if (spec.natt) p.natt = spec.natt;
  if (spec.soft) p.soft = spec.soft;
  if (spec.hard) p.hard = spec.hard;
  return p;
}

/** `add A B proto spi ...; add B A proto spi+1 ...` on both hosts, like one setkey file loaded on each. */
export function addSaPair(hosts: Host[], spec: SaSpec, a: string, b: string, spi: number): void {
  for (const h of hosts) {
    h.sad.add(saParams(spec, a, b, spi));
    h.sad.add(saParams(spec, b, a, spi + 1));
  }
}

export interface Req {
  proto: IpsecProto;
  mode?: 'transport' | 'tunnel';
  level?: IpsecRequestSpec['level'];
  tunnel?: [string, string];
  reqid?: number;
}

function requests(reqs: Req[], reverse: boolean): IpsecRequestSpec[] {
  return reqs.map((r) => {
    const out: IpsecRequestSpec = { proto: r.proto, mode: r.mode ?? 'transport', level: r.level ?? 'require' };
    if (r.reqid !== undefined) out.reqid = r.reqid;
    if (r.tunnel) {
      out.src = reverse ? r.tunnel[1] : r.tunnel[0];
      out.dst = reverse ? r.tunnel[0] : r.tunnel[1];
    }
    return out;
  });
}

/**
 * `spdadd srcNet dstNet any -P out ipsec ...` on host `x` and the mirror `-P in` policy, and on host `y`
 * the same two reversed. `reqs` are written from x's point of view (tunnel endpoints x-side first).
 */
export function policyPair(
  x: Host,
  y: Host,
  srcNet: string,
  dstNet: string,
  reqs: Req[],
  extra: Partial<PolicySpec> = {},
): void {
  const fwd = requests(reqs, false),
    rev = requests(reqs, true);
  const pol = (src: string, dst: string, dir: 'in' | 'out' | 'fwd', r: IpsecRequestSpec[]): PolicySpec => ({
    src,
    dst,
    dir,
    action: 'ipsec',
    requests: r,
    ...extra,
  });
  x.spd.addPolicy(pol(srcNet, dstNet, 'out', fwd));
  x.spd.addPolicy(pol(dstNet, srcNet, 'in', rev));
  y.spd.addPolicy(pol(dstNet, srcNet, 'out', rev));
  y.spd.addPolicy(pol(srcNet, dstNet, 'in', fwd));
}

/** The IP protocol numbers of the frames (outermost header). */
export function protocols(frames: Frame[]): number[] {
  return frames.map((f) => {
    try {
      return decodeIpPacket(f.bytes).protocol;
    } catch {
      return -1;
    }
  });
}

/** True if `needle` occurs in any frame (the plaintext leak check). */
export function anyFrameContains(frames: Frame[], needle: Uint8Array): boolean {
  return frames.some((f) => Buffer.from(f.bytes).indexOf(Buffer.from(needle)) >= 0);
}

/** Two hosts joined by real UDP underlays on 127.0.0.1 (systemClock: real sockets, real time). */
export interface UnderlayPair {
  a: Host;
  b: Host;
  close(): void;
}

export const UA = { v4: '10.9.0.1', v6: 'fd00:9::1' };
export const UB = { v4: '10.9.0.2', v6: 'fd00:9::2' };

/**
 * Host a (10.9.0.1, fd00:9::1) and host b (10.9.0.2, fd00:9::2), each on its own UdpUnderlay bound to an
 * ephemeral loopback port with the other as its static neighbour. `wrap` may wrap each link (capture).
 */
export async function underlayPair(wrap: (l: Link, name: string) => Link = (l) => l): Promise<UnderlayPair> {
  const ua = await UdpUnderlay.open({ bind: { host: '127.0.0.1', port: 0 } });
  const ub = await UdpUnderlay.open({ bind: { host: '127.0.0.1', port: 0 } });
  ua.setNeighbour(UB.v4, ub.address());
  ua.setNeighbour(UB.v6, ub.address());
  ub.setNeighbour(UA.v4, ua.address());
  ub.setNeighbour(UA.v6, ua.address());
  const a = new Host({ name: 'a', rng: new SeededRng('ua') });
  const b = new Host({ name: 'b', rng: new SeededRng('ub') });
  a.addInterface('ul0', wrap(ua, 'a'), [`${UA.v4}/24`, `${UA.v6}/64`]);
  b.addInterface('ul0', wrap(ub, 'b'), [`${UB.v4}/24`, `${UB.v6}/64`]);
  return {
    a,
    b,
    close: () => {
      a.close();
      b.close();
    },
  };
}

/** Resolves with the first `n` datagrams a socket bound on `port` receives. */
export function receiveN(h: Host, port: number, n: number): Promise<Uint8Array[]> {
  const s = h.udpSocket();
  s.bind(port);
  const got: Uint8Array[] = [];
  return new Promise((resolve) => {
    s.onMessage((d) => {
      got.push(d);
      if (got.length === n) {
        s.close();
        resolve(got);
      }
    });
  });
}

/** SAs and a require policy pair between the underlay hosts' addresses of one family. */
export function protectPair(
  p: UnderlayPair,
  proto: IpsecProto,
  mode: 'transport' | 'tunnel',
  fam: 'v4' | 'v6',
  spi: number,
): void {
  const a = UA[fam],
    b = UB[fam];
  addSaPair([p.a, p.b], { proto, mode }, a, b, spi);
  const host = fam === 'v4' ? 32 : 128;
  policyPair(p.a, p.b, `${a}/${host}`, `${b}/${host}`, [
    { proto, mode, tunnel: mode === 'tunnel' ? [a, b] : undefined },
  ]);
}
