// Data plane against strongSwan (issue 10): TCP and UDP throughput between two clients, each behind a gateway,
// the gateways joined by a veth and protecting the clients' networks with ESP-in-UDP tunnel mode (RFC 3948:
// the only mode strongSwan's kernel-libipsec has), AES-128-CBC + HMAC-SHA-256 on both. Three set-ups of the
// same topology (tests/support/interop-net.ts), all up at once and measured in turn, round after round, so
// that the machine's drift hits each alike:
//
//   plain      the gateways only forward (the ceiling of this machine: no IPsec at all)
//   strongswan two charon 5.9 with kernel-libipsec (userland ESP), IKEv2 PSK
//   uipsec     two `uipsecd --tun utun0 --load FILE` (manual keys), started as docs/protecting-real-traffic.md says
//   uipsec-sync the same with UIPSEC_TX_WORKER=0: sends from the main thread, no send worker (the plain path)
//   mixed      one of each (issue 10): `uipsecd --tun` + `racoon` (IKEv1 PSK, NAT-T forced) on gateway u,
//              charon with kernel-libipsec on gateway s; the client u -> client s runs send through uipsec's
//              encapsulation and strongSwan's decapsulation
//
// Printed: iperf3 TCP and UDP (1200-byte datagrams, unlimited rate) as received by the far client (the UDP
// sender's own rate is far higher: what the path cannot carry is lost), UDP datagrams received per second,
// and the gateways' CPU per megabyte carried (uipsecd or charon processes, both sides), with the
// uipsec/strongswan ratios. Needs root, iperf3, and strongSwan with kernel-libipsec for the strongSwan row (skipped with the
// reason otherwise). UIPSEC_BENCH_ROUNDS (default 2) and UIPSEC_BENCH_SECONDS (default 3) tune the length.
// UIPSEC_BENCH_ROWS (e.g. `strongswan,mixed`) keeps only the rows named; UIPSEC_BENCH_PROF=DIR profiles uipsecd;
// UIPSEC_BENCH_BASE=OTHER/bin/uipsecd adds the row `uipsec-base`: another build's daemons (before/after).
// The medians also go to UIPSEC_BENCH_JSON (default bench-out/dataplane.json) for `npm run bench:charts`.
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { makeInteropNet, nsExec, type InteropNet } from '../tests/support/interop-net.js';
import { iperfSkipReason, runIperf } from '../tests/support/iperf.js';
import { Charon, strongswanSkipReason } from '../tests/support/strongswan.js';
import { tunnelPolicies, UipsecNode } from '../tests/support/uipsec-node.js';
import { dataplaneChart } from './chart.js';
import { spreadOf, writeBenchJson } from './harness.js';

const KEYS = {
  encOut: '0x11223344556677889900aabbccddeeff',
  authOut: '0x00112233445566778899aabbccddeeff0011223344556677889900aabbccddee',
  encIn: '0xffeeddccbbaa00998877665544332211',
  authIn: '0xeeddccbbaa99887766554433221100ffeeddccbbaa99887766554433221100ff',
};

/** One set-up: its network, and the processes doing IPsec on the gateways (none for plain forwarding). */
export interface Setup {
  name: 'plain' | 'strongswan' | 'uipsec' | 'uipsec-sync' | 'uipsec-base' | 'mixed';
  net: InteropNet;
  cpu: () => number;
  /** The gateways' IPsec processes (uipsecd or charon), u then s (bench/dataplane-gw.bench.ts reads their threads). */
  pids: number[];
  stop: () => Promise<void>;
}

interface Sample {
  tcpMbps: number;
  /** The TCP sender's retransmissions (iperf3): drops on the path show here first. */
  tcpRetr: number;
  udpMbps: number;
  udpLoss: number;
  /** UDP datagrams the far client received per second. */
  udpPps: number;
  /** Mean round trip of 20 pings between the clients on an idle path (ms; NaN when ping failed). */
  rttMs: number;
  /** Gateways' CPU milliseconds per megabyte received by the far client (TCP and UDP runs together). */
  cpuMsPerMB: number;
}

