// Crypto + ESP framing per 1400-byte packet, encapsulation and decapsulation apart, for each crypto back-end
// (`evp`: one OpenSSL context per SA through koffi; `node`: node:crypto, a context per packet), beside the
// raw node:crypto calls for the same plaintext and `openssl speed -evp` (the CPU's own ceiling for the
// cipher), all measured in this run. Per-packet times are process CPU time (user + system) over batches,
// the rounds alternate the sides, and the figure is the median round: read the ratios (issue 15's goal is
// ≤ 2.5 µs per packet each way for AES-128-GCM).
import { createCipheriv, createDecipheriv, createHmac, createSecretKey, randomFillSync } from 'node:crypto';
import { cpus, loadavg } from 'node:os';
import { espOutput, espInput } from '../kernel/ipsec/esp.js';
import { ReplayWindow } from '../kernel/sad/replay.js';
import { benchPacket, benchSa, IP_HDR, PACKET_BYTES } from './esp/bench-sa.js';
import { findEncAlg, findAuthAlg } from '../crypto/registry.js';
import { evpAvailable, evpUnavailableReason } from '../crypto/evp-lib.js';
import { PooledRng } from '../common/rng.js';
import type { Backend } from '../crypto/types.js';
import type { SecAssoc } from '../kernel/sad/secassoc.js';
import type { TransformEnv } from '../kernel/ipsec/transform.js';
import { writeBenchJson, youngGc, type BenchChart } from './harness.js';
import { f2, opensslSpeed, race as raceBatch } from './esp/race.js';

const BATCH = 400;
const ROUNDS = 15;
const race = (loops: (() => void)[], settle: () => void): ReturnType<typeof raceBatch> =>
  raceBatch(loops, settle, BATCH, ROUNDS);

interface Suite {
  label: string;
  enc: string;
  encBytes: number;
  auth?: string;
  authBytes?: number;
  /** The node:crypto cipher of the raw baseline and the `openssl speed -evp` name. */
  raw: string;
  rawMac?: string;
  speed: string;
}
const SUITES: Suite[] = [
  { label: 'AES-128-GCM-16', enc: 'aes-gcm-16', encBytes: 20, raw: 'aes-128-gcm', speed: 'aes-128-gcm' },
  { label: 'AES-256-GCM-16', enc: 'aes-gcm-16', encBytes: 36, raw: 'aes-256-gcm', speed: 'aes-256-gcm' },
  {
    label: 'ChaCha20-Poly1305',
    enc: 'chacha20-poly1305',
    encBytes: 36,
    raw: 'chacha20-poly1305',
    speed: 'chacha20-poly1305',
  },
  {
    label: 'AES-128-CBC + HMAC-SHA1-96',
    enc: 'aes-cbc',
    encBytes: 16,
    auth: 'hmac-sha1',
    authBytes: 20,
    raw: 'aes-128-cbc',
    rawMac: 'sha1',
    speed: 'aes-128-cbc',
  },
  {
    label: 'AES-128-CBC + HMAC-SHA256-128',
    enc: 'aes-cbc',
    encBytes: 16,
    auth: 'hmac-sha256',
    authBytes: 32,
    raw: 'aes-128-cbc',
    rawMac: 'sha256',
    speed: 'aes-128-cbc',
  },
];

function makeSa(s: Suite, encKey: Uint8Array, authKey: Uint8Array | undefined, be: Backend): SecAssoc {
  return benchSa(s, encKey, authKey, be);
}

/** Encap and decap loops of one back-end; decap opens copies of BATCH real packets into one work buffer. */
function espSides(s: Suite, be: Backend, encKey: Uint8Array, authKey: Uint8Array | undefined, env: TransformEnv) {
  const tx = makeSa(s, encKey, authKey, be);
  const rx = makeSa(s, encKey, authKey, be);
  const pkt = benchPacket();
  const wire: Uint8Array[] = [];
  for (let i = 0; i < BATCH; i++) {
    const o = espOutput(tx, pkt, env);
    if (!o.ok) throw new Error(o.reason);
    wire.push(Uint8Array.from(o.packet));
  }
  const work = new Uint8Array(wire[0]!.length);
  return {
    plainLen: wire[0]!.length - IP_HDR - 8 - (tx.encAlg!.ivLen ?? 0) - icvOf(s),
    encap: (): void => {
      for (let i = 0; i < BATCH; i++) if (!espOutput(tx, pkt, env).ok) throw new Error('encap');
    },
    decap: (): void => {
      rx.replay = new ReplayWindow(64, false);
      for (let i = 0; i < BATCH; i++) {
        work.set(wire[i]!);
        const r = espInput(rx, work, IP_HDR, env);
        if (!r.ok) throw new Error(`decap: ${r.reason}`);
      }
    },
  };
}

function icvOf(s: Suite): number {
  const e = findEncAlg(s.enc);
  if (e.kind === 'aead') return e.icvLen;
  return s.auth ? findAuthAlg(s.auth).icvLen : 0;
}

