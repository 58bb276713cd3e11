// racoon.conf lexer: words, "strings", [ports], punctuation; `#` comments; every token carries file:line:col.
// Unlike ipsec-tools' start-condition lexer (cftoken.l) keywords are recognised by the parser (keywords.ts).
// cftoken.l silently drops characters it has no rule for (`.` → yymore), so `dpd_delay = 20;` or
// `sainfo (address ...)` pass there by accident; here `=`, `(` and `)` become 'stray' tokens the parser refuses
// with a hint. A number glued to its unit (`10sec`, `1hour`, as cftoken.l's longest match splits) is two tokens.
import type { ConfigError } from '../../common/errors.js';
import { configError } from './diagnostic.js';

export type TokenKind = 'word' | 'string' | 'port' | '{' | '}' | ';' | ',' | 'stray' | 'eof';

/** One token; `text` is the word, the unquoted string, or the bracket content of a port (`500`, `any`). */
export interface Token {
  kind: TokenKind;
  text: string;
  file: string;
  line: number;
  col: number;
}

/** Characters that make up a bare word: keywords, numbers, addresses, prefixes, ranges, names. */
const WORD_CHARS = new Uint8Array(128);
for (const c of 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789_.:-/@%*+!~$')
  WORD_CHARS[c.charCodeAt(0)] = 1;

/** cftoken.l units (time and byte) that may follow a number without a blank. */
const GLUED_UNIT = /^([0-9]+)(secs?|seconds?|mins?|minutes?|hours?|B|bytes?|KB|MB|GB|TB)$/;

function isWordCode(code: number): boolean {
  return code < 128 && WORD_CHARS[code] === 1;
}

/** Splits `text` into tokens; malformed pieces become errors in `errors` and are skipped. */
export function tokenize(text: string, file: string, errors: ConfigError[]): Token[] {
  const out: Token[] = [];
  let line = 1;
  let lineStart = 0;
  let i = 0;
  const at = (kind: TokenKind, t: string, start: number): Token => ({
    kind,
    text: t,
    file,
    line,
    col: start - lineStart + 1,
  });
  while (i < text.length) {
    const c = text[i]!;
    if (c === '\n') {
      line++;
      lineStart = ++i;
      continue;
    }
    if (c === ' ' || c === '\t' || c === '\r' || c === '\f' || c === '\v') {
      i++;
      continue;
    }
    if (c === '#') {
      const nl = text.indexOf('\n', i);
      i = nl < 0 ? text.length : nl;
      continue;
    }
    if (c === '{' || c === '}' || c === ';' || c === ',') {
      out.push(at(c, c, i));
      i++;
      continue;
    }
    if (c === '=' || c === '(' || c === ')') {
      out.push(at('stray', c, i));
      i++;
      continue;
    }
    if (c === '"') {
      // cftoken.l: \"[^"]*\" — no escapes, and a string may span lines.
      const start = i;
      const close = text.indexOf('"', i + 1);
      if (close < 0) {
        errors.push(configError('unterminated string', file, line, start - lineStart + 1));
        i = text.length;
        continue;
      }
      out.push(at('string', text.slice(i + 1, close), start));
      for (let k = text.indexOf('\n', i + 1); k >= 0 && k < close; k = text.indexOf('\n', k + 1)) {
        line++;
        lineStart = k + 1;
      }
      i = close + 1;
      continue;
    }
    if (c === '[') {
      const start = i;
      const m = /^\[[ \t]*([0-9]+|any)[ \t]*\]/.exec(text.slice(i, i + 16));
      if (!m) {
        errors.push(configError("bad port: expected '[number]' or '[any]'", file, line, start - lineStart + 1));
        i++;
        while (i < text.length && text[i] !== ']' && text[i] !== '\n' && text[i] !== ';') i++;
        if (text[i] === ']') i++;
        continue;
      }
      out.push(at('port', m[1]!, start));
      i += m[0].length;
      continue;
    }
    if (isWordCode(text.charCodeAt(i))) {
      const start = i;
      while (i < text.length && isWordCode(text.charCodeAt(i))) i++;
      const w = text.slice(start, i);
      const glued = GLUED_UNIT.exec(w);
      if (glued) {
        out.push(at('word', glued[1]!, start));
        out.push(at('word', glued[2]!, start + glued[1]!.length));
      } else out.push(at('word', w, start));
      continue;
    }
    errors.push(configError(`unexpected character ${JSON.stringify(c)}`, file, line, i - lineStart + 1));
    i++;
  }
  out.push({ kind: 'eof', text: '', file, line, col: i - lineStart + 1 });
  return out;
}
