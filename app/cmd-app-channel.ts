// `uipsec send`, `listen` and `ping`: UDP through uipsecd's host stack over its app channel (the IKE
// channel of channel/client.ts, ports bound without bypass, so the SPD applies as to any application).
// ping is ICMP/ICMPv6 echo (RFC 792, RFC 4443 §4.1) sent by the daemon's host itself (PING frame), so a
// policy covering ICMP protects it; `ping --udp PORT` is the UDP echo (RFC 862) of `uipsec listen --echo`.
import { dirname, join } from 'node:path';
import { formatAddr, parseAddr } from '../common/inet.js';
import { SocketPathError } from '../common/socket-path.js';
import { IKE_SOCKET_ENV, SENT_EBADF, channelErrnoName } from '../channel/constants.js';
import { IkeChannel, type IkeDatagram, type IkeSendResult } from '../channel/client.js';
import { DEFAULT_PFKEY_SOCKET, PFKEY_SOCKET_ENV } from '../pfkey/transport-unix.js';
import { EXIT_FAIL, EXIT_OK, EXIT_PARTIAL, EXIT_USAGE, errorText, type CliIo } from './cli-io.js';

export interface ChannelOptions {
  appSocket?: string;
  socket?: string;
}

/** The app channel path: --app-socket, $UIPSEC_IKE_SOCKET, else ike.sock beside the PF_KEY socket (as uipsecd does). */
export function appSocketPath(o: ChannelOptions, env: Record<string, string | undefined>): string {
  if (o.appSocket) return o.appSocket;
  if (env[IKE_SOCKET_ENV]) return env[IKE_SOCKET_ENV]!;
  return join(dirname(o.socket || env[PFKEY_SOCKET_ENV] || DEFAULT_PFKEY_SOCKET), 'ike.sock');
}

async function open(o: ChannelOptions, io: CliIo, cmd: string): Promise<IkeChannel | undefined> {
  const path = appSocketPath(o, io.env);
  try {
    return await IkeChannel.connect(path);
  } catch (e) {
    if (e instanceof SocketPathError) {
      io.err(`uipsec ${cmd}: ${e.message}\n`);
      return undefined;
    }
    io.err(
      `uipsec ${cmd}: no uipsecd app channel at ${path} (${errorText(e)}).\n` +
        'Start uipsecd (see `uipsecd --help`), or pass --app-socket PATH / --socket PATH, or set UIPSEC_IKE_SOCKET.\n',
    );
    return undefined;
  }
}

async function bindPort(ch: IkeChannel, port: number, io: CliIo, cmd: string): Promise<number | undefined> {
  try {
    return await ch.bind(port);
  } catch (e) {
    const errno = (e as { errno?: number }).errno;
    const why = errno === 48 ? ': another program uses it (uipsec listen, racoon on 500/4500)' : '';
    io.err(`uipsec ${cmd}: cannot bind UDP port ${port} in uipsecd's host stack${why} (${errorText(e)})\n`);
    return undefined;
  }
}

function address(text: string, io: CliIo, cmd: string): Uint8Array | undefined {
  const a = parseAddr(text);
  if (!a) io.err(`uipsec ${cmd}: "${text.slice(0, 64)}" is not an IPv4 or IPv6 address\n`);
  return a;
}

/** Resolves once `ch`'s socket has flushed what was written and closed. */
function closeFlushed(ch: IkeChannel): Promise<void> {
  return new Promise((resolve) => {
    ch.onClose(() => resolve());
    ch.close();
  });
}

export interface SendOptions extends ChannelOptions {
  address: string;
  port: number;
  message: string;
  sport: number;
  count: number;
  stdin?: boolean;
}

