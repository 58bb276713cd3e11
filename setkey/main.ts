// The setkey command line (ipsec-tools setkey.c main: getopt "acdf:HlnvxDFPphVrk?"), with the world
// injected: output, files, stdin lines, clock and an optional PF_KEY requester. With -n nothing is sent,
// so `setkey -n -f file` and `setkey -n -c` check a script with no daemon running.
import { readFileSync } from 'node:fs';
import { createInterface } from 'node:readline';
import { pathToFileURL } from 'node:url';
import * as C from '../pfkey/constants.js';
import { makeSadbMsg, type PfkeyMessage } from '../pfkey/msg.js';
import { parseSetkey } from './parser.js';
import { StatementJoiner, parseJoined } from './stdin-joiner.js';
import { formatMessageFile, formatReplies, formatReply, type ReplyOptions } from './from-pfkey.js';
import { printShortHeader } from './print.js';
import type { SetkeyError } from './diagnostics.js';
import { statementToMessages } from './to-pfkey.js';
import type { Statement } from './ast.js';

export interface SetkeyIo {
  out(text: string): void;
  err(text: string): void;
  readFile(path: string): Uint8Array;
  stdinLines(): AsyncIterable<string>;
  nowSec(): number;
  pid: number;
  /** Sends one message and resolves with every reply (a dump ends with seq 0). Absent: no kernel. */
  request?: (m: PfkeyMessage) => Promise<PfkeyMessage[]>;
  /** Carries out one parsed statement and returns what to print; when absent, statements go through
   *  to-pfkey.ts and `request`. With neither, only -n works for scripts. */
  execute?: (st: Statement) => Promise<string>;
}

const USAGE = [
  'usage: setkey [-v] file ...',
  '       setkey [-nv] -c',
  '       setkey [-nv] -f filename',
  '       setkey [-Palpv] -D',
  '       setkey [-Pv] -F',
  '       setkey [-H] -x',
  '       setkey [-V] [-h]',
].join('\n') + '\n';

interface Flags {
  mode?: 'stdin' | 'script' | 'dump' | 'flush' | 'promisc';
  file?: string;
  all: boolean; forever: boolean; notReally: boolean; policy: boolean; withPorts: boolean; version: boolean;
  /** -r (Linux RFC mode): `in` policies also installed as `fwd`; -k turns it off (the default here). */
  fwdCopies: boolean;
  files: string[];
}

/** getopt over "acdf:HlnvxDFPphVrk?"; returns undefined on a bad option. */
export function parseArgs(argv: readonly string[]): Flags | undefined {
  const f: Flags = { all: false, forever: false, notReally: false, policy: false, withPorts: false, version: false, fwdCopies: false, files: [] };
  let i = 0;
  for (; i < argv.length; i++) {
    const a = argv[i]!;
    if (a === '--') { i++; break; }
    if (!a.startsWith('-') || a === '-') break;
    for (let k = 1; k < a.length; k++) {
      const c = a[k]!;
      switch (c) {
        case 'c': f.mode = 'stdin'; break;
        case 'f': {
          const arg = a.slice(k + 1) || argv[++i];
          if (arg === undefined) return undefined;
          f.mode = 'script'; f.file = arg; k = a.length; break;
        }
        case 'D': f.mode = 'dump'; break;
        case 'F': f.mode = 'flush'; break;
        case 'x': f.mode = 'promisc'; break;
        case 'a': f.all = true; break;
        case 'l': f.forever = true; break;
        case 'n': f.notReally = true; break;
        case 'P': f.policy = true; break;
        case 'p': f.withPorts = true; break;
        case 'V': f.version = true; break;
        case 'r': f.fwdCopies = true; break;
        case 'k': f.fwdCopies = false; break;
        case 'v': case 'H': case 'd': break; // accepted, no effect here
        default: return undefined;
      }
    }
  }
  f.files = argv.slice(i) as string[];
  return f;
}

function report(io: SetkeyIo, errors: readonly SetkeyError[], warnings: readonly SetkeyError[]): void {
  for (const w of warnings) io.err(`${w.message}\n`);
  for (const e of errors) io.err(`${e.message}\n`);
}

async function runScript(f: Flags, io: SetkeyIo): Promise<number> {
  let text: string;
  try {
    text = Buffer.from(io.readFile(f.file!)).toString('utf8');
  } catch (e) {
    io.err(`setkey: Can't open \`${f.file}': ${(e as Error).message}\n`);
    return 1;
  }
  const r = parseSetkey(text, { file: f.file === '-' ? '' : f.file });
  report(io, r.errors, r.warnings);
  if (r.errors.length > 0) return 1;
  return f.notReally ? 0 : execute(r.statements, io, f, f.file === '-' ? undefined : f.file);
}

