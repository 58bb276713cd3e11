// The setkey command (ipsec-tools setkey.c main) with the world injected: output, files, stdin lines, clock,
// and the PF_KEY connection (`connect` to uipsecd's Unix socket, or a bare `request` hook in tests). With -n
// nothing is sent, so `setkey -n -f file` and `setkey -n -c` check a script with no daemon running.
import { pathToFileURL } from 'node:url';
import * as C from '../pfkey/constants.js';
import type { PfkeyTransport } from '../pfkey/client.js';
import { encodeMessage, makeSadbMsg, type PfkeyMessage } from '../pfkey/msg.js';
import { UnixTransport, defaultSocketPath } from '../pfkey/transport-unix.js';
import { parseSetkey } from './parser.js';
import { StatementJoiner, parseJoined } from './stdin-joiner.js';
import { INPUT_LIMITS, InputLimitError, boundedLines, checkPendingStatement } from './stdin-lines.js';
import {
  formatMessageFile,
  formatReply,
  policyViewFromMessage,
  saViewFromMessage,
  type ReplyOptions,
} from './from-pfkey.js';
import { printShortHeader } from './print.js';
import type { SetkeyError } from './diagnostics.js';
import { statementToMessages } from './to-pfkey.js';
import type { Statement } from './ast.js';
import { HELP, USAGE, parseArgs, type Flags } from './options.js';
import { SetkeySession, runPromisc, type PfkeyTracer } from './session.js';
import { hexLines, kdebugSadb } from './kdebug.js';
import { formatPromisc } from './monitor.js';
import { PIPELINE_WINDOW, Pipeline, isEmptyDump } from './pipeline.js';
import { WriteBatchTransport } from './write-batch.js';
import { splitScript } from './lexer.js';
import { policyToJson, saToJson } from './json.js';
import { exitAfterFlush, exitQuietlyOnEpipe } from '../common/stdio.js';
import { SocketPathError } from '../common/socket-path.js';
import { FileReadError, SCRIPT_FILE_MAX_BYTES, readBoundedFile } from '../common/bounded-file.js';
import { versionLine } from '../common/version.js';

export { parseArgs } from './options.js';
export { exitAfterFlush } from '../common/stdio.js';
export { formatPromisc, promiscStamp } from './monitor.js';

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

export { PIPELINE_WINDOW } from './pipeline.js';

const VERSION = versionLine('setkey');

/** An open PF_KEY connection as main uses it. */
interface Link {
  request(m: PfkeyMessage): Promise<PfkeyMessage[]>;
  close(): void;
}

function report(io: SetkeyIo, errors: readonly SetkeyError[], warnings: readonly SetkeyError[]): void {
  for (const w of warnings) io.err(`${w.message}\n`);
  for (const e of errors) io.err(`${e.message}\n`);
}

/** -v and -H output for one message (setkey.c sendkeymsg / kdebug_sadb). */
function tracer(f: Flags, io: SetkeyIo): PfkeyTracer | undefined {
  if (!f.verbose && !f.hex) return undefined;
  return (dir, raw) => {
    if (f.verbose) io.out(`${kdebugSadb(raw)}\n`);
    if (f.hex && dir === 'send') io.out(hexLines(raw));
  };
}

function socketPath(f: Flags, io: SetkeyIo): string {
  return f.socket ?? defaultSocketPath(io.env ?? {});
}

function noDaemon(io: SetkeyIo, path: string, e: unknown): void {
  if (e instanceof SocketPathError) {
    io.err(`setkey: ${e.message}; nothing was sent\n`);
    return;
  }
  const why = (e as NodeJS.ErrnoException)?.code ?? (e as Error)?.message ?? String(e);
  io.err(
    `setkey: no uipsecd is listening on ${path} (${why}).\n` +
      `Start one with \`uipsecd --socket ${path}\` (see \`uipsecd --help\`), or pass --socket PATH / set UIPSEC_PFKEY_SOCKET.\n`,
  );
}