/** The setkey file of one uipsec gateway: both SAs (ESP-in-UDP, tunnel) and both policies, from its side. */
function uipsecSetkey(n: InteropNet, side: 'u' | 's'): string {
  const [me, peer, myNet, peerNet] =
    side === 'u' ? [n.addrU, n.addrS, n.innerNetU, n.innerNetS] : [n.addrS, n.addrU, n.innerNetS, n.innerNetU];
  const sa = (src: string, dst: string, spi: string, enc: string, auth: string) =>
    `add ${src}[4500] ${dst}[4500] esp-udp ${spi} -m tunnel -E aes-cbc ${enc} -A hmac-sha256 ${auth};`;
  return [
    'flush;',
    'spdflush;',
    sa(n.addrU, n.addrS, '0x1001', KEYS.encOut, KEYS.authOut),
    sa(n.addrS, n.addrU, '0x2001', KEYS.encIn, KEYS.authIn),
    `spdadd ${myNet} ${peerNet} any -P out ipsec esp/tunnel/${me}-${peer}/require;`,
    `spdadd ${peerNet} ${myNet} any -P in ipsec esp/tunnel/${peer}-${me}/require;`,
    '',
  ].join('\n');
}

export async function uipsecSetup(
  dir: string,
  sync = false,
  o: { env?: Record<string, string>; tag?: string; nodeArgs?: string[]; uipsecd?: string } = {},
): Promise<Setup> {
  const extraEnv = o.env ?? {};
  const net = makeInteropNet(o.tag ?? (sync ? 'bups' : 'bupi'), { clients: true });
  const nodes: UipsecNode[] = [];
  const stop = async () => {
    for (const n of nodes) await n.stop();
    net.destroy();
  };
  // UIPSEC_BENCH_PROF=DIR: the daemons write CPU profiles there when they stop (node --cpu-prof).
  const prof = process.env['UIPSEC_BENCH_PROF'];
  const nodeArgs = [...(prof ? ['--cpu-prof', `--cpu-prof-dir=${prof}`] : []), ...(o.nodeArgs ?? [])];
  // The daemons inherit the environment when they are spawned.
  if (sync) process.env['UIPSEC_TX_WORKER'] = '0';
  Object.assign(process.env, extraEnv);
  try {
    for (const side of ['u', 's'] as const) {
      const name = `${o.tag ?? (sync ? 'sync' : 'u')}-${side}`;
      nodes.push(
        await UipsecNode.start({
          ns: side === 'u' ? net.u : net.s,
          dir,
          name,
          setkey: uipsecSetkey(net, side),
          nodeArgs,
          uipsecd: o.uipsecd,
        }),
      );
    }
  } catch (e) {
    await stop();
    throw e;
  } finally {
    delete process.env['UIPSEC_TX_WORKER'];
    for (const k of Object.keys(extraEnv)) delete process.env[k];
  }
  const cpu = () => nodes.reduce((a, n) => a + n.cpuSeconds().daemon, 0);
  const pids = nodes.map((n) => n.daemon.child.pid ?? -1);
  const name = o.uipsecd ? 'uipsec-base' : sync ? 'uipsec-sync' : 'uipsec';
  return { name, net, cpu, pids, stop };
}

export async function strongswanSetup(dir: string): Promise<Setup> {
  const net = makeInteropNet('bswa', { clients: true });
  const charons: Charon[] = [];
  const stop = async () => {
    for (const c of charons) await c.stop();
    net.destroy();
  };
  try {
    for (const side of ['u', 's'] as const) {
      const [ns, me, peer, myNet, peerNet] =
        side === 'u'
          ? [net.u, net.addrU, net.addrS, net.innerNetU, net.innerNetS]
          : [net.s, net.addrS, net.addrU, net.innerNetS, net.innerNetU];
      const c = await Charon.start({ ns, dir: join(dir, `charon-${side}`), logLevels: { default: 0 } });
      charons.push(c);
      await c.load({
        connections: [
          {
            name: 'gw',
            version: 2,
            localAddrs: [me],
            remoteAddrs: [peer],
            local: { auth: 'psk', id: me },
            remote: { auth: 'psk', id: peer },
            children: [{ name: 'net', localTs: [myNet], remoteTs: [peerNet] }],
          },
        ],
        secrets: [{ type: 'ike', ids: [net.addrU, net.addrS], secret: 'bench-secret-5c1e' }],
      });
    }
    const r = await charons[0]!.initiate({ child: 'net', timeoutSec: 60 });
    if (!r.ok) throw new Error(`swanctl --initiate: ${r.out}`);
  } catch (e) {
    await stop();
    throw e;
  }
  const cpu = () => charons.reduce((a, c) => a + c.cpuSeconds(), 0);
  return { name: 'strongswan', net, cpu, pids: charons.map((c) => c.pid), stop };
}

