// Running the real setkey program (setkey/main.ts runSetkey) against an in-process kernel: its PF_KEY
// connection is an in-process socket on the kernel's KeySock, its files come from a map, its stdin from
// a string. This is how the demo and `uipsec pcap` load setkey text: the same parser, checks and PF_KEY
// messages as `setkey -f` against uipsecd.
import type { KeySock } from '../kernel/keysock/keysock.js';
import { InprocTransport } from '../pfkey/transport-inproc.js';
import { runSetkey, type SetkeyIo } from '../setkey/main.js';

/** What one setkey run printed and returned. */
export interface SetkeyRun {
  code: number;
  out: string;
  err: string;
}

export interface InprocSetkeyOptions {
  /** Files setkey may open (`-f NAME`). */
  files?: Record<string, string | Uint8Array>;
  /** Text for `-c`. */
  stdin?: string;
  /** Wall clock in ms for printed times (default Date.now). */
  nowMs?: () => number;
  pid?: number;
}

/** Runs `setkey ARGV` with PF_KEY going to `keysock` in this process. */
export async function runSetkeyInproc(
  keysock: KeySock,
  argv: readonly string[],
  o: InprocSetkeyOptions = {},
): Promise<SetkeyRun> {
  let out = '',
    err = '';
  const files = o.files ?? {};
  const nowMs = o.nowMs ?? Date.now;
  const io: SetkeyIo = {
    out: (t) => {
      out += t;
    },
    err: (t) => {
      err += t;
    },
    readFile: (p) => {
      if (!Object.hasOwn(files, p)) throw new Error(`no such file ${p}`);
      const f = files[p]!;
      return typeof f === 'string' ? new TextEncoder().encode(f) : f;
    },
    stdinLines: async function* () {
      for (const l of (o.stdin ?? '').split('\n')) yield l;
    },
    nowSec: () => Math.floor(nowMs() / 1000),
    pid: o.pid ?? 4242,
    connect: async () => new InprocTransport(keysock),
  };
  const code = await runSetkey(argv, io);
  return { code, out, err };
}
