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
import {
  fmtOps,
  fmtSpread,
  interleave,
  writeBenchJson,
  youngGc,
  type BenchChart,
  type Interleaved,
  type InterleaveOptions,
} from './harness.js';
import { espOutput, espInput } from '../kernel/ipsec/esp.js';
import { benchPacket, benchSa, IP_HDR as IPV4_HEADER_BYTES, PACKET_BYTES } from './esp/bench-sa.js';
import { PooledRng } from '../common/rng.js';
import type { SecAssoc } from '../kernel/sad/secassoc.js';
import type { TransformEnv } from '../kernel/ipsec/transform.js';

const TARGET = 0.77;
// 512 packets (5-10 ms) per batch, 2 A-B-B-A cycles per round, 41 rounds: 84,000 packets per side.
const SHAPE = { batch: 512, cycles: 2, rounds: 41, warmup: 10 };

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
  const pkt = benchPacket();

  const gcmKey = Buffer.alloc(20);
  randomFillSync(gcmKey);
  const gTx = benchSa({ enc: 'aes-gcm-16' }, gcmKey, undefined, undefined),
    gRx = benchSa({ enc: 'aes-gcm-16' }, gcmKey, undefined, undefined);
  const gLen = espPlainLen(gTx, pkt, env, 8, 16);
  const rawG = rawGcm(gcmKey.subarray(0, 16), gLen, SHAPE.batch);
  if (!rawG.check()) throw new Error('raw GCM does not round-trip');
  rows.length = ratios.length = 0;
  report('AES-128-GCM-16', gLen, interleave(espLoop(gTx, gRx, pkt, env, SHAPE.batch), rawG.loop, OPTS));

  const cbcKey = Buffer.alloc(16),
    macKey = Buffer.alloc(20);
  randomFillSync(cbcKey);
  randomFillSync(macKey);
  const cTx = benchSa({ enc: 'aes-cbc', auth: 'hmac-sha1' }, cbcKey, macKey, undefined),
    cRx = benchSa({ enc: 'aes-cbc', auth: 'hmac-sha1' }, cbcKey, macKey, undefined);
  const cLen = espPlainLen(cTx, pkt, env, 16, 12);
  const rawC = rawCbcSha1(cbcKey, macKey, cLen, SHAPE.batch);
  if (!rawC.check()) throw new Error('raw CBC does not round-trip');
  report('AES-128-CBC + HMAC-SHA1-96', cLen, interleave(espLoop(cTx, cRx, pkt, env, SHAPE.batch), rawC.loop, OPTS));
  writeBenchJson('esp', [
    {
      title: `ESP out + in of a ${PACKET_BYTES}-byte packet against the bare node:crypto calls (node back-end)`,
      unit: 'thousand packets per CPU-second, higher is better',
      series: ['ESP out+in', 'raw node:crypto'],
      rows,
      note: `ratio ESP/raw by CPU (median of ${SHAPE.rounds} rounds): ${ratios.join(', ')}; target ≥ ${TARGET}`,
    },
  ]);
}

// The chart's rows and the CPU ratios, filled by report().
const rows: BenchChart['rows'] = [];
const ratios: string[] = [];

function report(name: string, plainLen: number, r: Interleaved): void {
  rows.push({ label: name, values: [r.aCpuRate / 1000, r.bCpuRate / 1000] });
  ratios.push(`${name} ${r.cpuRatio.median.toFixed(2)}`);
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