/** The racoon.conf of the mixed row's uipsec gateway: main mode PSK, ESP-in-UDP as libipsec needs. */
function mixedRacoonConf(peer: string): string {
  return `remote ${peer} {
  exchange_mode main;
  nat_traversal force;
  proposal { encryption_algorithm aes 128; hash_algorithm sha256; authentication_method pre_shared_key; dh_group modp2048; }
}
sainfo anonymous {
  lifetime time 2 hour;
  encryption_algorithm aes 128;
  authentication_algorithm hmac_sha256;
  compression_algorithm deflate;  # racoon's grammar wants one; the policies ask no IPComp
}`;
}

/** Gateway u: uipsecd --tun + racoon; gateway s: charon/libipsec (IKEv1, as racoon speaks it); charon initiates. */
async function mixedSetup(dir: string): Promise<Setup> {
  const net = makeInteropNet('bmix', { clients: true });
  const secret = 'bench-secret-7d2b';
  let charon: Charon | undefined, node: UipsecNode | undefined;
  const stop = async () => {
    await node?.stop();
    await charon?.stop();
    net.destroy();
  };
  try {
    charon = await Charon.start({ ns: net.s, dir: join(dir, 'charon-mixed'), logLevels: { default: 0 } });
    await charon.load({
      connections: [
        {
          name: 'gw',
          version: 1,
          localAddrs: [net.addrS],
          remoteAddrs: [net.addrU],
          local: { auth: 'psk', id: net.addrS },
          remote: { auth: 'psk', id: net.addrU },
          children: [{ name: 'net', localTs: [net.innerNetS], remoteTs: [net.innerNetU] }],
        },
      ],
      secrets: [{ type: 'ike', ids: [net.addrU, net.addrS], secret }],
    });
    node = await UipsecNode.start({
      ns: net.u,
      dir,
      name: 'mixed-u',
      setkey: tunnelPolicies(net),
      racoon: { conf: mixedRacoonConf(net.addrS), psk: `${net.addrS}\t${secret}\n` },
    });
    const r = await charon.initiate({ child: 'net', timeoutSec: 60 });
    if (!r.ok) throw new Error(`swanctl --initiate: ${r.out}`);
  } catch (e) {
    await stop();
    throw e;
  }
  const [c, n] = [charon, node];
  const pids = [n.daemon.child.pid ?? -1, c.pid];
  return { name: 'mixed', net, cpu: () => c.cpuSeconds() + n.cpuSeconds().daemon, pids, stop };
}

function plainSetup(): Setup {
  const net = makeInteropNet('bpla', { clients: true });
  // Without IPsec nothing routes the far network: a plain route through the peer gateway.
  for (const [ns, to, via] of [
    [net.u, net.innerNetS, net.addrS],
    [net.s, net.innerNetU, net.addrU],
  ] as const) {
    const r = spawnSync('ip', ['-n', ns, 'route', 'add', to, 'via', via], { encoding: 'utf8', timeout: 10_000 });
    if (r.status !== 0) {
      net.destroy();
      throw new Error(`ip route add ${to} via ${via}: ${r.stderr}`);
    }
  }
  return { name: 'plain', net, cpu: () => 0, pids: [], stop: async () => net.destroy() };
}

