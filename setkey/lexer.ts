// Tokenizer for setkey statements, modelled on ipsec-tools token.l: words, `-x` flags, quoted strings,
// `/ [ ] ;`, `#` comments to end of line, and the `-P` state that swallows the policy text up to `;`.
import type { Pos } from './ast.js';

export type TokenKind = 'word' | 'flag' | 'quoted' | 'slash' | 'lbracket' | 'rbracket' | 'semi' | 'policy' | 'bad' | 'eof';

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
const WORD_START = /[A-Za-z0-9:]/;
const WORD_CHAR = /[A-Za-z0-9:%.,_-]/;
const FLAG_CHAR = /[A-Za-z0-9_]/; // `_` for FreeBSD's -natt_mtu

/** Splits the whole input into tokens; never throws. Unknown characters become `bad` tokens. */
export function tokenize(src: string): Token[] {
  const out: Token[] = [];
  let i = 0, line = 1, col = 1;
  const advance = (n: number): void => {
    for (let k = 0; k < n; k++, i++) {
      if (src[i] === '\n') { line++; col = 1; } else col++;
    }
  };
  const push = (kind: TokenKind, text: string, l: number, c: number): void => {
    out.push({ kind, text, line: l, col: c, endLine: line, index: out.length });
  };
  let policyNext = false;
  while (i < src.length) {
    const ch = src[i]!;
    const l = line, c = col;
    if (policyNext) {
      policyNext = false;
      const text = readPolicy(src, i);
      advance(text.length);
      if (text.trim() !== '') push('policy', text, l, c);
      continue;
    }
    if (ch === ' ' || ch === '\t' || ch === '\n' || ch === '\r' || ch === '\f' || ch === '\v') { advance(1); continue; }
    if (ch === '#') { while (i < src.length && src[i] !== '\n') advance(1); continue; }
    if (ch === ';') { advance(1); push('semi', ';', l, c); continue; }
    if (ch === '/') { advance(1); push('slash', '/', l, c); continue; }
    if (ch === '[') { advance(1); push('lbracket', '[', l, c); continue; }
    if (ch === ']') { advance(1); push('rbracket', ']', l, c); continue; }
    if (ch === '"') {
      const end = src.indexOf('"', i + 1);
      if (end < 0) { const rest = src.slice(i); advance(rest.length); push('bad', rest, l, c); continue; }
      const text = src.slice(i + 1, end);
      advance(end + 1 - i);
      push('quoted', text, l, c);
      continue;
    }
    if (ch === '-' && i + 1 < src.length && FLAG_CHAR.test(src[i + 1]!)) {
      let j = i + 1;
      while (j < src.length && FLAG_CHAR.test(src[j]!)) j++;
      const text = src.slice(i, j);
      advance(j - i);
      push('flag', text, l, c);
      if (text === '-P') policyNext = true;
      continue;
    }
    if (WORD_START.test(ch)) {
      let j = i + 1;
      while (j < src.length && WORD_CHAR.test(src[j]!)) j++;
      const text = src.slice(i, j);
      advance(j - i);
      push('word', text, l, c);
      continue;
    }
    advance(1);
    push('bad', ch, l, c);
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