export async function runSend(o: SendOptions, io: CliIo): Promise<number> {
  const dst = address(o.address, io, 'send');
  if (!dst) return EXIT_USAGE;
  const payloads = o.stdin
    ? (await io.readStdin()).split('\n').filter((l, i, all) => l !== '' || i < all.length - 1)
    : Array(o.count).fill(o.message);
  const ch = await open(o, io, 'send');
  if (!ch) return EXIT_FAIL;
  const port = await bindPort(ch, o.sport, io, 'send');
  if (port === undefined) {
    ch.close();
    return EXIT_FAIL;
  }
  const enc = new TextEncoder();
  let results: IkeSendResult[];
  try {
    results = await Promise.all(payloads.map((p) => ch.sendChecked(port, dst, o.port, enc.encode(p))));
  } catch (e) {
    io.err(
      `uipsec send: uipsecd closed the app channel (${errorText(e)}) before saying what became of the datagrams; ` +
        'a uipsecd older than this uipsec cannot: run the same version.\n',
    );
    return EXIT_FAIL;
  } finally {
    await closeFlushed(ch);
  }
  return reportSend(results, `${formatAddr(dst)}:${o.port}`, port, io);
}

/** How a drop counter reads to an operator (KAME ipsecstat, BSD ipstat/udpstat names). */
function dropText(r: IkeSendResult, to: string): string {
  const c = r.reason;
  if (c === 'ips_out_nosa')
    return (
      'a policy requires IPsec and there is no SA for it yet; the kernel sent an ACQUIRE to the key manager ' +
      '(racoon: try again once it has negotiated; manual keys: add the SAs with setkey)'
    );
  if (c === 'ips_out_polvio') return 'a policy discards this traffic (setkey -DP lists the policies)';
  if (/noroute/.test(c)) return `no route to ${to.replace(/:\d+$/, '')} (uipsec status shows the addresses and routes)`;
  if (/cantfrag|toobig/.test(c)) return 'too big for the link MTU';
  if (/_wrap$/.test(c)) return "the SA's sequence numbers are used up; a new SA is needed";
  if (r.errno === SENT_EBADF) return 'the local port is not bound';
  return c ? 'dropped by the host (uipsec status shows its counters)' : 'dropped by the host';
}

/** Prints the outcome of a send: 0 all left the host, 1 none did, 3 some did. */
export function reportSend(results: readonly IkeSendResult[], to: string, port: number, io: CliIo): number {
  const sent = results.filter((r) => r.errno === 0).length;
  const plural = (n: number) => `${n} datagram${n === 1 ? '' : 's'}`;
  if (sent > 0) io.out(`sent ${plural(sent)} from port ${port} to ${to}\n`);
  const drops = new Map<string, { n: number; r: IkeSendResult }>();
  for (const r of results) {
    if (r.errno === 0) continue;
    const key = `${r.errno}/${r.reason}`;
    drops.set(key, { n: (drops.get(key)?.n ?? 0) + 1, r });
  }
  for (const { n, r } of drops.values()) {
    const what = results.length === 1 ? 'the datagram' : `${n} of ${plural(results.length)}`;
    io.err(
      `uipsec send: ${what} to ${to} dropped by uipsecd's host (${r.reason || channelErrnoName(r.errno)}): ${dropText(r, to)}\n`,
    );
  }
  return sent === results.length ? EXIT_OK : sent === 0 ? EXIT_FAIL : EXIT_PARTIAL;
}

export interface ListenOptions extends ChannelOptions {
  port: number;
  count?: number;
  echo?: boolean;
  json?: boolean;
}

/** Printable text of a payload: UTF-8 if it decodes cleanly and has no control characters, else hex. */
export function payloadText(p: Uint8Array): string {
  const s = Buffer.from(p).toString('utf8');
  // eslint-disable-next-line no-control-regex
  return !s.includes('\uFFFD') && !/[\u0000-\u0008\u000e-\u001f\u007f]/.test(s)
    ? JSON.stringify(s)
    : `0x${Buffer.from(p).toString('hex')}`;
}

