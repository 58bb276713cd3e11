// `setkey -c`: statements typed on stdin. As ipsec-tools stdin_loop does, each physical line loses its
// `#...` comment, empty lines are skipped, lines are joined with one space until a `;` is seen, and each
// `;`-terminated piece is handed over on its own; text after the last `;` waits for the next line.
import { parseSetkey, type ParseOptions, type ParseResult } from './parser.js';
import { diagnostic, type SetkeyError } from './diagnostics.js';
import { COMMAND_WORDS } from './cursor.js';

/** One complete statement (ending with `;`) and the physical lines it came from. */
export interface JoinedStatement {
  text: string;
  /** Physical line (1-based) on which each character of `text` was typed. */
  lineOf(offset: number): number;
  firstLine: number;
  lastLine: number;
}

interface Segment {
  start: number; // offset in the buffer
  line: number;
}

/** Feeds lines one at a time; `push` returns the statements that line completed. */
export class StatementJoiner {
  private buf = '';
  private segs: Segment[] = [];
  private lineNo = 0;

  push(rawLine: string): JoinedStatement[] {
    this.lineNo++;
    const hash = rawLine.indexOf('#');
    const line = (hash >= 0 ? rawLine.slice(0, hash) : rawLine).replace(/\r?\n$/, '');
    if (line === '') return [];
    if (this.buf.length > 0) this.buf += ' ';
    const start = this.buf.length;
    this.segs.push({ start, line: this.lineNo });
    this.buf += line;
    // Without a ';' in it the line only waits: no search of the joined text (a rope, flattened by a search).
    if (!line.includes(';')) return [];
    const out: JoinedStatement[] = [];
    // The text before this line holds no ';' (each was taken when its line came): only the new line is searched.
    for (let semi = this.buf.indexOf(';', start); semi >= 0; semi = this.buf.indexOf(';')) {
      out.push(this.take(semi + 1));
    }
    return out;
  }

  /** Text that has not reached a `;` yet (dropped at end of input, as ipsec-tools does). */
  pending(): string {
    return this.buf;
  }

  /** Physical lines pushed so far. */
  lines(): number {
    return this.lineNo;
  }

  private take(end: number): JoinedStatement {
    const text = this.buf.slice(0, end);
    const segs = this.segs.filter((s) => s.start < end).map((s) => ({ ...s }));
    if (segs.length === 0 || segs[0]!.start > 0) segs.unshift({ start: 0, line: (segs[0] ?? this.segs[0]!).line });
    const lineOf = (off: number): number => {
      let l = segs[0]!.line;
      for (const s of segs) if (s.start <= off) l = s.line;
      return l;
    };
    // The rest stays for the next statement; segments are rebased onto it.
    this.buf = this.buf.slice(end);
    const rest = this.segs.filter((_, i) => this.segEnd(i) > end);
    this.segs = rest.map((s) => ({ start: Math.max(0, s.start - end), line: s.line }));
    if (this.buf.length === 0) this.segs = [];
    return { text, lineOf, firstLine: lineOf(firstNonSpace(text)), lastLine: lineOf(end - 1) };
  }

  /** Where segment `i` ends: where the next one starts. */
  private segEnd(i: number): number {
    return this.segs[i + 1]?.start ?? Number.POSITIVE_INFINITY;
  }
}

function firstNonSpace(s: string): number {
  const m = /\S/.exec(s);
  return m ? m.index : 0;
}

/** Joins an iterable of lines into statements (a convenience over StatementJoiner). */
export function* joinStatements(lines: Iterable<string>): Generator<JoinedStatement> {
  const j = new StatementJoiner();
  for (const l of lines) yield* j.push(l);
}

/** Parses one joined statement; line numbers in the result are the physical stdin lines. */
export function parseJoined(st: JoinedStatement, opts: ParseOptions = {}): ParseResult {
  const r = parseSetkey(st.text, opts);
  const remap = (e: SetkeyError): SetkeyError =>
    diagnostic(e.reason, e.file, e.col > 0 ? st.lineOf(e.col - 1) : st.firstLine, e.col, e.near, e.severity);
  for (const s of r.statements) {
    s.line = st.firstLine;
    s.endLine = st.lastLine;
  }
  const runOn = r.errors.length ? missingSemicolon(st, opts.file ?? '') : undefined;
  return { statements: r.statements, errors: runOn ? [runOn] : r.errors.map(remap), warnings: r.warnings.map(remap) };
}

/**
 * A statement that failed and has a command word (`flush`, `spdadd`...) first on a later line lost its `;`
 * at the end of the line before: say so there, as `setkey -f` does, not as an error about the next command.
 */
function missingSemicolon(st: JoinedStatement, file: string): SetkeyError | undefined {
  for (let i = 1; i < st.text.length; i++) {
    if (st.lineOf(i) === st.lineOf(i - 1)) continue;
    const rest = st.text.slice(i);
    const word = /^\s*([a-z]+)/.exec(rest)?.[1];
    if (!word || !COMMAND_WORDS.has(word)) continue;
    const before = st.text.slice(0, i).trimEnd();
    const near = before.split(/\s+/).pop() ?? '';
    const line = st.lineOf(Math.max(0, before.length - 1));
    let start = before.length - near.length;
    while (start > 0 && st.lineOf(start - 1) === line) start--;
    return diagnostic(
      "missing ';' at the end of the statement",
      file,
      line,
      before.length - near.length - start + 1,
      near,
    );
  }
  return undefined;
}
