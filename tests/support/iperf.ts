// iperf3 between two network namespaces for the namespace tests and benches: a one-off server on one side,
// the client on the other (JSON output parsed), bounded in time, the server always stopped. `reverse` makes
// the server send (iperf3 -R), so one server and one client cover both directions.
import { spawnSync } from 'node:child_process';
import { NsProc } from '../os/netns.js';
import { nsExec, onExitCleanup } from './interop-net.js';

/** Why iperf3 cannot be used here, or undefined. */
export function iperfSkipReason(): string | undefined {
  return spawnSync('iperf3', ['--version']).error ? 'iperf3 not installed' : undefined;
}

export interface IperfRun {
  serverNs: string;
  serverAddr: string;
  clientNs: string;
  /** Source address of the client (`-B`). */
  clientAddr: string;
  /** Test length, default 3 s. */
  seconds?: number;
  /** The server sends, the client receives (`-R`). */
  reverse?: boolean;
  udp?: boolean;
  /** Write size (`-l`): for UDP the datagram payload. */
  len?: number;
  /** Target rate (`-b`, `0` = unlimited); iperf3's default for UDP is 1 Mbit/s. */
  bitrate?: string;
  /** Client connect timeout in ms (the first packets may wait for IKE), default 30 s. */
  connectTimeoutMs?: number;
  port?: number;
}

export interface IperfResult {
  /** What the receiving end got. */
  bitsPerSecond: number;
  bytes: number;
  seconds: number;
  /** UDP only: datagrams sent and lost as the receiver counted them. */
  packets?: number;
  lostPackets?: number;
  /** TCP only: the sender's retransmissions. */
  retransmits?: number;
  /** iperf3's JSON report. */
  json: Record<string, unknown>;
}

interface IperfEnd {
  sum_received?: { bytes: number; bits_per_second: number; seconds: number; packets?: number; lost_packets?: number };
  sum_sent?: { retransmits?: number };
  sum?: { bytes: number; bits_per_second: number; seconds: number; packets?: number; lost_packets?: number };
}

/** Runs one iperf3 test; throws (with both sides' output) when it does not complete. */
export async function runIperf(r: IperfRun): Promise<IperfResult> {
  const port = String(r.port ?? 5201);
  const server = new NsProc(`iperf3 -s ${r.serverNs}`, r.serverNs, [
    'iperf3',
    '-s',
    '-1',
    '--forceflush',
    '-B',
    r.serverAddr,
    '-p',
    port,
  ]);
  const forget = onExitCleanup(() => server.child.kill('SIGKILL'));
  try {
    await server.waitFor(/Server listening/, 30_000);
    const seconds = r.seconds ?? 3;
    const args = ['iperf3', '-J', '-c', r.serverAddr, '-B', r.clientAddr, '-p', port, '-t', String(seconds)];
    args.push('--connect-timeout', String(r.connectTimeoutMs ?? 30_000));
    if (r.reverse) args.push('-R');
    if (r.udp) args.push('-u');
    if (r.len !== undefined) args.push('-l', String(r.len));
    if (r.bitrate !== undefined) args.push('-b', r.bitrate);
    const c = await nsExec(r.clientNs, args, (seconds + 60) * 1000 + (r.connectTimeoutMs ?? 30_000));
    let json: Record<string, unknown>;
    try {
      json = JSON.parse(c.out) as Record<string, unknown>;
    } catch {
      throw new Error(`iperf3 client: no JSON (exit ${c.code}):\n${c.out.slice(-2000)}${c.err}\n${server.out}`);
    }
    if (json['error']) throw new Error(`iperf3: ${String(json['error'])}\nserver: ${server.out.slice(-1000)}`);
    return result(json, r.udp === true);
  } finally {
    await server.stop('SIGTERM', 5_000);
    forget();
  }
}

function result(json: Record<string, unknown>, udp: boolean): IperfResult {
  const end = (json['end'] ?? {}) as IperfEnd;
  if (udp) {
    // iperf3 3.9+ puts the receiver's view (bytes that arrived, datagrams lost) in `sum_received`; its `sum`
    // carries the sender's rate. Older versions have only `sum`.
    const s = end.sum_received ?? end.sum ?? { bytes: 0, bits_per_second: 0, seconds: 0 };
    const lost = s.lost_packets ?? end.sum?.lost_packets ?? 0;
    return {
      bitsPerSecond: s.bits_per_second,
      bytes: s.bytes,
      seconds: s.seconds,
      packets: s.packets ?? end.sum?.packets,
      lostPackets: lost,
      json,
    };
  }
  const s = end.sum_received ?? { bytes: 0, bits_per_second: 0, seconds: 0 };
  return {
    bitsPerSecond: s.bits_per_second,
    bytes: s.bytes,
    seconds: s.seconds,
    retransmits: end.sum_sent?.retransmits,
    json,
  };
}