async function runStdin(f: Flags, io: SetkeyIo): Promise<number> {
  const j = new StatementJoiner();
  let failed = false;
  for await (const line of io.stdinLines()) {
    for (const st of j.push(line)) {
      const r = parseJoined(st);
      report(io, r.errors, r.warnings);
      failed ||= r.errors.length > 0;
      if (!f.notReally && (await execute(r.statements, io, f)) !== 0) failed = true;
      if (r.statements.some((s) => s.kind === 'exit')) return failed ? 1 : 0;
    }
  }
  return failed ? 1 : 0;
}

async function execute(sts: readonly Statement[], io: SetkeyIo, f: Flags, script?: string): Promise<number> {
  const todo = sts.filter((s) => s.kind !== 'exit');
  if (todo.length === 0) return 0;
  if (!io.execute && !io.request) {
    io.err('setkey: no PF_KEY connection (use -n to check the syntax only)\n');
    return 1;
  }
  let status = 0;
  for (const st of todo) {
    if (io.execute) { io.out(await io.execute(st)); continue; }
    const t = statementToMessages(st, { pid: io.pid, fwdCopies: f.fwdCopies });
    if (!t.ok) {
      io.err(`${script ? `${script}:` : 'line '}${st.line}: ${t.reason}\n`);
      status = 1;
      continue;
    }
    for (const m of t.messages) {
      for (const reply of await io.request!(m)) {
        const text = formatReply(reply, { nowSec: io.nowSec() });
        // setkey.c postproc: in -f mode kernel errors go to stderr with the file and line.
        if (reply.msg.errno !== 0 && script) io.err(`setkey: ${script},${st.line}: ${text.replace(/\.\n$/, '\n')}`);
        else io.out(text);
      }
    }
  }
  return status;
}

async function runDump(f: Flags, io: SetkeyIo): Promise<number> {
  if (!io.request) {
    io.err('setkey: no PF_KEY connection\n');
    return 1;
  }
  const type = f.mode === 'dump' ? (f.policy ? C.SADB_X_SPDDUMP : C.SADB_DUMP) : (f.policy ? C.SADB_X_SPDFLUSH : C.SADB_FLUSH);
  const replies = await io.request({ msg: makeSadbMsg(type, C.SADB_SATYPE_UNSPEC, 0, io.pid), ext: {} });
  const o: ReplyOptions = { nowSec: io.nowSec(), all: f.all, withPorts: f.withPorts, short: f.forever };
  // -l: setkey prints the short header once, then re-dumps every second; we make one pass.
  if (f.forever && type === C.SADB_DUMP) io.out(printShortHeader());
  const text = formatReplies(replies, o);
  if (text) io.out(text);
  return 0;
}

/** Runs one setkey invocation; resolves with the exit status. */
export async function runSetkey(argv: readonly string[], io: SetkeyIo): Promise<number> {
  const f = parseArgs(argv);
  if (argv.length === 0 || !f) { io.out(`setkey @(#) uipsec\n${USAGE}`); return 1; }
  if (f.version) { io.out('setkey @(#) uipsec\n'); return 1; }
  if (f.files.length > 0) {
    for (const name of f.files) io.out(formatMessageFile(io.readFile(name), { nowSec: io.nowSec(), all: f.all, withPorts: f.withPorts }));
    return 0;
  }
  switch (f.mode) {
    case 'script': return runScript(f, io);
    case 'stdin': return runStdin(f, io);
    case 'dump': case 'flush': return runDump(f, io);
    default: io.out(`setkey @(#) uipsec\n${USAGE}`); return 1;
  }
}

/** The process-backed world (no PF_KEY connection yet: scripts need -n). */
export function processIo(): SetkeyIo {
  return {
    out: (t) => process.stdout.write(t),
    err: (t) => process.stderr.write(t),
    readFile: (p) => (p === '-' ? readFileSync(0) : readFileSync(p)),
    stdinLines: () => createInterface({ input: process.stdin, crlfDelay: Infinity }),
    nowSec: () => Math.floor(Date.now() / 1000),
    pid: process.pid,
  };
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  runSetkey(process.argv.slice(2), processIo()).then((code) => { process.exitCode = code; });
}
