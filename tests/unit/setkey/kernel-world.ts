// Test support: setkey's injected world joined to a real uipsec kernel (a Host with its PF_KEY keysock) over
// the in-process transport, as uipsecd would serve it; output captured, clock fixed.
import { ManualClock } from '../../../common/clock.js';
import { SeededRng } from '../../../common/rng.js';
import { Host } from '../../../kernel/host/host.js';
import { KeySock } from '../../../kernel/keysock/keysock.js';
import { InprocTransport } from '../../../pfkey/transport-inproc.js';
import { runSetkey, type SetkeyIo } from '../../../setkey/main.js';

/** 2024-01-05 13:01:09 UTC, the time the golden files print as `current:`. */
export const NOW_MS = 1_704_459_669_000;

export interface KernelWorld {
  host: Host;
  keysock: KeySock;
  clock: ManualClock;
  /** Runs setkey with these args; stdin lines and files as given. */
  run(
    args: string[],
    opts?: { stdin?: string[]; files?: Record<string, string | Uint8Array>; extra?: Partial<SetkeyIo> },
  ): Promise<{ code: number; out: string; err: string }>;
}

export function kernelWorld(seed = 'setkey'): KernelWorld {
  const clock = new ManualClock(NOW_MS);
  const host = new Host({ name: 'a', clock, rng: new SeededRng(seed) });
  const keysock = new KeySock(host);
  const run: KernelWorld['run'] = async (args, opts = {}) => {
    const out: string[] = [],
      err: string[] = [];
    const io: SetkeyIo = {
      out: (t) => {
        out.push(t);
      },
      err: (t) => {
        err.push(t);
      },
      readFile: (p) => {
        const f = opts.files?.[p];
        if (f === undefined) throw new Error('No such file or directory');
        return typeof f === 'string' ? new Uint8Array(Buffer.from(f)) : f;
      },
      stdinLines: async function* () {
        yield* opts.stdin ?? [];
      },
      nowSec: () => Math.floor(clock.now() / 1000),
      nowMs: () => clock.now(),
      pid: 4242,
      connect: async () => new InprocTransport(keysock),
      ...opts.extra,
    };
    const code = await runSetkey(args, io);
    return { code, out: out.join(''), err: err.join('') };
  };
  return { host, keysock, clock, run };
}
