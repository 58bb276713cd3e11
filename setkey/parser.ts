// Recursive-descent parser for setkey(8) scripts (ipsec-tools parse.y, with the FreeBSD/NetBSD spellings).
//
//   script    := { statement }                       every statement ends with ';'
//   statement := (add|update) opts host host proto spi ext* algs ';'
//              | (get|delete) opts host host proto spi ext* ';'
//              | deleteall opts addr addr proto ';'
//              | (flush|dump) [proto] ';'
//              | (spdadd|spdupdate) ( tagged QUOTED | opts sel sel upper [misc] [ctx] ) -P POLICY ';'
//              | spddelete opts sel sel upper [misc] [ctx] -P POLICY ';'
//              | spdflush ';' | spddump ';' | (exit|quit|bye) ';'
//   opts      := { -[46n]+ }                         host := ADDR ['[' port ']']
//   sel       := ADDR ['/' DEC] ['[' port ']']       port := DEC | any | service-name
//   proto     := esp | esp-old | ah | ah-old | ipcomp | tcp | esp-udp [ADDR]
//   spi       := DEC | 0xHEX                         upper := any | DEC | protocol-name (icmp6, ip4, ...)
//   ext       := -m (transport|tunnel|any) | -r DEC | -u DEC | -f (zero-pad|random-pad|seq-pad|nocyclic-seq)
//              | (-lh|-ls|-bh|-bs) DEC | -ctx DEC DEC QUOTED
//              | -natt ADDR '[' port ']' ADDR '[' port ']' | -natt_mtu DEC | -esn | -hwif WORD   (FreeBSD)
//   algs      := -E ealg [key] [-A aalg [key]] | -A aalg [key] | -C calg [-R]
//   key       := 0xHEX | QUOTED                      misc := type[,code] (icmp/icmp6/mh) | key (gre)
//
// On an error the statement is dropped, the error recorded with its line, and parsing resumes after the
// next ';' so that one run reports every bad statement. The pieces: cursor.ts (tokens and diagnostics),
// parse-host.ts (opts, host, ports), parse-sa.ts (SA statements, algs, keys), parse-spd.ts (sel, upper, -P);
// POLICY is parsed by policy.ts.
import type * as A from './ast.js';
import { Cursor, Fail, type CursorOptions } from './cursor.js';
import type { SetkeyError } from './diagnostics.js';
import { tokenize } from './lexer.js';
import { deleteAll, saCommand, saProto } from './parse-sa.js';
import { spdCommand } from './parse-spd.js';
import { checkStatement } from './check.js';

export { hexKeyBytes } from './parse-sa.js';

export interface ParseOptions extends CursorOptions {
  /** Name used in messages; '' (the default) means stdin, reported as `line N`. */
  file?: string;
  /** Run the semantic checks of check.ts (default true). */
  check?: boolean;
  /** Line number of the first line of `src` (a piece of a larger script; default 1). */
  firstLine?: number;
}

export interface ParseResult {
  statements: A.Statement[];
  errors: SetkeyError[];
  warnings: SetkeyError[];
}

const EXIT_WORDS = new Set(['exit', 'quit', 'bye']);

/** One statement, by its first word. */
function statement(c: Cursor): A.Statement {
  const first = c.next();
  if (first.kind !== 'word') c.fail('syntax error: expected a command', first);
  const cmd = first.text;
  switch (cmd) {
    case 'add':
    case 'update':
    case 'get':
    case 'delete':
      return saCommand(c, first, cmd);
    case 'deleteall':
      return deleteAll(c, first);
    case 'flush':
    case 'dump': {
      const proto = c.peek().kind === 'word' ? saProto(c, false) : undefined;
      return { kind: cmd, proto, ...c.end(first) };
    }
    case 'spdadd':
    case 'spdupdate':
    case 'spddelete':
      return spdCommand(c, first, cmd);
    case 'spdflush':
    case 'spddump':
      return { kind: cmd, ...c.end(first) };
    default:
      if (EXIT_WORDS.has(cmd)) return { kind: 'exit', ...c.end(first) };
      c.fail('syntax error: unknown command', first);
  }
}

/** Parses a whole script. Never throws on bad input: every problem is in `errors` with its line. */
export function parseSetkey(src: string, opts: ParseOptions = {}): ParseResult {
  const file = opts.file ?? '';
  const p = new Cursor(tokenize(src, opts.firstLine), opts, file);
  const statements: A.Statement[] = [];
  const errors: SetkeyError[] = [];
  while (!p.atEnd()) {
    if (p.peek().kind === 'semi') {
      p.next();
      continue;
    } // an empty statement
    try {
      const st = statement(p);
      const problems = opts.check === false ? [] : checkStatement(st);
      for (const d of problems) (d.severity === 'warning' ? p.warnings : errors).push(d);
      if (!problems.some((d) => d.severity === 'error')) statements.push(st);
      if (st.kind === 'exit') break;
    } catch (e) {
      if (!(e instanceof Fail)) throw e;
      errors.push(e.err);
      p.resync(e.at, e.resumeAt);
    }
  }
  return { statements, errors, warnings: p.warnings };
}