export async function runListen(o: ListenOptions, io: CliIo): Promise<number> {
  const ch = await open(o, io, 'listen');
  if (!ch) return EXIT_FAIL;
  const port = await bindPort(ch, o.port, io, 'listen');
  if (port === undefined) {
    ch.close();
    return EXIT_FAIL;
  }
  if (!o.json) io.out(`listening on UDP port ${port} of uipsecd's host${o.echo ? ' (echoing)' : ''}\n`);
  let n = 0;
  return new Promise<number>((resolve) => {
    let done = false;
    const finish = (code: number) => {
      if (done) return;
      done = true;
      ch.close();
      resolve(code);
    };
    ch.onDatagram((d: IkeDatagram) => {
      if (done) return;
      n++;
      if (o.echo) ch.send(port, d.remote, d.remotePort, d.payload);
      if (o.json) {
        io.out(
          `${JSON.stringify({ from: formatAddr(d.remote), fromPort: d.remotePort, to: formatAddr(d.local), port: d.localPort, bytes: d.payload.length, text: payloadText(d.payload) })}\n`,
        );
      } else {
        io.out(
          `${formatAddr(d.remote)}:${d.remotePort} -> ${formatAddr(d.local)}:${d.localPort}  ${d.payload.length} bytes  ${payloadText(d.payload)}\n`,
        );
      }
      if (o.count !== undefined && n >= o.count) finish(EXIT_OK);
    });
    ch.onClose((err) => {
      if (done) return;
      io.err(`uipsec listen: uipsecd closed the app channel${err ? ` (${errorText(err)})` : ''}\n`);
      finish(EXIT_FAIL);
    });
    io.interrupt?.addEventListener('abort', () =>
      finish(o.count !== undefined && n < o.count ? EXIT_PARTIAL : EXIT_OK),
    );
  });
}

export interface PingOptions extends ChannelOptions {
  address: string;
  count: number;
  interval: number;
  timeout: number;
  size: number;
  /** UDP echo (RFC 862) to this port instead of ICMP echo. */
  udp?: number;
}

/** errno numbers a PINGDONE may carry (FreeBSD), as ping(8) would word them. */
const PING_ERRNO_TEXT: Record<number, string> = {
  16: 'another ping of this client is running',
  65: 'no route to host (uipsecd has no address or route toward it: uipsec status)',
};

function pingSummary(dst: Uint8Array, sent: number, rttsMs: number[], io: CliIo, what: string): void {
  const got = rttsMs.length;
  const loss = sent ? (((sent - got) / sent) * 100).toFixed(1) : '0.0';
  io.out(
    `--- ${formatAddr(dst)} ${what} statistics ---\n${sent} packets transmitted, ${got} packets received, ${loss}% packet loss\n`,
  );
  if (!got) return;
  const avg = rttsMs.reduce((a, b) => a + b, 0) / got;
  const sd = Math.sqrt(rttsMs.reduce((a, b) => a + (b - avg) ** 2, 0) / got);
  io.out(
    `round-trip min/avg/max/stddev = ${Math.min(...rttsMs).toFixed(3)}/${avg.toFixed(3)}/${Math.max(...rttsMs).toFixed(3)}/${sd.toFixed(3)} ms\n`,
  );
}

/** ping(8) through uipsecd: exit 0 when any reply came back, 1 when none (or no daemon), 2 on a bad address. */
export async function runPing(o: PingOptions, io: CliIo): Promise<number> {
  if (o.udp !== undefined) return runUdpPing({ ...o, port: o.udp }, io);
  const dst = address(o.address, io, 'ping');
  if (!dst) return EXIT_USAGE;
  const ch = await open(o, io, 'ping');
  if (!ch) return EXIT_FAIL;
  const rtts: number[] = [];
  let lastSeq = -1;
  const onAbort = () => ch.close(); // the daemon stops sending when the client goes
  io.interrupt?.addEventListener('abort', onAbort);
  io.out(
    `PING ${formatAddr(dst)}: ${o.size} data bytes (ICMP${dst.length === 16 ? 'v6' : ''} echo from uipsecd's host)\n`,
  );
  let sent: number;
  try {
    const done = await ch.ping(
      dst,
      { count: o.count, size: o.size, intervalMs: o.interval, timeoutMs: o.timeout },
      (r) => {
        rtts.push(r.rttUs / 1000);
        lastSeq = Math.max(lastSeq, r.seq);
        io.out(
          `${r.bytes} bytes from ${formatAddr(r.from)}: icmp_seq=${r.seq} ttl=${r.ttl} time=${(r.rttUs / 1000).toFixed(3)} ms\n`,
        );
      },
    );
    if (done.errno) {
      io.err(
        `uipsec ping: ${formatAddr(dst)}: ${PING_ERRNO_TEXT[done.errno] ?? channelErrnoName(done.errno)} (${channelErrnoName(done.errno)})\n`,
      );
      return EXIT_FAIL;
    }
    sent = done.transmitted;
  } catch (e) {
    if (!io.interrupt?.aborted) {
      io.err(
        `uipsec ping: uipsecd closed the app channel (${errorText(e)}); an older uipsecd has no ICMP ping: try --udp PORT\n`,
      );
      return EXIT_FAIL;
    }
    sent = lastSeq + 1; // interrupted: at least as many went out as were answered
  } finally {
    io.interrupt?.removeEventListener('abort', onAbort);
    ch.close();
  }
  pingSummary(dst, sent, rtts, io, 'ping');
  return rtts.length ? EXIT_OK : EXIT_FAIL;
}