/** One TCP and one UDP iperf3 run from client u to client s; the gateways' CPU over both. */
async function sample(s: Setup, seconds: number): Promise<Sample> {
  const run = { serverNs: s.net.hostS, serverAddr: s.net.innerS, clientNs: s.net.hostU, clientAddr: s.net.innerU };
  const cpu0 = s.cpu();
  const tcp = await runIperf({ ...run, seconds });
  const udp = await runIperf({ ...run, seconds, udp: true, len: 1200, bitrate: '0' });
  const cpuMs = (s.cpu() - cpu0) * 1000;
  const rttMs = await pingRtt(s.net);
  const mb = (tcp.bytes + udp.bytes) / 1e6;
  const loss = udp.packets ? (udp.lostPackets ?? 0) / udp.packets : 0;
  return {
    tcpMbps: tcp.bitsPerSecond / 1e6,
    tcpRetr: tcp.retransmits ?? 0,
    udpMbps: udp.bitsPerSecond / 1e6,
    udpLoss: loss,
    udpPps: ((udp.packets ?? 0) - (udp.lostPackets ?? 0)) / (udp.seconds || seconds),
    rttMs,
    cpuMsPerMB: cpuMs / mb,
  };
}

/** `ping -c 20 -i 0.01` from client u to client s: the mean RTT of ping's summary line (NaN when none). */
async function pingRtt(n: InteropNet): Promise<number> {
  const r = await nsExec(n.hostU, ['ping', '-n', '-q', '-c', '20', '-i', '0.01', '-W', '2', '-I', n.innerU, n.innerS]);
  const avg = /= [\d.]+\/([\d.]+)\//.exec(r.out)?.[1];
  return avg === undefined ? NaN : Number(avg);
}

function median(xs: number[]): number {
  return spreadOf(xs).median;
}

function report(results: Map<string, Sample[]>, rounds: number, seconds: number): void {
  console.log(`iperf3 client u -> client s through both gateways, ${seconds} s per run, ${rounds} rounds (medians)`);
  console.log('set-up        TCP Mbit/s   TCP retr   UDP Mbit/s   UDP kpkt/s   UDP loss   RTT ms   gateways CPU ms/MB');
  for (const [name, xs] of results) {
    const m = (f: (s: Sample) => number, digits = 1) => median(xs.map(f)).toFixed(digits);
    const cols = [
      m((s) => s.tcpMbps).padStart(11),
      m((s) => s.tcpRetr, 0).padStart(10),
      m((s) => s.udpMbps).padStart(12),
      m((s) => s.udpPps / 1000, 2).padStart(12),
      `${m((s) => s.udpLoss * 100)}%`.padStart(10),
      m((s) => s.rttMs, 3).padStart(8),
      (name === 'plain' ? '-' : m((s) => s.cpuMsPerMB, 2)).padStart(19),
    ];
    console.log(`${name.padEnd(12)} ${cols.join(' ')}`);
  }
  const u = results.get('uipsec'),
    w = results.get('strongswan'),
    p = results.get('plain');
  const ratio = (a: Sample[] | undefined, b: Sample[] | undefined, f: (s: Sample) => number) =>
    a && b ? (median(a.map(f)) / median(b.map(f))).toFixed(2) : '-';
  if (u && w)
    console.log(
      `uipsec/strongswan: TCP ${ratio(u, w, (s) => s.tcpMbps)}x, UDP ${ratio(u, w, (s) => s.udpMbps)}x, ` +
        `CPU per MB ${ratio(u, w, (s) => s.cpuMsPerMB)}x (above 1: uipsec spends more)`,
    );
  const y = results.get('uipsec-sync');
  if (u && y)
    console.log(
      `uipsec/uipsec-sync (send worker / sends on the main thread): TCP ${ratio(u, y, (s) => s.tcpMbps)}x, ` +
        `UDP ${ratio(u, y, (s) => s.udpMbps)}x`,
    );
  const b = results.get('uipsec-base');
  if (u && b)
    console.log(
      `uipsec/uipsec-base (this build / UIPSEC_BENCH_BASE's): TCP ${ratio(u, b, (s) => s.tcpMbps)}x, ` +
        `UDP ${ratio(u, b, (s) => s.udpMbps)}x, CPU per MB ${ratio(u, b, (s) => s.cpuMsPerMB)}x, ` +
        `RTT ${ratio(u, b, (s) => s.rttMs)}x`,
    );
  const x = results.get('mixed');
  if (x && w)
    console.log(
      `mixed/strongswan (uipsec sends, strongSwan receives): TCP ${ratio(x, w, (s) => s.tcpMbps)}x, ` +
        `UDP ${ratio(x, w, (s) => s.udpMbps)}x`,
    );
  if (u && p)
    console.log(
      `uipsec/plain forwarding: TCP ${ratio(u, p, (s) => s.tcpMbps)}x, UDP ${ratio(u, p, (s) => s.udpMbps)}x`,
    );
}

