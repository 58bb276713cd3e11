// Tokenizer for setkey statements, modelled on ipsec-tools token.l: words, `-x` flags, quoted strings,
// `/ [ ] ;`, `#` comments to end of line, and the `-P` state that swallows the policy text up to `;`.
import type { Pos } from './ast.js';

export type TokenKind =
  'word' | 'flag' | 'quoted' | 'slash' | 'lbracket' | 'rbracket' | 'semi' | 'policy' | 'bad' | 'eof';

export interface Token extends Pos {
  kind: TokenKind;
  /** Raw text; for `quoted` the content between the quotes, for `policy` the swallowed text. */
  text: string;
  /** Line on which the token ends (policy text and quoted strings may span lines). */
  endLine: number;
  /** Position in the token list (the parser resynchronises from it). */
  index: number;
}

// token.l STRING is [A-Za-z0-9:][A-Za-z0-9:%.-]* plus [0-9,]+ for ICMP type,code; we take the union.
// Character classes as lookup tables over char codes (the tokenizer is the hot loop of `setkey -f` on big files).
function charTable(chars: string): Uint8Array {
  const t = new Uint8Array(128);
  for (const r of chars.split(' ')) {
    if (r.length === 3 && r[1] === '-') for (let c = r.charCodeAt(0); c <= r.charCodeAt(2); c++) t[c] = 1;
    else for (const ch of r) t[ch.charCodeAt(0)] = 1;
  }
  return t;
}
const WORD_START = charTable('A-Z a-z 0-9 :');
const WORD_CHAR = charTable('A-Z a-z 0-9 :%.,_-');
const FLAG_CHAR = charTable('A-Z a-z 0-9 _'); // `_` for FreeBSD's -natt_mtu
const inClass = (t: Uint8Array, c: number): boolean => c < 128 && t[c] === 1;

/** Splits the whole input into tokens (lines counted from `firstLine`); never throws. Unknown characters become `bad` tokens. */
export function tokenize(src: string, firstLine = 1): Token[] {
  const out: Token[] = [];
  let i = 0,
    line = firstLine,
    col = 1;
  const advance = (n: number): void => {
    for (let k = 0; k < n; k++, i++) {
      if (src.charCodeAt(i) === 10) {
        line++;
        col = 1;
      } else col++;
    }
  };
  /** Skips `n` characters known to hold no newline. */
  const skip = (n: number): void => {
    i += n;
    col += n;
  };
  const push = (kind: TokenKind, text: string, l: number, c: number): void => {
    out.push({ kind, text, line: l, col: c, endLine: line, index: out.length });
  };
  let policyNext = false;
  const n = src.length;
  while (i < n) {
    const ch = src.charCodeAt(i);
    const l = line,
      c = col;
    if (policyNext) {
      policyNext = false;
      const text = readPolicy(src, i);
      advance(text.length);
      if (text.trim() !== '') push('policy', text, l, c);
      continue;
    }
    if (ch === 10) {
      i++;
      line++;
      col = 1;
      continue;
    }
    if (ch === 32 || ch === 9 || ch === 13 || ch === 12 || ch === 11) {
      skip(1);
      continue;
    }
    if (ch === 35 /* # */) {
      while (i < n && src.charCodeAt(i) !== 10) skip(1);
      continue;
    }
    if (ch === 59 /* ; */) {
      skip(1);
      push('semi', ';', l, c);
      continue;
    }
    if (ch === 47 /* / */) {
      skip(1);
      push('slash', '/', l, c);
      continue;
    }
    if (ch === 91 /* [ */) {
      skip(1);
      push('lbracket', '[', l, c);
      continue;
    }
    if (ch === 93 /* ] */) {
      skip(1);
      push('rbracket', ']', l, c);
      continue;
    }
    if (ch === 34 /* " */) {
      const end = src.indexOf('"', i + 1);
      if (end < 0) {
        const rest = src.slice(i);
        advance(rest.length);
        push('bad', rest, l, c);
        continue;
      }
      const text = src.slice(i + 1, end);
      advance(end + 1 - i);
      push('quoted', text, l, c);
      continue;
    }
    if (ch === 45 /* - */ && i + 1 < n && inClass(FLAG_CHAR, src.charCodeAt(i + 1))) {
      let j = i + 1;
      while (j < n && inClass(FLAG_CHAR, src.charCodeAt(j))) j++;
      const text = src.slice(i, j);
      skip(j - i);
      push('flag', text, l, c);
      if (text === '-P') policyNext = true;
      continue;
    }
    if (inClass(WORD_START, ch)) {
      let j = i + 1;
      while (j < n && inClass(WORD_CHAR, src.charCodeAt(j))) j++;
      const text = src.slice(i, j);
      skip(j - i);
      push('word', text, l, c);
      continue;
    }
    // one UTF-16 unit at a time, as before (a bad character is reported where it stands)
    advance(1);
    push('bad', String.fromCharCode(ch), l, c);
  }
  out.push({ kind: 'eof', text: '', line, col, endLine: line, index: out.length });
  return out;
}

/**
 * The policy text after `-P`: everything up to the next `;` (not included) or the end of input.
 * `#` starts a comment to end of line here too, as flex's inclusive start states do in token.l.
 */
function readPolicy(src: string, from: number): string {
  let j = from;
  while (j < src.length && src[j] !== ';') {
    if (src[j] === '#') {
      while (j < src.length && src[j] !== '\n') j++;
      continue;
    }
    j++;
  }
  return src.slice(from, j);
}

/** Blanks `#...` comments (up to a newline) in policy text, keeping columns. */
export function stripPolicyComments(text: string): string {
  return text.replace(/#[^\n]*/g, (c) => ' '.repeat(c.length));
}

/**
 * Cuts a script into pieces of about `perPiece` statements, each ending after a `;` that is outside quotes
 * and comments (the same rules as tokenize), with the line each piece starts on. Parsing piece by piece keeps
 * the token lists of a 200,000-statement file from being alive at once.
 */
export function* splitScript(src: string, perPiece: number): Generator<{ text: string; firstLine: number }> {
  let start = 0,
    line = 1,
    startLine = 1,
    count = 0;
  const n = src.length;
  for (let i = 0; i < n; i++) {
    const ch = src.charCodeAt(i);
    if (ch === 10) line++;
    else if (ch === 35 /* # */) {
      while (i + 1 < n && src.charCodeAt(i + 1) !== 10) i++;
    } else if (ch === 34 /* " */) {
      const end = src.indexOf('"', i + 1);
      if (end < 0) break;
      for (let k = i + 1; k < end; k++) if (src.charCodeAt(k) === 10) line++;
      i = end;
    } else if (ch === 59 /* ; */ && ++count >= perPiece) {
      yield { text: src.slice(start, i + 1), firstLine: startLine };
      start = i + 1;
      startLine = line;
      count = 0;
    }
  }
  if (start < n) yield { text: src.slice(start), firstLine: startLine };
}
