// The world of the uipsec command line, injected so tests run commands in-process: output streams,
// files, environment, and an abort signal for commands that run until interrupted (listen).
import { readFileSync, writeFileSync } from 'node:fs';
import { exitQuietlyOnEpipe } from '../common/stdio.js';

export interface CliIo {
  out(s: string): void;
  err(s: string): void;
  readFile(path: string): Uint8Array;
  writeFile(path: string, data: Uint8Array | string): void;
  env: Record<string, string | undefined>;
  /** All of stdin (for `send --stdin`). */
  readStdin(): Promise<string>;
  /** Aborted on SIGINT/SIGTERM (the process) or by a test. */
  interrupt?: AbortSignal;
}

/** Exit statuses of every uipsec command (documented in docs/uipsec.md). */
export const EXIT_OK = 0;
/** Runtime failure: no daemon, unreadable or malformed input file, I/O error. */
export const EXIT_FAIL = 1;
/** Bad usage or a bad configuration (setkey file errors). */
export const EXIT_USAGE = 2;
/** Partial result: pcap packets dropped, listen stopped before --count. */
export const EXIT_PARTIAL = 3;

/** A closed pipe on stdout (`uipsec status | head`) ends the program quietly, as it does for C tools. */
export { exitQuietlyOnEpipe };

export function processCliIo(): CliIo {
  exitQuietlyOnEpipe();
  const ac = new AbortController();
  for (const sig of ['SIGINT', 'SIGTERM'] as const) process.once(sig, () => ac.abort());
  return {
    out: (s) => {
      process.stdout.write(s);
    },
    err: (s) => {
      process.stderr.write(s);
    },
    readFile: (p) => readFileSync(p),
    writeFile: (p, d) => writeFileSync(p, d),
    env: process.env,
    readStdin: async () => {
      const parts: Buffer[] = [];
      for await (const c of process.stdin) parts.push(c as Buffer);
      return Buffer.concat(parts).toString('utf8');
    },
    interrupt: ac.signal,
  };
}

/** The message of an error for a person: the errno code first when there is one. */
export function errorText(e: unknown): string {
  const x = e as NodeJS.ErrnoException;
  return x?.code && typeof x.message === 'string' && !x.message.includes(x.code)
    ? `${x.code}: ${x.message}`
    : (x?.message ?? String(e));
}
