// Test helpers for the ESP/tunnel/UDP-encap suites: SA records built from registry names, small IPv4/IPv6
// packet builders with correct checksums, and the repository root for fixture files.
import type { Backend } from '../../../crypto/types.js';
import type { SecAssoc, NatT } from '../../../kernel/sad/secassoc.js';
import { ReplayWindow } from '../../../kernel/sad/replay.js';
import { findEncAlg, findAuthAlg } from '../../../crypto/registry.js';
import type { Rng } from '../../../common/rng.js';
import { SeededRng } from '../../../common/rng.js';
import { parseAddr } from '../../../common/inet.js';
import { internetChecksum, pseudoHeaderSum } from '../../../kernel/ip/checksum.js';
import type { TransformEnv } from '../../../kernel/ipsec/transform.js';

export { repoRoot } from '../../support/root.js';

export function addr(s: string): Uint8Array {
  const a = parseAddr(s);
  if (!a) throw new Error(`bad address ${s}`);
  return a;
}

export interface SaSpec {
  enc: string;
  encKey?: Uint8Array;
  auth?: string;
  authKey?: Uint8Array;
  mode?: 'transport' | 'tunnel' | 'any';
  src?: string;
  dst?: string;
  spi?: number;
  esn?: boolean;
  replayBits?: number;
  natt?: NatT;
  tfcPadTo?: number;
  cyclicSeq?: boolean;
  backend?: Backend;
}

/** Deterministic key bytes of the algorithm's first (smallest) key length. */
export function keyFor(bits: number, seed: string): Uint8Array {
  const k = new Uint8Array(bits / 8);
  new SeededRng(seed).fill(k);
  return k;
}

/** An SA as the SAD would hold it (mature, contexts created lazily by esp.ts unless a backend is forced). */
export function makeSa(s: SaSpec): SecAssoc {
  const encAlg = findEncAlg(s.enc);
  const authAlg = s.auth ? findAuthAlg(s.auth) : undefined;
  const encKey = s.encKey ?? keyFor(encAlg.keyBits[0]!, `enc:${s.enc}`);
  const authKey = authAlg ? (s.authKey ?? keyFor(authAlg.keyBits[0]!, `auth:${s.auth}`)) : undefined;
  const esn = s.esn ?? false;
  const replayBits = s.replayBits ?? 64;
  const life = { allocations: 0, bytes: 0, addtimeSec: 0, usetimeSec: 0 };
  const sa: SecAssoc = {
    spi: s.spi ?? 0x1000,
    proto: 'esp',
    mode: s.mode ?? 'transport',
    src: addr(s.src ?? '192.0.2.1'),
    dst: addr(s.dst ?? '192.0.2.2'),
    reqid: 0,
    state: 'mature',
    esn,
    replayBits,
    replay: new ReplayWindow(replayBits, esn),
    seqOutHi: 0,
    seqOutLo: 0,
    cyclicSeq: s.cyclicSeq ?? false,
    encAlg,
    encKey,
    authAlg,
    authKey,
    tfcPadTo: s.tfcPadTo ?? 0,
    natt: s.natt,
    hard: { ...life },
    soft: { ...life },
    current: { ...life },
    ownerPid: 0,
    seq: 0,
  };
  if (s.backend) {
    if (encAlg.kind === 'aead') sa.aead = encAlg.create(encKey, s.backend);
    else sa.cipher = encAlg.create(encKey, s.backend);
    if (authAlg && authKey) sa.auth = authAlg.create(authKey, s.backend);
  }
  return sa;
}

/** A receiving copy of an SA: same keys and SPI, its own replay window and counters. */
export function peerSa(sa: SecAssoc): SecAssoc {
  return {
    ...sa,
    replay: new ReplayWindow(sa.replayBits, sa.esn),
    seqOutHi: 0,
    seqOutLo: 0,
    cipher: undefined,
    aead: undefined,
    auth: undefined,
  };
}

export function env(seed = 'esp-test'): TransformEnv {
  return { rng: new SeededRng(seed), now: 0 };
}

/** An Rng that hands out the given bytes first (for fixed-IV vectors), then deterministic ones. */
export class ScriptedRng implements Rng {
  private queue: number[] = [];
  private fallback = new SeededRng('scripted');
  push(b: Uint8Array): void {
    this.queue.push(...b);
  }
  fill(out: Uint8Array, offset = 0, length = out.length - offset): void {
    for (let i = 0; i < length; i++) {
      if (this.queue.length) out[offset + i] = this.queue.shift()!;
      else this.fallback.fill(out, offset + i, 1);
    }
  }
}

