// tshark on an interface of a network namespace for the namespace tests: start, stop (bounded), then count the
// frames matching display filters in the capture file. Used to show what an IPsec peer puts on the wire
// (only IKE and ESP, never the protected traffic in clear).
import { spawnSync } from 'node:child_process';
import { NsProc } from '../os/netns.js';
import { onExitCleanup } from './interop-net.js';

/** Why tshark cannot be used here, or undefined. */
export function tsharkSkipReason(): string | undefined {
  return spawnSync('tshark', ['--version']).error ? 'tshark not installed' : undefined;
}

/** A running (then finished) capture to a pcapng file. */
export class Capture {
  private readonly forget: () => void;

  private constructor(
    readonly file: string,
    readonly proc: NsProc,
  ) {
    this.forget = onExitCleanup(() => proc.child.kill('SIGKILL'));
  }

  /**
   * Starts `tshark -i IFACE -s SNAPLEN [-f CAPTURE_FILTER] -w FILE` in `ns` and waits (bounded) until it
   * captures. The default snap length (160 bytes) keeps every header an assertion looks at (IP, UDP, the ESP
   * SPI/sequence, the ISAKMP header, TCP) while an iperf3 run stays a small file that reads back fast.
   */
  static async start(
    ns: string,
    iface: string,
    file: string,
    captureFilter?: string,
    ms = 30_000,
    snaplen = 160,
  ): Promise<Capture> {
    const args = ['tshark', '-n', '-i', iface, '-s', String(snaplen)];
    args.push(...(captureFilter ? ['-f', captureFilter] : []), '-w', file);
    const c = new Capture(file, new NsProc(`tshark ${iface}`, ns, args));
    await c.proc.waitFor(/Capturing on/, ms);
    // tshark prints "Capturing on" when dumpcap has opened the interface; the first frames after it were seen
    // missing under load (a quick mode's first two messages), so give the capture a moment to run.
    await new Promise((r) => setTimeout(r, 300));
    return c;
  }

  /** SIGINT after a short grace (the last packets reach the file), then the exit (bounded). */
  async stop(graceMs = 300): Promise<void> {
    await new Promise((r) => setTimeout(r, graceMs));
    await this.proc.stop('SIGINT', 15_000);
    this.forget();
  }

  /** Frames matching a display filter (-1 when tshark fails, e.g. a bad filter). One tshark pass each. */
  count(displayFilter: string): number {
    return countFrames(this.file, displayFilter);
  }

  /**
   * Every frame's protocol stack and addresses, in one tshark pass (reading a capture is what costs: count
   * several things from this rather than calling count() several times). Throws when tshark fails.
   */
  frames(): CapturedFrame[] {
    const fields = ['frame.protocols', 'ip.src', 'ip.dst', 'udp.srcport', 'udp.dstport'];
    const r = spawnSync('tshark', ['-n', '-r', this.file, '-T', 'fields', ...fields.flatMap((f) => ['-e', f])], {
      encoding: 'utf8',
      timeout: 120_000,
      maxBuffer: 256 << 20,
    });
    if (r.status !== 0) throw new Error(`tshark -r ${this.file}: ${r.stderr}`);
    return r.stdout
      .split('\n')
      .filter(Boolean)
      .map((line) => {
        const [protos = '', src = '', dst = '', sport = '', dport = ''] = line.split('\t');
        const num = (v: string) => (v ? Number(v.split(',')[0]) : undefined);
        return { protocols: protos.split(':'), src, dst, sport: num(sport), dport: num(dport) };
      });
  }
}

/** One frame of Capture.frames(): `protocols` as tshark dissected them (`eth ethertype ip udp esp`). */
export interface CapturedFrame {
  protocols: string[];
  /** Outer IPv4 addresses ('' when not IPv4). */
  src: string;
  dst: string;
  /** Outer UDP ports (undefined when not UDP). */
  sport?: number;
  dport?: number;
}

/** Frames in a capture file that match a display filter (-1 when tshark fails). */
export function countFrames(file: string, displayFilter: string): number {
  const r = spawnSync('tshark', ['-n', '-r', file, '-Y', displayFilter, '-T', 'fields', '-e', 'frame.number'], {
    encoding: 'utf8',
    timeout: 120_000,
    maxBuffer: 256 << 20,
  });
  return r.status === 0 ? r.stdout.split('\n').filter(Boolean).length : -1;
}
