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
   * Starts `tshark -i IFACE [-f CAPTURE_FILTER] -w FILE` in `ns` and waits (bounded) until it captures.
   * Keep the capture filter narrow (`ip`, `host X`) and the run short: a busy veth makes big files.
   */
  static async start(ns: string, iface: string, file: string, captureFilter?: string, ms = 30_000): Promise<Capture> {
    const args = ['tshark', '-n', '-i', iface, ...(captureFilter ? ['-f', captureFilter] : []), '-w', file];
    const c = new Capture(file, new NsProc(`tshark ${iface}`, ns, args));
    await c.proc.waitFor(/Capturing on/, ms);
    return c;
  }

  /** SIGINT after a short grace (the last packets reach the file), then the exit (bounded). */
  async stop(graceMs = 300): Promise<void> {
    await new Promise((r) => setTimeout(r, graceMs));
    await this.proc.stop('SIGINT', 15_000);
    this.forget();
  }

  /** Frames matching a display filter (-1 when tshark fails, e.g. a bad filter). */
  count(displayFilter: string): number {
    return countFrames(this.file, displayFilter);
  }
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
