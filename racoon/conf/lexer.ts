// racoon.conf lexer: words, "strings", [ports], punctuation; `#` comments; every token carries file:line:col.
// Unlike ipsec-tools' start-condition lexer (cftoken.l) keywords are recognised by the parser (keywords.ts).
import type { ConfigError } from '../../common/errors.js';
import { configError } from './diagnostic.js';

export type TokenKind = 'word' | 'string' | 'port' | '{' | '}' | ';' | ',' | 'eof';

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
for (const c of 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789_.:-/@%*+=!~$')
  WORD_CHARS[c.charCodeAt(0)] = 1;

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
    if (c === '"') {
      const start = i;
      const close = text.indexOf('"', i + 1);
      const nl = text.indexOf('\n', i + 1);
      if (close < 0 || (nl >= 0 && nl < close)) {
        errors.push(configError('unterminated string', file, line, start - lineStart + 1));
        i = nl < 0 ? text.length : nl;
        continue;
      }
      out.push(at('string', text.slice(i + 1, close), start));
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
      out.push(at('word', text.slice(start, i), start));
      continue;
    }
    errors.push(configError(`unexpected character ${JSON.stringify(c)}`, file, line, i - lineStart + 1));
    i++;
  }
  out.push({ kind: 'eof', text: '', file, line, col: i - lineStart + 1 });
  return out;
}
