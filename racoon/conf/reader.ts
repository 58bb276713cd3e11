// The token cursor shared by the racoon.conf section parsers: typed value readers (numbers, units, on/off),
// error collection with file:line:col, and resynchronisation at `;` or `}` so one run reports every error.
import type { ConfigError } from '../../common/errors.js';
import { configError } from './diagnostic.js';
import { mayBeKeyMaterial } from '../../common/redact.js';
import { isKeyword } from './keywords.js';
import type { Token } from './lexer.js';
import type { DirectiveUse, Pos } from './ast.js';
import { FOREIGN } from './support.js';

/**
 * Thrown inside a statement; caught by `statement()`, recorded as a ConfigError, and followed by a resync.
 * A control-flow signal rather than an Error, so no stack trace is captured for each bad line.
 */
export class StatementError {
  constructor(
    readonly tok: Token,
    readonly message: string,
  ) {}
}

const TIME_UNITS: Readonly<Record<string, number>> = {
  sec: 1,
  secs: 1,
  second: 1,
  seconds: 1,
  min: 60,
  mins: 60,
  minute: 60,
  minutes: 60,
  hour: 3600,
  hours: 3600,
};
const BYTE_UNITS: Readonly<Record<string, number>> = {
  b: 1,
  byte: 1,
  bytes: 1,
  kb: 1024,
  mb: 1024 ** 2,
  gb: 1024 ** 3,
  // cftoken.l's TB unit is 1024^3 (cfparse.y unittype_byte), an ipsec-tools slip kept for compatibility.
  tb: 1024 ** 3,
};

/** One statement's parser: gets the cursor, the keyword token and the section being filled. */
export type Handler<C = void> = (r: TokenReader, kw: Token, ctx: C) => void;

export function posOf(t: Token): Pos {
  return { file: t.file, line: t.line, col: t.col };
}

/** What to write instead of a character ipsec-tools' lexer drops silently. */
function strayHint(t: Token, what: string): string {
  if (t.text === '=')
    return `unexpected '=' where ${what} belongs: racoon.conf has no '=' (ipsec-tools' lexer drops it); write 'keyword value;'`;
  return `unexpected '${t.text}' where ${what} belongs: racoon.conf has no parentheses (ipsec-tools' lexer drops them); write 'sainfo address A any address B any { ... }'`;
}

/** A cursor over one file's tokens (racoon's lexer state for one include level). */
export class TokenReader {
  private i = 0;

  constructor(
    private readonly toks: Token[],
    readonly errors: ConfigError[],
    /** Where directive uses are recorded for the support table (support.ts). */
    readonly uses: DirectiveUse[] = [],
  ) {}

  /** Records that `key` was written at `t` (validation looks it up in the support table). */
  use(key: string, t: Token | Pos): void {
    this.uses.push({ key, pos: { file: t.file, line: t.line, col: t.col } });
  }

  peek(ahead = 0): Token {
    return this.toks[Math.min(this.i + ahead, this.toks.length - 1)]!;
  }

  next(): Token {
    const t = this.peek();
    if (this.i < this.toks.length - 1) this.i++;
    return t;
  }

  fail(t: Token, message: string): never {
    throw new StatementError(t, message);
  }

  error(t: Token | Pos, message: string): void {
    this.errors.push(configError(message, t.file, t.line, t.col));
  }

  /** Consumes the next token if it is the word `w`. */
  accept(w: string): boolean {
    const t = this.peek();
    if (t.kind === 'word' && t.text === w) {
      this.next();
      return true;
    }
    return false;
  }

  acceptKind(kind: Token['kind']): Token | undefined {
    return this.peek().kind === kind ? this.next() : undefined;
  }

  expectKind(kind: Token['kind'], what = `'${kind}'`): Token {
    const t = this.peek();
    if (t.kind === 'stray' && kind !== 'stray') this.fail(t, strayHint(t, what));
    if (t.kind !== kind) this.fail(t, `expected ${what}, found ${describe(t)}`);
    return this.next();
  }

  semi(): void {
    this.expectKind(';');
  }

  word(what = 'a word'): Token {
    return this.expectKind('word', what);
  }

  str(what = 'a quoted string'): string {
    return this.expectKind('string', what).text;
  }

  /** A string or a bare word (names, addresses written either way). */
  strOrWord(what: string): Token {
    const t = this.peek();
    if (t.kind === 'stray') this.fail(t, strayHint(t, what));
    if (t.kind !== 'string' && t.kind !== 'word') this.fail(t, `expected ${what}, found ${describe(t)}`);
    return this.next();
  }

  /** One of `choices` (as a word). */
  choice<T extends string>(choices: readonly T[], what: string): T {
    const t = this.word(what);
    if (!(choices as readonly string[]).includes(t.text))
      this.fail(t, `bad ${what} '${t.text}', expected ${choices.join('|')}`);
    return t.text as T;
  }

  onOff(what: string): boolean {
    return this.choice(['on', 'off'], what) === 'on';
  }