export interface V4Opts {
  tos?: number;
  df?: boolean;
  id?: number;
  ttl?: number;
  options?: Uint8Array;
}

/** An IPv4 packet with a valid header checksum. */
export function ipv4(src: string, dst: string, proto: number, payload: Uint8Array, o: V4Opts = {}): Uint8Array {
  const opt = o.options ?? new Uint8Array(0);
  const hl = 20 + opt.length;
  const p = new Uint8Array(hl + payload.length);
  p[0] = 0x40 | (hl >> 2);
  p[1] = o.tos ?? 0;
  p[2] = p.length >> 8;
  p[3] = p.length & 0xff;
  p[4] = ((o.id ?? 0x1234) >> 8) & 0xff;
  p[5] = (o.id ?? 0x1234) & 0xff;
  p[6] = o.df ? 0x40 : 0;
  p[8] = o.ttl ?? 64;
  p[9] = proto;
  p.set(addr(src), 12);
  p.set(addr(dst), 16);
  p.set(opt, 20);
  const c = internetChecksum(p, 0, hl);
  p[10] = c >> 8;
  p[11] = c & 0xff;
  p.set(payload, hl);
  return p;
}

/** An IPv6 packet; `ext` is a pre-built extension-header chain whose first header is `firstNh`. */
export function ipv6(
  src: string,
  dst: string,
  nh: number,
  payload: Uint8Array,
  tc = 0,
  flow = 0,
  ext?: { firstNh: number; bytes: Uint8Array },
): Uint8Array {
  const extLen = ext?.bytes.length ?? 0;
  const p = new Uint8Array(40 + extLen + payload.length);
  p[0] = 0x60 | (tc >> 4);
  p[1] = ((tc & 0x0f) << 4) | ((flow >> 16) & 0x0f);
  p[2] = (flow >> 8) & 0xff;
  p[3] = flow & 0xff;
  const plen = extLen + payload.length;
  p[4] = plen >> 8;
  p[5] = plen & 0xff;
  p[6] = ext ? ext.firstNh : nh;
  p[7] = 64;
  p.set(addr(src), 8);
  p.set(addr(dst), 24);
  if (ext) p.set(ext.bytes, 40);
  p.set(payload, 40 + extLen);
  return p;
}

/** A UDP datagram (header + data) with a correct checksum for the given addresses. */
export function udp(src: string, dst: string, sport: number, dport: number, data: Uint8Array): Uint8Array {
  const u = new Uint8Array(8 + data.length);
  u[0] = sport >> 8;
  u[1] = sport & 0xff;
  u[2] = dport >> 8;
  u[3] = dport & 0xff;
  u[4] = u.length >> 8;
  u[5] = u.length & 0xff;
  u.set(data, 8);
  let c = internetChecksum(u, 0, u.length, pseudoHeaderSum(addr(src), addr(dst), 17, u.length));
  if (c === 0) c = 0xffff;
  u[6] = c >> 8;
  u[7] = c & 0xff;
  return u;
}

/** A TCP segment (20-byte header, no options) with a correct checksum. */
export function tcp(src: string, dst: string, sport: number, dport: number, data: Uint8Array): Uint8Array {
  const t = new Uint8Array(20 + data.length);
  t[0] = sport >> 8;
  t[1] = sport & 0xff;
  t[2] = dport >> 8;
  t[3] = dport & 0xff;
  t[7] = 1;
  t[12] = 5 << 4;
  t[13] = 0x18;
  t[14] = 0xff;
  t[15] = 0xff;
  t.set(data, 20);
  const c = internetChecksum(t, 0, t.length, pseudoHeaderSum(addr(src), addr(dst), 6, t.length));
  t[16] = c >> 8;
  t[17] = c & 0xff;
  return t;
}

export function bytes(n: number, seed = 'payload'): Uint8Array {
  const b = new Uint8Array(n);
  new SeededRng(seed).fill(b);
  return b;
}

export function hex(s: string): Uint8Array {
  return new Uint8Array(Buffer.from(s.replace(/\s/g, ''), 'hex'));
}
