// What a setkey run sees of the world (setkey/main.ts): output, files, stdin, clock, and the PF_KEY
// connection — injected, so tests and embeddings run setkey without a process or a daemon.
import type { PfkeyTransport } from '../pfkey/client.js';
import type { PfkeyMessage } from '../pfkey/msg.js';
import type { Statement } from './ast.js';

export interface SetkeyIo {
  out(text: string): void;
  err(text: string): void;
  readFile(path: string): Uint8Array;
  stdinLines(): AsyncIterable<string>;
  nowSec(): number;
  pid: number;
  /** Opens the PF_KEY socket of uipsecd at `path` (rejects when none is listening). */
  connect?: (path: string) => Promise<PfkeyTransport>;
  /** Environment for UIPSEC_PFKEY_SOCKET (default: none). */
  env?: Record<string, string | undefined>;
  /** Sends one message and resolves with every reply (a dump ends with seq 0). Used when `connect` is absent. */
  request?: (m: PfkeyMessage) => Promise<PfkeyMessage[]>;
  /** Carries out one parsed statement and returns what to print (an embedding without PF_KEY). */
  execute?: (st: Statement) => Promise<string>;
  /** The -l pause between dumps (default: a 1 s timer). */
  sleep?: (ms: number) => Promise<void>;
  /** Ends -x and -l (SIGINT for the process). */
  interrupt?: () => AbortSignal;
  /** Milliseconds since the epoch for -x time stamps (default nowSec() * 1000). */
  nowMs?: () => number;
  /** Local time offset from UTC for printed times (default 0). */
  utcOffsetSec?: number;
}