  /** A decimal or 0x-hex integer in [min, max]. */
  num(what = 'a number', min = 0, max = 0xffffffff): number {
    const t = this.word(what);
    return checkNumber(this, t, what, min, max);
  }

  /** `N unit` in seconds (sec|min|hour and their plurals). */
  timeSec(what: string, min = 0): number {
    const n = this.num(what, min);
    const u = this.word(`a time unit after ${n}`);
    const f = Object.hasOwn(TIME_UNITS, u.text) ? TIME_UNITS[u.text] : undefined;
    if (f === undefined) this.fail(u, `bad time unit '${u.text}', expected sec|min|hour`);
    return n * f;
  }

  /** `N unit` in bytes (B|KB|MB|GB). */
  bytes(what: string): number {
    const n = this.num(what);
    const u = this.word(`a byte unit after ${n}`);
    const key = u.text.toLowerCase();
    const f = Object.hasOwn(BYTE_UNITS, key) ? BYTE_UNITS[key] : undefined;
    if (f === undefined) this.fail(u, `bad byte unit '${u.text}', expected B|KB|MB|GB`);
    return n * f;
  }

  /**
   * Runs one statement; on error records it and resynchronises: skips to the next `;` (consumed) or `}`
   * (left for the enclosing block), skipping any nested `{ }` whole.
   */
  statement(fn: () => void): void {
    try {
      fn();
    } catch (e) {
      if (!(e instanceof StatementError)) throw e;
      this.error(e.tok, e.message);
      this.resync();
    }
  }

  resync(): void {
    for (;;) {
      const t = this.peek();
      if (t.kind === 'eof' || t.kind === '}') return;
      this.next();
      if (t.kind === ';') return;
      if (t.kind === '{') {
        this.skipBlockBody();
        return;
      }
    }
  }

  /** Skips to the `}` matching an already consumed `{`; returns false at end of file. */
  skipBlockBody(): boolean {
    let depth = 1;
    for (;;) {
      const t = this.next();
      if (t.kind === 'eof') return false;
      if (t.kind === '{') depth++;
      if (t.kind === '}' && --depth === 0) return true;
    }
  }

  /** `{ statement* }` with handlers keyed by keyword and called with `ctx`; `section` names the block in messages. */
  block<C>(section: string, open: Token, handlers: Readonly<Record<string, Handler<C>>>, ctx: C): void {
    this.expectKind('{', `'{' to open ${section}`);
    for (;;) {
      const t = this.peek();
      if (t.kind === '}') {
        this.next();
        return;
      }
      if (t.kind === 'eof') {
        this.error(t, `missing '}' for ${section} opened at line ${open.line}`);
        return;
      }
      this.statement(() => {
        const kw = this.next();
        if (kw.kind !== 'word') this.fail(kw, `expected a directive in ${section}, found ${describe(kw)}`);
        const h = Object.hasOwn(handlers, kw.text) ? handlers[kw.text] : undefined;
        if (!h) this.fail(kw, unknownDirective(kw.text, section));
        h(this, kw, ctx);
      });
    }
  }
}

/** The message for a word that is no directive of `section` (the top level when absent). */
export function unknownDirective(word: string, section?: string): string {
  if (Object.hasOwn(FOREIGN, word)) return `'${word}': ${FOREIGN[word]!}`;
  if (section && isKeyword(word)) return `'${word}' is not allowed in ${section}`;
  return section ? `unknown directive '${word}' in ${section}` : `unknown directive '${word}'`;
}

export function checkNumber(r: TokenReader, t: Token, what: string, min: number, max: number): number {
  const s = t.text;
  if (!/^(0x[0-9a-fA-F]+|[0-9]+)$/.test(s)) r.fail(t, `expected ${what}, found ${describe(t)}`);
  const n = s.startsWith('0x') ? parseInt(s.slice(2), 16) : parseInt(s, 10);
  if (!Number.isSafeInteger(n) || n < min || n > max)
    r.fail(
      t,
      mayBeKeyMaterial(s)
        ? `${what} out of range ${min}..${max}; the value at column ${t.col} is not shown (may be key material)`
        : `${what} ${s} out of range ${min}..${max}`,
    );
  return n;
}

/**
 * A token as a diagnostic names it. A quoted string is never quoted back (ldapcfg/radiuscfg passwords and
 * secrets are strings), nor a word that may be key material (issue 11 item 11); file:line:col says where.
 */
export function describe(t: Token): string {
  switch (t.kind) {
    case 'eof':
      return 'end of file';
    case 'string':
      return `a quoted string at column ${t.col} (not shown)`;
    case 'port':
      return `[${t.text}]`;
    case 'stray':
      return `'${t.text}'`;
    case 'word':
      if (mayBeKeyMaterial(t.text)) return `a word at column ${t.col} (not shown: may be key material)`;
      return `'${t.text.slice(0, 40)}'`;
    default:
      return `'${t.kind}'`;
  }
}