/** Connects as the flags say; undefined (after printing why) when there is no kernel to talk to. */
async function openLink(f: Flags, io: SetkeyIo): Promise<Link | undefined> {
  const trace = tracer(f, io);
  if (io.connect) {
    const path = socketPath(f, io);
    let t: PfkeyTransport;
    try {
      t = await io.connect(path);
    } catch (e) {
      noDaemon(io, path, e);
      return undefined;
    }
    const s = new SetkeySession(t, { pid: io.pid, tracer: trace });
    return { request: (m) => s.request(m), close: () => s.close() };
  }
  const req = io.request;
  if (!req) return undefined;
  if (!trace) return { request: req, close() {} };
  return {
    async request(m) {
      trace('send', encodeMessage(m));
      const rs = await req(m);
      for (const r of rs) trace('recv', encodeMessage(r));
      return rs;
    },
    close() {},
  };
}

async function runScript(f: Flags, io: SetkeyIo): Promise<number> {
  let text: string;
  try {
    text = Buffer.from(io.readFile(f.file!)).toString('utf8');
  } catch (e) {
    const why = e instanceof FileReadError ? e.reason : (e as Error).message;
    // A limit passed while reading (EFBIG) is not an open failure: say which input and which limit.
    if (e instanceof FileReadError && e.code === 'EFBIG')
      io.err(`setkey: ${f.file === '-' ? 'stdin' : f.file}: ${why}\n`);
    else io.err(`setkey: Can't open \`${f.file}': ${why}\n`);
    return 1;
  }
  const where = f.file === '-' ? '' : f.file;
  const r = parseScript(text, where ?? '');
  report(io, r.errors, r.warnings);
  if (r.errors.length > 0) return 1;
  if (f.notReally) return 0;
  return withLink(f, io, async (link) => {
    const pipe = newPipeline(io, f, where);
    await execute(r.statements, io, f, link, pipe);
    await pipe.drain();
    return pipe.status;
  });
}

/** Statements parsed per piece of a big script (keeps only one piece's tokens alive at a time). */
const PARSE_PIECE = 2000;

/** The whole script parsed piece by piece; stops after `exit`, as parseSetkey does. */
function parseScript(text: string, file: string): ReturnType<typeof parseSetkey> {
  const all: ReturnType<typeof parseSetkey> = { statements: [], errors: [], warnings: [] };
  for (const piece of splitScript(text, PARSE_PIECE)) {
    const r = parseSetkey(piece.text, { file, firstLine: piece.firstLine });
    for (const x of r.statements) all.statements.push(x);
    for (const x of r.errors) all.errors.push(x);
    for (const x of r.warnings) all.warnings.push(x);
    if (r.statements.some((x) => x.kind === 'exit')) break;
  }
  return all;
}

async function runStdin(f: Flags, io: SetkeyIo): Promise<number> {
  if (f.notReally || io.execute) return stdinLoop(f, io, undefined);
  return withLink(f, io, (link) => stdinLoop(f, io, link));
}

async function stdinLoop(f: Flags, io: SetkeyIo, link: Link | undefined): Promise<number> {
  const j = new StatementJoiner();
  const pipe = link ? newPipeline(io, f) : undefined;
  let failed = false;
  try {
    input: for await (const line of io.stdinLines()) {
      for (const st of j.push(line)) {
        const r = parseJoined(st);
        report(io, r.errors, r.warnings);
        failed ||= r.errors.length > 0;
        if (!f.notReally) await execute(r.statements, io, f, link, pipe);
        if (r.statements.some((s) => s.kind === 'exit')) break input;
      }
      checkPendingStatement(j.pending().length, j.lines());
    }
  } catch (e) {
    if (!(e instanceof InputLimitError)) throw e;
    io.err(`setkey: stdin: ${e.message}\n`);
    failed = true;
  }
  await pipe?.drain();
  return failed || pipe?.status ? 1 : 0;
}

/** Runs `fn` over a connection (closed afterwards); 1 when there is none. */
async function withLink(f: Flags, io: SetkeyIo, fn: (link: Link | undefined) => Promise<number>): Promise<number> {
  if (io.execute) return fn(undefined);
  const link = await openLink(f, io);
  if (!link) {
    if (!io.connect) io.err('setkey: no PF_KEY connection (use -n to check the syntax only)\n');
    return 1;
  }
  try {
    return await fn(link);
  } finally {
    link.close();
  }
}