interface UdpPingOptions extends ChannelOptions {
  address: string;
  count: number;
  port: number;
  interval: number;
  timeout: number;
  size: number;
}

/** Echo payload: "upng", the sequence number, then filler (RFC 862 echoes whatever it gets). */
function pingPayload(seq: number, size: number): Uint8Array {
  const p = new Uint8Array(size);
  p.set([0x75, 0x70, 0x6e, 0x67]);
  new DataView(p.buffer).setUint32(4, seq);
  for (let i = 8; i < size; i++) p[i] = i & 0xff;
  return p;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function runUdpPing(o: UdpPingOptions, io: CliIo): Promise<number> {
  const dst = address(o.address, io, 'ping');
  if (!dst) return EXIT_USAGE;
  if (o.size < 8) {
    io.err('uipsec ping --udp: the payload needs at least 8 bytes (-s 8)\n');
    return EXIT_USAGE;
  }
  const ch = await open(o, io, 'ping');
  if (!ch) return EXIT_FAIL;
  const port = await bindPort(ch, 0, io, 'ping');
  if (port === undefined) {
    ch.close();
    return EXIT_FAIL;
  }
  const sentAt = new Map<number, number>();
  const rtts: number[] = [];
  let allIn: () => void = () => {};
  const complete = new Promise<void>((r) => {
    allIn = r;
  });
  ch.onDatagram((d) => {
    if (formatAddr(d.remote) !== formatAddr(dst) || d.remotePort !== o.port || d.payload.length !== o.size) return;
    const seq = new DataView(d.payload.buffer, d.payload.byteOffset, d.payload.length).getUint32(4);
    const t = sentAt.get(seq);
    if (t === undefined || !equalBytes(d.payload, pingPayload(seq, o.size))) return;
    sentAt.delete(seq);
    const rtt = performance.now() - t;
    rtts.push(rtt);
    io.out(`${o.size} bytes from ${formatAddr(dst)}:${o.port}: seq=${seq} time=${rtt.toFixed(3)} ms\n`);
    if (rtts.length === o.count) allIn();
  });
  io.out(`UDP ECHO ${formatAddr(dst)}:${o.port} from port ${port}: ${o.size} data bytes\n`);
  let sent = 0;
  for (let seq = 0; seq < o.count && !io.interrupt?.aborted; seq++) {
    sentAt.set(seq, performance.now());
    ch.send(port, dst, o.port, pingPayload(seq, o.size));
    sent++;
    if (seq + 1 < o.count) await sleep(o.interval);
  }
  let timer: NodeJS.Timeout | undefined;
  await Promise.race([
    complete,
    new Promise<void>((r) => {
      timer = setTimeout(r, o.timeout);
    }),
  ]);
  clearTimeout(timer);
  ch.close();
  pingSummary(dst, sent, rtts, io, 'uipsec ping --udp');
  return rtts.length ? EXIT_OK : EXIT_FAIL;
}

function equalBytes(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}
