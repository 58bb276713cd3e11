// ESP throughput: espOutput + espInput of a 1400-byte IPv4 packet (transport mode) against exactly the
// node:crypto calls ESP must make for it, measured interleaved in small batches (harness.interleave).
// Target: ESP framing costs at most 30% over the raw crypto (ratio >= 0.77), for the median round.
import {
  createCipheriv,
  createDecipheriv,
  createHmac,
  createSecretKey,
  randomFillSync,
  timingSafeEqual,
  type KeyObject,
} from 'node:crypto';
import { fmtOps, fmtSpread, interleave, youngGc, type Interleaved, type InterleaveOptions } from './harness.js';
import { espOutput, espInput } from '../kernel/ipsec/esp.js';
import { ReplayWindow } from '../kernel/sad/replay.js';
import { findEncAlg, findAuthAlg } from '../crypto/registry.js';
import { PooledRng } from '../common/rng.js';
import type { SecAssoc } from '../kernel/sad/secassoc.js';
import type { TransformEnv } from '../kernel/ipsec/transform.js';

const PACKET_BYTES = 1400;
const IPV4_HEADER_BYTES = 20;
const TARGET = 0.77;
// 512 packets (5-10 ms) per batch, 2 A-B-B-A cycles per round, 41 rounds: 84,000 packets per side.
const SHAPE = { batch: 512, cycles: 2, rounds: 41, warmup: 10 };

function ipv4Packet(len: number): Uint8Array {
  const p = new Uint8Array(len);
  randomFillSync(p, IPV4_HEADER_BYTES);
  p.set([0x45, 0, len >> 8, len & 0xff, 0, 1, 0x40, 0, 64, 17, 0, 0, 192, 0, 2, 1, 192, 0, 2, 2]);
  return p;
}

function sa(enc: string, encKey: Uint8Array, auth?: string, authKey?: Uint8Array): SecAssoc {
  const life = { allocations: 0, bytes: 0, addtimeSec: 0, usetimeSec: 0 };
  return {
    spi: 0x1234,
    proto: 'esp',
    mode: 'transport',
    src: new Uint8Array([192, 0, 2, 1]),
    dst: new Uint8Array([192, 0, 2, 2]),
    reqid: 0,
    state: 'mature',
    esn: false,
    replayBits: 64,
    replay: new ReplayWindow(64, false),
    seqOutHi: 0,
    seqOutLo: 0,
    cyclicSeq: false,
    encAlg: findEncAlg(enc),
    encKey,
    authAlg: auth ? findAuthAlg(auth) : undefined,
    authKey,
    tfcPadTo: 0,
    hard: { ...life },
    soft: { ...life },
    current: { ...life },
    ownerPid: 0,
    seq: 0,
  };
}

/** ESP out and back in, `n` packets per call; the receiver opens the sender's buffer as it would off the wire. */
function espLoop(tx: SecAssoc, rx: SecAssoc, pkt: Uint8Array, env: TransformEnv, n: number): () => void {
  return () => {
    for (let i = 0; i < n; i++) {
      const o = espOutput(tx, pkt, env);
      if (!o.ok) throw new Error(o.reason);
      const r = espInput(rx, o.packet, IPV4_HEADER_BYTES, env);
      if (!r.ok) throw new Error(r.reason);
    }
  };
}

/** The plaintext ESP encrypts for `pkt` (payload + padding + trailer), read off one real ESP packet. */
function espPlainLen(tx: SecAssoc, pkt: Uint8Array, env: TransformEnv, ivLen: number, icvLen: number): number {
  const o = espOutput(tx, pkt, env);
  if (!o.ok) throw new Error(o.reason);
  return o.packet.length - IPV4_HEADER_BYTES - 8 - ivLen - icvLen;
}

/** One raw GCM seal + open: createCipheriv(12-byte nonce) + setAAD + update + final + getAuthTag, and back. */
function rawGcmOnce(key: Buffer, nonce: Buffer, aad: Buffer, data: Buffer): Buffer {
  const c = createCipheriv('aes-128-gcm', key, nonce);
  c.setAAD(aad);
  const ct = c.update(data);
  c.final();
  const tag = c.getAuthTag();
  const d = createDecipheriv('aes-128-gcm', key, nonce);
  d.setAuthTag(tag);
  d.setAAD(aad);
  const pt = d.update(ct);
  d.final();
  return pt;
}

function rawGcm(key: Buffer, plainLen: number, n: number): { loop: () => void; check(): boolean } {
  const data = Buffer.alloc(plainLen, 7);
  const aad = Buffer.alloc(8, 1); // SPI || sequence number
  const nonce = Buffer.alloc(12, 2); // salt || 8-byte IV
  let seq = 0;
  return {
    loop: () => {
      for (let i = 0; i < n; i++) {
        nonce.writeUInt32BE(++seq >>> 0, 8); // a new IV per packet, as ESP's sequence-number IV
        rawGcmOnce(key, nonce, aad, data);
      }
    },
    check: () => rawGcmOnce(key, nonce, aad, data).equals(data),
  };
}

