// The token cursor of the setkey parser: reading tokens, and the diagnostics of a statement (an error that drops
// it, a warning that does not), each with its file and line as ipsec-tools' yyerror gives them. A failure
// throws Fail inside the parser only; parseSetkey records it and resumes after the next ';'.
import type { Family } from '../common/inet.js';
import { NEAR_KEY, diagnostic, type SetkeyError } from './diagnostics.js';
import type { Token } from './lexer.js';

/** What the statement parsers need beyond the tokens. */
export interface CursorOptions {
  /** Resolves a host name (no `-n`); without it only numeric addresses are accepted. */
  resolveHost?: (name: string, family?: Family) => Uint8Array[];
}

/** Thrown inside the parser only (not an Error: no stack to capture); `at` is where to resynchronise. */
export class Fail {
  constructor(
    readonly err: SetkeyError,
    readonly at: Token,
    /** Resume at `at` itself (the next statement's first word) instead of after the next ';'. */
    readonly resumeAt = false,
  ) {}
}

/** The words that begin a statement: after one of them on a new line, a missing ';' is the likely mistake. */
export const COMMAND_WORDS = new Set([
  'add',
  'update',
  'get',
  'delete',
  'deleteall',
  'flush',
  'dump',
  'spdadd',
  'spdupdate',
  'spddelete',
  'spdflush',
  'spddump',
  'exit',
  'quit',
  'bye',
]);

/** What a diagnostic shows of token `t`: quoted strings with their quotes, so that they are never shown. */
function nearText(t: Token): string {
  if (t.kind === 'eof') return 'end of input';
  if (t.kind === 'policy') return t.text.trim();
  return t.kind === 'quoted' ? `"${t.text}"` : t.text;
}

export class Cursor {
  private i = 0;
  readonly warnings: SetkeyError[] = [];

  constructor(
    private readonly toks: Token[],
    readonly opts: CursorOptions,
    readonly file: string,
  ) {}

  peek(k = 0): Token {
    return this.toks[Math.min(this.i + k, this.toks.length - 1)]!;
  }
  next(): Token {
    const t = this.peek();
    if (t.kind !== 'eof') this.i++;
    return t;
  }
  atEnd(): boolean {
    return this.peek().kind === 'eof';
  }
  /** The token read last. */
  tokenBefore(): Token | undefined {
    return this.toks[this.i - 1];
  }

  /** `inKeyPosition`: the token stands where a key goes, so it is never shown (issue 11 item 11). */
  err(reason: string, t: Token | undefined = this.peek(), inKeyPosition = false): SetkeyError {
    const at = t ?? this.peek();
    return diagnostic(reason, this.file, at.line, at.col, inKeyPosition ? NEAR_KEY : nearText(at));
  }

  fail(reason: string, t?: Token, inKeyPosition = false): never {
    throw new Fail(this.err(reason, t, inKeyPosition), t ?? this.peek());
  }

  warn(reason: string, t: Token): void {
    this.warnings.push(diagnostic(reason, this.file, t.line, t.col, nearText(t), 'warning'));
  }

  /** Continues just after the first ';' at or after token `at` (or at the end), or at `at` itself. */
  resync(at: Token, resumeAt = false): void {
    this.i = at.index;
    if (resumeAt) return;
    while (!this.atEnd()) if (this.next().kind === 'semi') return;
  }

  word(what: string): Token {
    const t = this.next();
    if (t.kind !== 'word') this.fail(`syntax error: expected ${what}`, t);
    return t;
  }

  end(first: Token): { file: string; line: number; endLine: number } {
    const t = this.next();
    if (t.kind !== 'semi') {
      // The statement is complete and the next command (or the end) follows on a later line: the ';' was
      // forgotten. Say so where it belongs, and parse that next statement normally.
      const last = this.toks[t.index - 1];
      const nextStatement = t.kind === 'eof' || (t.kind === 'word' && COMMAND_WORDS.has(t.text));
      if (last && last.endLine < t.line && nextStatement) {
        const err = diagnostic("missing ';' at the end of the statement", this.file, last.endLine, last.col, last.text);
        throw new Fail(err, t, true);
      }
      this.fail(t.kind === 'eof' ? "missing ';' at end of statement" : "syntax error: expected ';'", t);
    }
    return { file: this.file, line: first.line, endLine: t.line };
  }

  decimal(what: string, max = Number.MAX_SAFE_INTEGER): number {
    const t = this.next();
    if (t.kind !== 'word' || !/^\d+$/.test(t.text)) this.fail(`${what}: a decimal number is required`, t);
    const v = t.text.length > 17 ? Infinity : Number(t.text);
    if (!(v <= max)) this.fail(`${what} out of range (at most ${max})`, t);
    return v;
  }

  quoted(what: string): Token {
    const t = this.next();
    if (t.kind !== 'quoted') this.fail(`syntax error: expected ${what} in double quotes`, t);
    return t;
  }
}