/** The node:crypto calls a packet needs at the least: seal, and open (verify, then decrypt). */
function rawSides(s: Suite, encKey: Uint8Array, authKey: Uint8Array | undefined, plainLen: number) {
  const aead = !s.rawMac;
  const key = Buffer.from(aead ? encKey.subarray(0, encKey.length - 4) : encKey);
  const macKey = authKey ? createSecretKey(Buffer.from(authKey)) : undefined;
  const data = Buffer.alloc(plainLen, 7);
  const aad = Buffer.alloc(8, 1);
  const iv = Buffer.alloc(aead ? 12 : 16, 2);
  const ivOpen = Buffer.from(iv); // the IV the opened packet was sealed with
  const opts = { authTagLength: 16 };
  const c0 = createCipheriv(s.raw as 'aes-128-gcm', key, ivOpen, opts);
  if (!aead) c0.setAutoPadding(false);
  if (aead) c0.setAAD(aad);
  const ct = Buffer.concat([c0.update(data), c0.final()]);
  const tag = aead ? c0.getAuthTag() : createHmac(s.rawMac!, macKey!).update(ct).digest();
  return {
    encap: (): void => {
      for (let i = 0; i < BATCH; i++) {
        iv.writeUInt32BE(i, iv.length - 4);
        const c = createCipheriv(s.raw as 'aes-128-gcm', key, iv, opts);
        if (aead) c.setAAD(aad);
        else c.setAutoPadding(false);
        const out = c.update(data);
        c.final();
        if (aead) c.getAuthTag();
        else createHmac(s.rawMac!, macKey!).update(out).digest();
      }
    },
    decap: (): void => {
      for (let i = 0; i < BATCH; i++) {
        if (!aead) createHmac(s.rawMac!, macKey!).update(ct).digest();
        const d = createDecipheriv(s.raw as 'aes-128-gcm', key, ivOpen, opts);
        if (aead) {
          d.setAuthTag(tag);
          d.setAAD(aad);
        } else d.setAutoPadding(false);
        d.update(ct);
        d.final();
      }
    },
  };
}

export default function run(): void {
  const load0 = loadavg();
  console.log(
    `machine: ${cpus().length} × ${cpus()[0]?.model ?? '?'}; load average ${load0.map((x) => x.toFixed(2)).join(' ')} at start`,
  );
  const evp = evpAvailable();
  if (!evp) console.log(`evp back-end not available (${evpUnavailableReason()}): node:crypto rows only`);
  const env: TransformEnv = { rng: new PooledRng(), now: 0 };
  const settle = youngGc();
  console.log(
    `per ${PACKET_BYTES}-byte packet, µs of CPU (median of ${ROUNDS} rounds × ${BATCH} packets); ratio = × the evp figure`,
  );
  console.log(
    'transform                       | evp encap | node encap | raw node seal | evp decap | node decap | raw node open | openssl speed -evp (cipher only)',
  );
  const series = ['evp', 'node:crypto back-end', 'raw node:crypto calls', 'openssl speed (cipher only)'];
  const chart = (id: string, what: string): BenchChart => ({
    id,
    title: `ESP ${what} of a ${PACKET_BYTES}-byte packet by crypto back-end (median of ${ROUNDS} rounds)`,
    unit: 'µs of process CPU per packet, lower is better',
    series,
    rows: [],
  });
  const charts = [chart('encap', 'encapsulation'), chart('decap', 'decapsulation')];
  for (const s of SUITES) {
    const encKey = new Uint8Array(s.encBytes);
    randomFillSync(encKey);
    const authKey = s.authBytes ? randomFillSync(new Uint8Array(s.authBytes)) : undefined;
    const bes: Backend[] = evp ? ['evp', 'node'] : ['node'];
    const sides = bes.map((be) => espSides(s, be, encKey, authKey, env));
    const raw = rawSides(s, encKey, authKey, sides[0]!.plainLen);
    const enc = race([...sides.map((x) => x.encap), raw.encap], settle);
    const dec = race([...sides.map((x) => x.decap), raw.decap], settle);
    const speed = opensslSpeed(s.speed, sides[0]!.plainLen);
    const cell = (r: { us: number[]; ratio: number[] }, k: number): string =>
      k === 0 ? f2(r.us[0]) : `${f2(r.us[k])} (${f2(r.ratio[k])}×)`;
    const ev = evp ? 1 : 0;
    console.log(
      `${s.label.padEnd(31)} | ${evp ? cell(enc, 0) : 'n/a'} | ${cell(enc, ev)} | ${cell(enc, ev + 1)} | ` +
        `${evp ? cell(dec, 0) : 'n/a'} | ${cell(dec, ev)} | ${cell(dec, ev + 1)} | ` +
        `${f2(speed)}${speed && evp ? ` (evp encap = ${f2(enc.us[0]! / speed)}×)` : ''}`,
    );
    [enc, dec].forEach((r, i) =>
      charts[i]!.rows.push({
        label: s.label,
        values: [evp ? r.us[0]! : null, r.us[ev]!, r.us[ev + 1]!, speed ?? null],
      }),
    );
  }
  console.log(
    `load average ${loadavg()
      .map((x) => x.toFixed(2))
      .join(' ')} at end (2 cores shared with other work: compare ratios, not absolute µs)`,
  );
  writeBenchJson('esp-backends', charts, { loadStart: load0[0] });
}