/**
 * Sends the statements in order through `pipe` (requests in flight up to PIPELINE_WINDOW; replies printed in
 * statement order as they arrive). dump/spddump wait for everything before them, and are waited for.
 */
async function execute(
  sts: readonly Statement[],
  io: SetkeyIo,
  f: Flags,
  link: Link | undefined,
  pipe: Pipeline | undefined,
): Promise<void> {
  const todo = sts.filter((s) => s.kind !== 'exit');
  if (io.execute) {
    for (const st of todo) io.out(await io.execute(st));
    return;
  }
  if (!link || !pipe) return;
  for (const st of todo) {
    if (pipe.lost) return;
    const t = statementToMessages(st, { pid: io.pid, fwdCopies: f.fwdCopies });
    if (!t.ok) {
      pipe.fail(st, t.reason);
      continue;
    }
    const barrier = st.kind === 'dump' || st.kind === 'spddump';
    if (barrier) await pipe.drain();
    for (const m of t.messages) {
      pipe.push(st, link.request(m));
      // Refill in bursts from half the window: one write per burst, not one per reply.
      if (pipe.inFlight >= PIPELINE_WINDOW) await pipe.waitBelow(PIPELINE_WINDOW / 2);
    }
    if (barrier) await pipe.drain();
  }
}

function newPipeline(io: SetkeyIo, f: Flags, script?: string): Pipeline {
  const o: ReplyOptions = { nowSec: io.nowSec(), all: f.all, withPorts: f.withPorts, utcOffsetSec: io.utcOffsetSec };
  return new Pipeline(io, o, (st) => (script ? `${script}:${st.line}` : `line ${st.line}`));
}

function dumpJson(
  replies: readonly PfkeyMessage[],
  policy: boolean,
  all: boolean,
): { json: string } | { error: string } {
  const items: Record<string, unknown>[] = [];
  for (const r of replies) {
    if (r.msg.errno !== 0) {
      if (isEmptyDump(r)) continue;
      return { error: formatReply(r, { nowSec: 0 }) };
    }
    const v = policy ? policyViewFromMessage(r) : saViewFromMessage(r);
    if (typeof v === 'string') return { error: `${v}\n` };
    if (!policy && !all && 'state' in v && v.state === C.SADB_SASTATE_DEAD) continue;
    items.push(
      policy
        ? policyToJson(v as Parameters<typeof policyToJson>[0])
        : saToJson(v as Parameters<typeof saToJson>[0], { keys: true }),
    );
  }
  return { json: `${JSON.stringify(items, null, 2)}\n` };
}

/** -D, -DP (-l: again every second until interrupted), -F, -FP. */
async function runDump(f: Flags, io: SetkeyIo): Promise<number> {
  return withLink(f, io, async (link) => {
    const dump = f.mode === 'dump';
    const type = dump ? (f.policy ? C.SADB_X_SPDDUMP : C.SADB_DUMP) : f.policy ? C.SADB_X_SPDFLUSH : C.SADB_FLUSH;
    const forever = dump && f.forever && !f.json;
    // -l runs until interrupted; a world that cannot interrupt (no `interrupt`) gets one pass.
    const signal = forever ? io.interrupt?.() : undefined;
    if (forever && type === C.SADB_DUMP) io.out(printShortHeader());
    for (;;) {
      let replies: PfkeyMessage[];
      try {
        replies = await link!.request({ msg: makeSadbMsg(type, C.SADB_SATYPE_UNSPEC, 0, io.pid), ext: {} });
      } catch (e) {
        io.err(`setkey: PF_KEY connection lost: ${(e as Error).message}\n`);
        return 1;
      }
      if (dump && f.json) {
        const j = dumpJson(replies, f.policy, f.all);
        if ('error' in j) {
          io.err(j.error);
          return 1;
        }
        io.out(j.json);
        return 0;
      }
      const o: ReplyOptions = {
        nowSec: io.nowSec(),
        all: f.all,
        withPorts: f.withPorts,
        short: forever,
        utcOffsetSec: io.utcOffsetSec,
      };
      let failed = false;
      for (const r of replies) {
        const text = formatReply(r, o);
        if (r.msg.errno !== 0 && !isEmptyDump(r)) {
          io.err(text);
          failed = true;
        } else if (text) io.out(text);
      }
      if (!forever || !signal || signal.aborted) return failed ? 1 : 0;
      await (io.sleep ?? sleepMs)(1000);
      if (signal?.aborted) return failed ? 1 : 0;
    }
  });
}

