// IKE negotiations per second: main mode + quick mode, PSK, MODP-2048, AES-128/SHA-256 (phase 1) and
// AES-128/HMAC-SHA-256 ESP (phase 2, no PFS), between two racoon instances talking over real UDP sockets on
// loopback (127.0.0.1 <-> 127.0.0.2), each joined by in-process PF_KEY to its own kernel Host. Reports the
// share of the time spent in Diffie-Hellman (key generation + g^xy, measured per operation in the same run).
// Then IKEv2 (IKE_SA_INIT + IKE_AUTH with the first child, PSK) with MODP-2048 and ECP-256 in the same run,
// as a ratio to the IKEv1 figure.
import { createSocket, type Socket } from 'node:dgram';
import { performance } from 'node:perf_hooks';
import { ManualClock } from '../common/clock.js';
import { nullLogger } from '../common/log.js';
import { formatAddr, parseAddr } from '../common/inet.js';
import { PooledRng } from '../common/rng.js';
import { DhKeyPair, findDhGroup } from '../crypto/dh.js';
import { Host } from '../kernel/host/host.js';
import { KeySock } from '../kernel/keysock/keysock.js';
import { MemWire } from '../kernel/link/memwire.js';
import { PfkeyClient } from '../pfkey/client.js';
import { InprocTransport } from '../pfkey/transport-inproc.js';
import { parseRacoonConf } from '../racoon/conf/parser.js';
import { parsePskText } from '../racoon/psk.js';
import { Racoon } from '../racoon/daemon.js';
import { loadNow, writeBenchJson, type BenchChart } from './harness.js';

const A = '127.0.0.1',
  B = '127.0.0.2';
const ip = (s: string) => parseAddr(s)!;

function conf(peer: string, v2?: string): string {
  const head = v2 ? 'ike_version 2;' : 'exchange_mode main;';
  return `remote ${peer} { ${head} proposal { encryption_algorithm aes 128; hash_algorithm sha256;
    authentication_method pre_shared_key; dh_group ${v2 ?? 'modp2048'}; } }
  sainfo anonymous { lifetime time 1 hour; encryption_algorithm aes 128; authentication_algorithm hmac_sha256; compression_algorithm deflate; }`;
}

async function side(
  name: string,
  addr: string,
  peer: string,
  port: number,
  wire: MemWire,
  clock: ManualClock,
  v2?: string,
) {
  const host = new Host({ name, clock });
  host.addInterface('eth0', wire.attach(name, [ip(addr)]), [`${addr}/8`]);
  // Transport-mode ESP between the two addresses (as setkey spdadd ... -P out/in ipsec esp/transport//require).
  host.spd.addPolicy({
    src: `${addr}/32`,
    dst: `${peer}/32`,
    dir: 'out',
    action: 'ipsec',
    requests: [{ proto: 'esp', mode: 'transport', level: 'require' }],
  });
  host.spd.addPolicy({
    src: `${peer}/32`,
    dst: `${addr}/32`,
    dir: 'in',
    action: 'ipsec',
    requests: [{ proto: 'esp', mode: 'transport', level: 'require' }],
  });
  const keysock = new KeySock(host);
  const client = new PfkeyClient(new InprocTransport(keysock), { pid: port });
  const sock: Socket = createSocket('udp4');
  await new Promise<void>((r) => sock.bind(port, addr, () => r()));
  const racoon = new Racoon({
    conf: parseRacoonConf(conf(peer, v2), name).conf,
    psk: parsePskText(`${peer} bench-secret\n`, 'psk'),
    pfkey: client,
    clock,
    rng: new PooledRng(),
    log: nullLogger,
    port,
    ike: { send: (d, _from, to) => sock.send(d, to.port, formatAddr(to.addr)) },
  });
  sock.on('message', (m, r) =>
    racoon.input(new Uint8Array(m), { addr: ip(addr), port }, { addr: ip(r.address), port: r.port }),
  );
  await racoon.start();
  return { host, keysock, client, sock, racoon };
}

function dhCostMs(rounds: number): { genMs: number; computeMs: number } {
  const g = findDhGroup(14)!;
  const rng = new PooledRng();
  const peer = new DhKeyPair(g, rng);
  let t = performance.now();
  const pairs: DhKeyPair[] = [];
  for (let i = 0; i < rounds; i++) pairs.push(new DhKeyPair(g, rng));
  const genMs = (performance.now() - t) / rounds;
  t = performance.now();
  for (const p of pairs) p.computeSecret(peer.publicKey);
  return { genMs, computeMs: (performance.now() - t) / rounds };
}

