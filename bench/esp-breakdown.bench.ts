// Where the µs of one 1400-byte AES-128-GCM ESP packet go (issue 15: ≤ 2.5 µs per core each way), every
// part raced against the others in one run: one koffi call with nothing to do (the FFI floor), the EVP
// seal/open alone as crypto/evp-aead.ts makes them now and as it made them before the fast path
// (bench/esp/evp-before.ts), the same with no payload (the fixed per-packet cost), the ESP framing alone
// (espOutput/espInput over an AEAD that does nothing), the copies and the allocation of an output packet,
// the whole espOutput/espInput, raw node:crypto (a context per packet) and `openssl speed -evp`.
// Process CPU per packet, median of ROUNDS rounds, ratios to the whole ESP figure of the same round.
import { createCipheriv, createDecipheriv, randomFillSync } from 'node:crypto';
import { createRequire } from 'node:module';
import { cpus, loadavg } from 'node:os';
import { espInput, espOutput } from '../kernel/ipsec/esp.js';
import { allocPacket, takeOutput } from '../kernel/ip/packet-pool.js';
import { ReplayWindow } from '../kernel/sad/replay.js';
import { evpAvailable, evpUnavailableReason } from '../crypto/evp-lib.js';
import { PooledRng } from '../common/rng.js';
import type { AeadCtx } from '../crypto/types.js';
import type { TransformEnv } from '../kernel/ipsec/transform.js';
import { benchPacket, benchSa, IP_HDR, PACKET_BYTES } from './esp/bench-sa.js';
import { beforeGcm } from './esp/evp-before.js';
import { f2, opensslSpeed, race } from './esp/race.js';
import { writeBenchJson, youngGc, type BenchChart } from './harness.js';

const BATCH = 2000;
const ROUNDS = Number(process.env['UIPSEC_BENCH_ROUNDS'] ?? 11);
const ESP_OVERHEAD = 8 + 8 + 16; // header, IV, ICV
const env: TransformEnv = { rng: new PooledRng(), now: 0 };

/** An AEAD that does nothing: espOutput/espInput over it is the framing alone. */
const NO_AEAD: AeadCtx = { seal: () => {}, open: () => true, wipe: () => {} };

const times = (f: (i: number) => void) => (): void => {
  for (let i = 0; i < BATCH; i++) f(i);
};

interface Row {
  label: string;
  loop: () => void;
}

function encapRows(key: Uint8Array, plainLen: number): Row[] {
  const koffi = createRequire(import.meta.url)('koffi') as {
    load(p: null): { func(d: string): (x: number) => number };
  };
  const abs = koffi.load(null).func('int abs(int)');
  const sa = benchSa({ enc: 'aes-gcm-16' }, key, undefined, 'evp');
  const bare = benchSa({ enc: 'aes-gcm-16' }, key, undefined, 'evp');
  bare.aead = NO_AEAD;
  const pkt = benchPacket();
  const buf = new Uint8Array(2048);
  const intoBuf = { into: new Uint8Array(2048) };
  const iv = new Uint8Array(8);
  const aad = new Uint8Array(8);
  const before = beforeGcm(key.subarray(0, 16));
  const k = Buffer.from(key.subarray(0, 16));
  const nonce = Buffer.alloc(12);
  const plain = Buffer.alloc(plainLen, 7);
  return [
    { label: 'espOutput, evp (the whole encap)', loop: times(() => espOutput(sa, pkt, env)) },
    { label: 'espOutput into a reused buffer (into)', loop: times(() => espOutput(sa, pkt, env, intoBuf)) },
    { label: 'EVP seal alone (evp-aead.ts)', loop: times(() => sa.aead!.seal(iv, aad, buf, 40, plainLen, buf, 1500)) },
    { label: 'EVP seal, empty payload', loop: times(() => sa.aead!.seal(iv, aad, buf, 40, 0, buf, 1500)) },
    { label: 'EVP seal as before the fast path', loop: times(() => before.seal(buf, 40, plainLen)) },
    { label: 'one koffi call doing nothing (abs)', loop: times((i) => abs(i)) },
    { label: 'ESP framing alone (no-op AEAD)', loop: times(() => espOutput(bare, pkt, env)) },
    { label: 'copy 1400 bytes (Uint8Array.set)', loop: times(() => buf.set(pkt, 8)) },
    { label: 'output memory: Buffer.allocUnsafe', loop: times(() => Buffer.allocUnsafe(PACKET_BYTES + 48)) },
    { label: 'output memory: unzeroed chunks (takeOutput)', loop: times(() => takeOutput(PACKET_BYTES + 48)) },
    { label: 'output memory: zeroed chunks (packet-pool)', loop: times(() => allocPacket(PACKET_BYTES + 48)) },
    {
      label: 'raw node:crypto seal (context per packet)',
      loop: times((i) => {
        nonce.writeUInt32BE(i, 8);
        const c = createCipheriv('aes-128-gcm', k, nonce);
        c.setAAD(aad);
        c.update(plain);
        c.final();
        c.getAuthTag();
      }),
    },
  ];
}