function sleepMs(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}

async function runMonitor(f: Flags, io: SetkeyIo): Promise<number> {
  if (!io.connect) {
    io.err('setkey: -x needs a PF_KEY socket\n');
    return 1;
  }
  const path = socketPath(f, io);
  let t: PfkeyTransport;
  try {
    t = await io.connect(path);
  } catch (e) {
    noDaemon(io, path, e);
    return 1;
  }
  const now = io.nowMs ?? (() => io.nowSec() * 1000);
  const err = await runPromisc(
    t,
    io.pid,
    (raw) => io.out(formatPromisc(raw, now(), f, io.utcOffsetSec)),
    io.interrupt?.(),
  );
  if (err) {
    io.err(`setkey: PF_KEY socket closed: ${err.message}\n`);
    return 1;
  }
  return 0;
}

/** Runs one setkey invocation; resolves with the exit status. */
export async function runSetkey(argv: readonly string[], io: SetkeyIo): Promise<number> {
  const f = parseArgs(argv);
  if (f?.help) {
    io.out(HELP);
    return 0;
  }
  if (argv.length === 0 || !f) {
    io.out(`${VERSION}${USAGE}`);
    return 1;
  }
  if (f.version) {
    io.out(VERSION);
    return 0;
  }
  if (f.files.length > 0) {
    for (const name of f.files) {
      let bytes: Uint8Array;
      try {
        bytes = io.readFile(name);
      } catch (e) {
        io.err(`setkey: ${name}: ${(e as Error).message}\n`);
        return 1;
      }
      io.out(
        formatMessageFile(bytes, {
          nowSec: io.nowSec(),
          all: f.all,
          withPorts: f.withPorts,
          utcOffsetSec: io.utcOffsetSec,
        }),
      );
    }
    return 0;
  }
  switch (f.mode) {
    case 'script':
      return runScript(f, io);
    case 'stdin':
      return runStdin(f, io);
    case 'dump':
    case 'flush':
      return runDump(f, io);
    case 'promisc':
      return runMonitor(f, io);
    default:
      io.out(`${VERSION}${USAGE}`);
      return 1;
  }
}

/** The process-backed world: real stdout/stderr, files, stdin, clock, SIGINT, and uipsecd's Unix socket. */
export function processIo(): SetkeyIo {
  exitQuietlyOnEpipe();
  return {
    out: (t) => {
      process.stdout.write(t);
    },
    err: (t) => {
      process.stderr.write(t);
    },
    // A script may be a pipe or /dev/stdin, so it is capped rather than refused (issue 11 item 13).
    readFile: (p) =>
      readBoundedFile(p, {
        maxBytes: SCRIPT_FILE_MAX_BYTES,
        maxLineBytes: INPUT_LIMITS.maxLineBytes,
        regularOnly: false,
      }),
    // -c: the same bounds, per line and in all, on a stream (issue 11).
    stdinLines: () => boundedLines(process.stdin, INPUT_LIMITS),
    nowSec: () => Math.floor(Date.now() / 1000),
    nowMs: () => Date.now(),
    pid: process.pid,
    env: process.env,
    connect: async (path) => new WriteBatchTransport(await UnixTransport.connect(path)),
    interrupt: () => {
      const ac = new AbortController();
      for (const sig of ['SIGINT', 'SIGTERM'] as const) process.once(sig, () => ac.abort());
      return ac.signal;
    },
    utcOffsetSec: -new Date().getTimezoneOffset() * 60,
  };
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  void runSetkey(process.argv.slice(2), processIo()).then(exitAfterFlush);
}