export default async function main(): Promise<void> {
  const load0 = loadNow();
  const n = Number(process.env.IKE_BENCH_N ?? 40);
  const clock = new ManualClock(Date.now());
  const wire = new MemWire();
  // Both daemons use the same port number on their own loopback address, as two hosts would.
  const port = 20000 + (process.pid % 20000);
  const a = await side('a', A, B, port, wire, clock);
  const b = await side('b', B, A, port, wire, clock);
  const sp = [...a.racoon.bridge.spd.values()].find((s) => s.dir === 2)!;
  const once = async () => {
    const before = a.racoon.stats.ph2Established;
    a.racoon.startPh2(sp, { addr: ip(A), port }, { addr: ip(B), port }, 0);
    while (a.racoon.stats.ph2Established === before || b.racoon.stats.ph2Established < a.racoon.stats.ph2Established) {
      await new Promise((r) => setImmediate(r));
    }
    // Forget the negotiation so the next one runs main mode again; empty the kernels' SADs.
    for (const s of [a, b]) {
      s.racoon.ph1s.clear();
      s.racoon.ph2s.clear();
      s.host.sad.flush();
    }
  };
  await once(); // warm-up (first use of MODP-2048 objects, JIT)
  const t0 = performance.now();
  for (let i = 0; i < n; i++) await once();
  const ms = (performance.now() - t0) / n;
  const dh = dhCostMs(50);
  // Per negotiation: each side generates one MODP-2048 key pair and computes g^xy once (no PFS).
  const dhMs = 2 * (dh.genMs + dh.computeMs);
  console.log(`ike: ${n} negotiations (main mode + quick mode, PSK, MODP-2048, AES-128/SHA-256) over UDP loopback`);
  console.log(`ike: ${(1000 / ms).toFixed(1)} negotiations/s (${ms.toFixed(2)} ms each)`);
  console.log(
    `ike: Diffie-Hellman ${dhMs.toFixed(2)} ms per negotiation (keygen ${dh.genMs.toFixed(2)} ms, g^xy ${dh.computeMs.toFixed(2)} ms, x2 sides) = ${((100 * dhMs) / ms).toFixed(0)}% of the time`,
  );
  closeSides([a, b]);
  const rows: BenchChart['rows'] = [{ label: 'IKEv1 modp2048', values: [1000 / ms] }];
  for (const group of ['modp2048', 'ecp256']) {
    const v2 = await ikev2Rate(n, group, port + 1);
    console.log(
      `ike: IKEv2 ${group}: ${(1000 / v2).toFixed(1)} negotiations/s (${v2.toFixed(2)} ms each, IKE_SA_INIT + IKE_AUTH with a child) = ${(ms / v2).toFixed(2)}x IKEv1 main+quick MODP-2048`,
    );
    rows.push({ label: `IKEv2 ${group}`, values: [1000 / v2] });
  }
  const title = `IKE negotiations between two racoons over UDP loopback, PSK, AES-128/SHA-256 (${n} each)`;
  const unit = 'negotiations per second (phase 1 + first child SA), higher is better';
  const note = `IKEv1 main + quick mode; IKEv2 IKE_SA_INIT + IKE_AUTH; DH ${((100 * dhMs) / ms).toFixed(0)}% of IKEv1's time`;
  writeBenchJson('ike', [{ title, unit, series: ['negotiations/s'], rows, note }], { loadStart: load0 });
}

type Side = Awaited<ReturnType<typeof side>>;

function closeSides(sides: Side[]): void {
  for (const s of sides) {
    s.racoon.close();
    s.client.close();
    s.keysock.close();
    s.sock.close();
    s.host.close();
  }
}

/** ms per IKEv2 negotiation (IKE_SA_INIT + IKE_AUTH with the first child, both kernels installed). */
async function ikev2Rate(n: number, group: string, port: number): Promise<number> {
  const clock = new ManualClock(Date.now());
  const wire = new MemWire();
  const a = await side('a', A, B, port, wire, clock, group);
  const b = await side('b', B, A, port, wire, clock, group);
  const sp = [...a.racoon.bridge.spd.values()].find((s) => s.dir === 2)!;
  const once = async () => {
    const before = a.racoon.ikev2.stats.childEstablished;
    a.racoon.ikev2Acquire.start(sp, { addr: ip(A), port }, { addr: ip(B), port }, 0, 3);
    while (
      a.racoon.ikev2.stats.childEstablished === before ||
      b.racoon.ikev2.stats.childEstablished < a.racoon.ikev2.stats.childEstablished
    )
      await new Promise((r) => setImmediate(r));
    for (const s of [a, b]) {
      s.racoon.ikev2.close();
      s.racoon.ikev2.children.all.clear();
      s.host.sad.flush();
    }
  };
  await once();
  const t0 = performance.now();
  for (let i = 0; i < n; i++) await once();
  const ms = (performance.now() - t0) / n;
  closeSides([a, b]);
  return ms;
}
