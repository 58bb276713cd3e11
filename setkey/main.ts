// The setkey command (ipsec-tools setkey.c main) with the world injected: output, files, stdin lines, clock,
// and the PF_KEY connection (`connect` to uipsecd's Unix socket, or a bare `request` hook in tests). With -n
// nothing is sent, so `setkey -n -f file` and `setkey -n -c` check a script with no daemon running.
import { pathToFileURL } from 'node:url';
import { UnixTransport } from '../pfkey/transport-unix.js';
import { parseSetkey } from './parser.js';
import { StatementJoiner, parseJoined } from './stdin-joiner.js';
import { INPUT_LIMITS, InputLimitError, boundedLines, checkPendingStatement } from './stdin-lines.js';
import { formatMessageFile, type ReplyOptions } from './from-pfkey.js';
import type { SetkeyError } from './diagnostics.js';
import { statementToMessages } from './to-pfkey.js';
import type { Statement } from './ast.js';
import { HELP, USAGE, parseArgs, type Flags } from './options.js';
import { PIPELINE_WINDOW, Pipeline } from './pipeline.js';
import { WriteBatchTransport } from './write-batch.js';
import { splitScript } from './lexer.js';
import { exitAfterFlush, exitQuietlyOnEpipe } from '../common/stdio.js';
import { FileReadError, SCRIPT_FILE_MAX_BYTES, readBoundedFile } from '../common/bounded-file.js';
import { versionLine } from '../common/version.js';
import type { SetkeyIo } from './io.js';
import { withLink, type Link } from './link.js';
import { runDump, runMonitor } from './dump-run.js';

export { parseArgs } from './options.js';
export { exitAfterFlush } from '../common/stdio.js';
export { formatPromisc, promiscStamp } from './monitor.js';

export type { SetkeyIo } from './io.js';
export { PIPELINE_WINDOW } from './pipeline.js';

const VERSION = versionLine('setkey');

function report(io: SetkeyIo, errors: readonly SetkeyError[], warnings: readonly SetkeyError[]): void {
  for (const w of warnings) io.err(`${w.message}\n`);
  for (const e of errors) io.err(`${e.message}\n`);
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