/** One raw CBC + HMAC both ways: encrypt (no padding), HMAC the ciphertext; HMAC again, compare, decrypt. */
function rawCbcSha1Once(key: Buffer, macKey: KeyObject, iv: Buffer, data: Buffer): Buffer {
  const c = createCipheriv('aes-128-cbc', key, iv).setAutoPadding(false);
  const ct = c.update(data);
  c.final();
  const icv = createHmac('sha1', macKey).update(ct).digest();
  const check = createHmac('sha1', macKey).update(ct).digest();
  if (!timingSafeEqual(icv, check)) throw new Error('mac');
  const d = createDecipheriv('aes-128-cbc', key, iv).setAutoPadding(false);
  const pt = d.update(ct);
  d.final();
  return pt;
}

function rawCbcSha1(
  key: Buffer,
  macKeyBytes: Buffer,
  plainLen: number,
  n: number,
): { loop: () => void; check(): boolean } {
  const data = Buffer.alloc(plainLen, 7);
  const macKey = createSecretKey(macKeyBytes); // imported once, as an SA does
  const iv = Buffer.alloc(16, 3);
  let seq = 0;
  return {
    loop: () => {
      for (let i = 0; i < n; i++) {
        iv.writeUInt32BE(++seq >>> 0, 12); // a different IV per packet (ESP draws it from a pooled RNG)
        rawCbcSha1Once(key, macKey, iv, data);
      }
    },
    check: () => rawCbcSha1Once(key, macKey, iv, data).equals(data),
  };
}

export default function run(): void {
  // Each batch ends with a young-generation GC inside its timing: the cipher contexts node:crypto frees
  // at GC time (two per packet on both sides) are then paid by the side that made them (harness.interleave).
  const OPTS: InterleaveOptions = { ...SHAPE, settle: youngGc() };
  const env: TransformEnv = { rng: new PooledRng(), now: 0 };
  const pkt = ipv4Packet(PACKET_BYTES);

  const gcmKey = Buffer.alloc(20);
  randomFillSync(gcmKey);
  const gTx = sa('aes-gcm-16', gcmKey),
    gRx = sa('aes-gcm-16', gcmKey);
  const gLen = espPlainLen(gTx, pkt, env, 8, 16);
  const rawG = rawGcm(gcmKey.subarray(0, 16), gLen, SHAPE.batch);
  if (!rawG.check()) throw new Error('raw GCM does not round-trip');
  report('AES-128-GCM-16', gLen, interleave(espLoop(gTx, gRx, pkt, env, SHAPE.batch), rawG.loop, OPTS));

  const cbcKey = Buffer.alloc(16),
    macKey = Buffer.alloc(20);
  randomFillSync(cbcKey);
  randomFillSync(macKey);
  const cTx = sa('aes-cbc', cbcKey, 'hmac-sha1', macKey),
    cRx = sa('aes-cbc', cbcKey, 'hmac-sha1', macKey);
  const cLen = espPlainLen(cTx, pkt, env, 16, 12);
  const rawC = rawCbcSha1(cbcKey, macKey, cLen, SHAPE.batch);
  if (!rawC.check()) throw new Error('raw CBC does not round-trip');
  report('AES-128-CBC + HMAC-SHA1-96', cLen, interleave(espLoop(cTx, cRx, pkt, env, SHAPE.batch), rawC.loop, OPTS));
}

function report(name: string, plainLen: number, r: Interleaved): void {
  const flag = (x: number): string => (x < TARGET ? ' BELOW TARGET' : '');
  console.log(
    `${name}, ${PACKET_BYTES}-byte packets (${plainLen}-byte ESP plaintext; the raw calls get the same ${plainLen} bytes):`,
  );
  console.log(
    `  ESP out+in ${fmtOps(r.aWallRate)} wall, ${fmtOps(r.aCpuRate)} per CPU-second; ` +
      `raw node:crypto ${fmtOps(r.bWallRate)} wall, ${fmtOps(r.bCpuRate)} per CPU-second`,
  );
  console.log(
    `  ratio ESP/raw (target >= ${TARGET}), median of rounds: CPU  ${fmtSpread(r.cpuRatio)}${flag(r.cpuRatio.median)}`,
  );
  console.log(`                                           wall ${fmtSpread(r.wallRatio)}${flag(r.wallRatio.median)}`);
  console.log(
    `  whole run: CPU ${r.cpuRatioAll.toFixed(2)}, wall ${r.wallRatioAll.toFixed(2)}; ` +
      `young GC after each batch ${(r.settleCpuMs * 1000).toFixed(0)} µs alone (subtracted)`,
  );
}