/** The medians as JSON (bench/chart.ts draws docs/performance's chart from it), with the load they ran under. */
function writeJson(results: Map<string, Sample[]>, rounds: number, seconds: number): void {
  const rows = [...results].map(([name, xs]) => {
    const m = (f: (s: Sample) => number) => median(xs.map(f));
    return {
      name,
      tcpMbps: m((s) => s.tcpMbps),
      udpMbps: m((s) => s.udpMbps),
      udpKpps: m((s) => s.udpPps / 1000),
      udpLoss: m((s) => s.udpLoss),
      rttMs: m((s) => s.rttMs),
      cpuMsPerMB: name === 'plain' ? null : m((s) => s.cpuMsPerMB),
    };
  });
  const file = process.env['UIPSEC_BENCH_JSON'];
  writeBenchJson('dataplane', [dataplaneChart(rows, rounds, seconds)], { extra: { rounds, seconds, rows }, file });
}

export default async function main(): Promise<void> {
  if (process.platform !== 'linux' || process.getuid?.() !== 0) {
    console.log('skipped: needs root on Linux (network namespaces, TUN devices)');
    return;
  }
  const noIperf = iperfSkipReason();
  if (noIperf) {
    console.log(`skipped: ${noIperf}`);
    return;
  }
  const rounds = Number(process.env['UIPSEC_BENCH_ROUNDS'] ?? 2);
  const seconds = Number(process.env['UIPSEC_BENCH_SECONDS'] ?? 3);
  const noSwan = strongswanSkipReason();
  if (noSwan) console.log(`strongswan row skipped: ${noSwan}`);
  const base = process.env['UIPSEC_BENCH_BASE'];
  const dir = mkdtempSync(join(tmpdir(), 'uipsec-bench-dp-'));
  const setups: Setup[] = [];
  try {
    // UIPSEC_BENCH_ROWS=strongswan,mixed: only those rows (default all).
    const only = process.env['UIPSEC_BENCH_ROWS']?.split(',');
    for (const [name, make] of [
      ['plain', async () => plainSetup()],
      ['strongswan', noSwan ? undefined : strongswanSetup],
      ['uipsec', uipsecSetup],
      ['uipsec-sync', (d: string) => uipsecSetup(d, true)],
      // UIPSEC_BENCH_BASE=OTHER/bin/uipsecd: the same row with another build (a before/after in one run).
      ['uipsec-base', base ? (d: string) => uipsecSetup(d, false, { uipsecd: base, tag: 'bupb' }) : undefined],
      ['mixed', noSwan ? undefined : mixedSetup],
    ] as const) {
      // A set-up that fails to come up is reported and left out; the others still run.
      if (make && (!only || only.includes(name)))
        await make(dir).then(
          (s) => setups.push(s),
          (e: unknown) => console.log(`${name} row failed: ${String(e)}`),
        );
    }
    const results = new Map<string, Sample[]>(setups.map((s) => [s.name, []]));
    for (let r = 0; r < rounds; r++)
      for (const s of setups) {
        // A failed run (iperf3 could not connect...) is printed and left out of the medians.
        await sample(s, seconds).then(
          (x) => results.get(s.name)!.push(x),
          (e: unknown) => console.log(`${s.name} round ${r + 1} failed: ${String(e).slice(0, 500)}`),
        );
      }
    for (const [name, xs] of results) if (!xs.length) results.delete(name);
    report(results, rounds, seconds);
    writeJson(results, rounds, seconds);
  } finally {
    for (const s of setups) await s.stop();
    rmSync(dir, { recursive: true, force: true });
  }
}