function decapRows(key: Uint8Array, plainLen: number): Row[] {
  const tx = benchSa({ enc: 'aes-gcm-16' }, key, undefined, 'evp');
  const rx = benchSa({ enc: 'aes-gcm-16' }, key, undefined, 'evp');
  const bareTx = benchSa({ enc: 'aes-gcm-16' }, key, undefined, 'evp');
  const bareRx = benchSa({ enc: 'aes-gcm-16' }, key, undefined, 'evp');
  bareTx.aead = NO_AEAD;
  bareRx.aead = NO_AEAD;
  const pkt = benchPacket();
  const wire = Array.from({ length: BATCH }, () =>
    Uint8Array.from((espOutput(tx, pkt, env) as { packet: Uint8Array }).packet),
  );
  const bareWire = Array.from({ length: BATCH }, () =>
    Uint8Array.from((espOutput(bareTx, pkt, env) as { packet: Uint8Array }).packet),
  );
  const work = new Uint8Array(wire[0]!.length);
  const iv = new Uint8Array(8);
  const aad = new Uint8Array(8);
  // One sealed payload opened again and again (restored before each open, like the packets above).
  const sealed = new Uint8Array(2048);
  tx.aead!.seal(iv, aad, sealed, 40, plainLen, sealed, 40 + plainLen);
  const before = beforeGcm(key.subarray(0, 16));
  const beforeSealed = new Uint8Array(2048);
  before.seal(beforeSealed, 40, plainLen);
  const beforeTag = before.tag();
  const k = Buffer.from(key.subarray(0, 16));
  const nonce = Buffer.alloc(12);
  const c0 = createCipheriv('aes-128-gcm', k, nonce);
  c0.setAAD(aad);
  const ct = c0.update(Buffer.alloc(plainLen, 7));
  c0.final();
  const tag = c0.getAuthTag();
  const check = (ok: boolean): void => {
    if (!ok) throw new Error('open failed');
  };
  const fresh = (sa: typeof rx) => (): void => void (sa.replay = new ReplayWindow(64, false));
  const resetRx = fresh(rx);
  const resetBare = fresh(bareRx);
  return [
    {
      label: 'espInput, evp (the whole decap)',
      loop: () => {
        resetRx();
        for (let i = 0; i < BATCH; i++) {
          work.set(wire[i]!);
          check(espInput(rx, work, IP_HDR, env).ok);
        }
      },
    },
    {
      label: 'EVP open alone (evp-aead.ts)',
      loop: times(() => {
        work.set(sealed.subarray(0, work.length));
        check(rx.aead!.open(iv, aad, work, 40, plainLen, sealed, 40 + plainLen));
      }),
    },
    {
      label: 'EVP open as before the fast path',
      loop: times(() => {
        work.set(beforeSealed.subarray(0, work.length));
        check(before.open(work, 40, plainLen, beforeTag));
      }),
    },
    {
      label: 'ESP framing alone (no-op AEAD)',
      loop: () => {
        resetBare();
        for (let i = 0; i < BATCH; i++) {
          work.set(bareWire[i]!);
          check(espInput(bareRx, work, IP_HDR, env).ok);
        }
      },
    },
    { label: 'copy the packet in (Uint8Array.set)', loop: times((i) => work.set(wire[i]!)) },
    {
      label: 'raw node:crypto open (context per packet)',
      loop: times(() => {
        const d = createDecipheriv('aes-128-gcm', k, nonce);
        d.setAuthTag(tag);
        d.setAAD(aad);
        d.update(ct);
        d.final();
      }),
    },
  ];
}

/** Prints one table and returns its chart (µs per packet of each part, this round's medians). */
function print(title: string, rows: Row[]): BenchChart {
  const settle = youngGc();
  const r = race(
    rows.map((x) => x.loop),
    settle,
    BATCH,
    ROUNDS,
  );
  console.log(`${title.padEnd(44)} | µs/packet | × the whole`);
  rows.forEach((x, i) => console.log(`${x.label.padEnd(44)} | ${f2(r.us[i]).padStart(9)} | ${f2(r.ratio[i])}`));
  return {
    id: title,
    title: `ESP ${title} of a ${PACKET_BYTES}-byte packet, AES-128-GCM-16 (evp), by part`,
    unit: 'µs of CPU per packet',
    series: ['µs/packet'],
    rows: rows.map((x, i) => ({ label: x.label, values: [r.us[i] ?? null] })),
  };
}

export default function run(): void {
  if (!evpAvailable()) {
    console.log(`evp back-end not available (${evpUnavailableReason()}): nothing to break down`);
    return;
  }
  const load0 = loadavg();
  console.log(
    `machine: ${cpus().length} × ${cpus()[0]?.model ?? '?'}; load average ${load0.map((x) => x.toFixed(2)).join(' ')} at start`,
  );
  const key = randomFillSync(new Uint8Array(20));
  const probe = espOutput(benchSa({ enc: 'aes-gcm-16' }, key, undefined, 'evp'), benchPacket(), env);
  if (!probe.ok) throw new Error(probe.reason);
  const plainLen = probe.packet.length - IP_HDR - ESP_OVERHEAD; // payload, padding, pad length, next header
  console.log(
    `AES-128-GCM-16, ${PACKET_BYTES}-byte IPv4 packet (${plainLen + ESP_OVERHEAD} bytes of ESP), ${ROUNDS} rounds × ${BATCH}`,
  );
  const charts = [print('encap', encapRows(key, plainLen)), print('decap', decapRows(key, plainLen))];
  const speed = opensslSpeed('aes-128-gcm', plainLen);
  console.log(`openssl speed -evp aes-128-gcm, ${plainLen} bytes (cipher only): ${f2(speed)} µs`);
  for (const c of charts) c.note = `openssl speed -evp aes-128-gcm (cipher only), same run: ${f2(speed)} µs`;
  writeBenchJson('esp-breakdown', charts, { loadStart: load0[0] });
  console.log(
    `load average ${loadavg()
      .map((x) => x.toFixed(2))
      .join(' ')} at end (compare the ratios of one run, not µs across runs)`,
  );
}
