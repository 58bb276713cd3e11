// Our Markdown subset (docs/commands/*.md) to man(7) roff: `# name(N) — what` opens the page (NAME), the first
// code block under it is the SYNOPSIS, text before the first `##` the DESCRIPTION; `##`/`###` become .SH/.SS,
// two-column tables .TP entries, `-` lists bullets, fenced blocks no-fill displays; `code` and **strong** bold.
// Output is pure ASCII (other characters as groff's \[uXXXX]) so that groff needs no preconv. Pure function.

export interface ManPage {
  name: string;
  section: string;
  roff: string;
}

export interface RoffOptions {
  /** Where the page came from, for the "generated from" comment. */
  source: string;
  /** The package version for the footer (.TH's fourth field). */
  version: string;
  /** Other pages, `name(N)`, listed in SEE ALSO unless the document has its own "See also" section. */
  seeAlso?: readonly string[];
}

/** A Markdown document that is not in the subset (the message says which line and why). */
export class ManSourceError extends Error {
  constructor(
    readonly source: string,
    readonly line: number,
    message: string,
  ) {
    super(`${source}:${line}: ${message}`);
    this.name = 'ManSourceError';
  }
}

/** Escapes text for roff: backslash, hyphen-minus (so options copy and paste), non-ASCII as \[uXXXX]. */
export function escapeRoff(text: string): string {
  let out = '';
  for (const ch of text) {
    const cp = ch.codePointAt(0)!;
    if (ch === '\\') out += '\\e';
    else if (ch === '-') out += '\\-';
    else if (cp === 0x09 || (cp >= 0x20 && cp < 0x7f)) out += ch;
    else if (cp >= 0xa0) out += `\\[u${cp.toString(16).toUpperCase().padStart(4, '0')}]`;
    else out += ' '; // other control characters
  }
  return out;
}

/** A text line that roff must not read as a request (leading `.` or `'`) or as a break (leading space). */
function safeLine(line: string): string {
  return /^[.']/.test(line) ? `\\&${line}` : line.replace(/^\s+/, '');
}

/** Inline Markdown: `code` and **strong** in bold, [text](url) as "text <url>", escapes everything else. */
export function inlineRoff(text: string): string {
  let out = '';
  const re = /`([^`]+)`|\*\*([^*]+)\*\*|\[([^\]]+)\]\(([^)\s]+)\)/g;
  let last = 0;
  for (let m = re.exec(text); m; m = re.exec(text)) {
    out += escapeRoff(text.slice(last, m.index));
    if (m[1] !== undefined) out += `\\fB${escapeRoff(m[1])}\\fR`;
    else if (m[2] !== undefined) out += `\\fB${escapeRoff(m[2])}\\fR`;
    else out += `${escapeRoff(m[3]!)} <${escapeRoff(m[4]!)}>`;
    last = m.index + m[0].length;
  }
  return out + escapeRoff(text.slice(last));
}

function quoteArg(text: string): string {
  return `"${escapeRoff(text).replace(/"/g, '\\(dq')}"`;
}

/** Splits `| a | b |` into trimmed cells (a `\|` inside a cell stays a bar). */
function tableCells(line: string): string[] {
  return line
    .trim()
    .replace(/^\||\|$/g, '')
    .split(/(?<!\\)\|/)
    .map((c) => c.trim().replace(/\\\|/g, '|'));
}

const isTableRule = (line: string) => /^\|?\s*:?-{3,}:?\s*(\|\s*:?-{3,}:?\s*)*\|?\s*$/.test(line.trim());

interface State {
  out: string[];
  lines: readonly string[];
  i: number;
  section: string;
  source: string;
}

function heading(st: State, level: number, title: string): void {
  const t = title.trim();
  if (level === 2) {
    st.section = t.toUpperCase();
    st.out.push(`.SH ${quoteArg(st.section)}`);
  } else st.out.push(`.SS ${quoteArg(t)}`);
}

function codeBlock(st: State): void {
  const start = st.i;
  st.i++;
  const body: string[] = [];
  while (st.i < st.lines.length && !/^\s*```/.test(st.lines[st.i]!)) body.push(st.lines[st.i++]!);
  if (st.i >= st.lines.length) throw new ManSourceError(st.source, start + 1, 'code block without its closing ```');
  st.i++;
  if (st.section === 'SYNOPSIS') {
    st.out.push('.nf', ...body.map((l) => (/^[.']/.test(l) ? '\\&' : '') + escapeRoff(l)), '.fi');
    return;
  }
  st.out.push('.PP', '.RS 4', '.nf', ...body.map((l) => (/^[.']/.test(l) ? '\\&' : '') + escapeRoff(l)), '.fi', '.RE');
}

function table(st: State): void {
  const rows: string[][] = [];
  while (st.i < st.lines.length && st.lines[st.i]!.trim().startsWith('|')) {
    const line = st.lines[st.i++]!;
    if (!isTableRule(line)) rows.push(tableCells(line));
  }
  // The first row is the header ("option | meaning"): the entries say it themselves.
  for (const cells of rows.slice(1)) {
    const [tag = '', ...rest] = cells;
    st.out.push('.TP', safeLine(inlineRoff(tag)), safeLine(inlineRoff(rest.join(' \u2014 '))));
  }
}

function list(st: State): void {
  while (st.i < st.lines.length && /^\s*[-*] /.test(st.lines[st.i]!)) {
    const item = [st.lines[st.i++]!.replace(/^\s*[-*] /, '')];
    while (st.i < st.lines.length && /^ {2,}\S/.test(st.lines[st.i]!) && !/^\s*[-*] /.test(st.lines[st.i]!))
      item.push(st.lines[st.i++]!.trim());
    st.out.push('.IP \\(bu 2', ...item.map((l) => safeLine(inlineRoff(l))));
  }
}

function paragraph(st: State): void {
  st.out.push('.PP');
  while (st.i < st.lines.length) {
    const l = st.lines[st.i]!;
    if (l.trim() === '' || /^(#|```|\||\s*[-*] |<!--)/.test(l)) break;
    st.out.push(safeLine(inlineRoff(l)));
    st.i++;
  }
}

/** Skips an HTML comment (doctest directives and the like), which may span lines. */
function comment(st: State): void {
  while (st.i < st.lines.length && !st.lines[st.i]!.includes('-->')) st.i++;
  st.i++;
}

/** The `# name(N) — description` line. */
function titleOf(line: string | undefined, source: string): { name: string; section: string; what: string } {
  const m = /^# (\S+)\((\d)\)\s+[—-]+\s+(.+)$/.exec(line ?? '');
  if (!m) throw new ManSourceError(source, 1, 'the first line must be "# name(N) — description"');
  return { name: m[1]!, section: m[2]!, what: m[3]!.trim() };
}

/** Converts one document; throws ManSourceError when it is outside the subset. */
export function markdownToMan(md: string, o: RoffOptions): ManPage {
  const lines = md.replace(/\r\n/g, '\n').split('\n');
  const t = titleOf(lines[0], o.source);
  const st: State = { out: [], lines, i: 1, section: '', source: o.source };
  st.out.push(
    `.\\" Generated from ${o.source} by tools/build-man.ts (npm run build); edit the Markdown, not this file.`,
    `.TH ${quoteArg(t.name.toUpperCase())} ${t.section} "" ${quoteArg(`uipsec ${o.version}`)} ${quoteArg(
      t.section === '5' ? 'File Formats Manual' : "System Manager's Manual",
    )}`,
    '.SH NAME',
    `${escapeRoff(t.name)} \\- ${inlineRoff(t.what)}`,
  );
  // A code block right under the title is the SYNOPSIS; text before the first ## the DESCRIPTION.
  while (st.i < lines.length && lines[st.i]!.trim() === '') st.i++;
  if (/^\s*```/.test(lines[st.i] ?? '')) {
    heading(st, 2, 'Synopsis');
    codeBlock(st);
  }
  while (st.i < lines.length && lines[st.i]!.trim() === '') st.i++;
  if (st.i < lines.length && !/^## /.test(lines[st.i]!)) heading(st, 2, 'Description');
  while (st.i < lines.length) {
    const l = lines[st.i]!;
    const h = /^(#{2,3}) (.+)$/.exec(l);
    if (l.trim() === '') st.i++;
    else if (l.startsWith('<!--')) comment(st);
    else if (h) {
      heading(st, h[1]!.length, h[2]!);
      st.i++;
    } else if (l.startsWith('# ')) throw new ManSourceError(o.source, st.i + 1, 'a second "# " title');
    else if (/^\s*```/.test(l)) codeBlock(st);
    else if (l.trim().startsWith('|')) table(st);
    else if (/^\s*[-*] /.test(l)) list(st);
    else paragraph(st);
  }
  if (o.seeAlso?.length && !st.out.some((l) => l === '.SH "SEE ALSO"'))
    st.out.push(
      '.SH "SEE ALSO"',
      ...o.seeAlso.map((p, i, all) => p.replace(/^(.+)\((\d)\)$/, `.BR $1 ($2)${i < all.length - 1 ? ',' : ''}`)),
    );
  return { name: t.name, section: t.section, roff: `${tidy(st.out).join('\n')}\n` };
}

/** No paragraph macro right after a heading or before another one (groff -ww is quiet either way, man looks tidier). */
function tidy(out: string[]): string[] {
  return out.filter(
    (l, i) => !(l === '.PP' && (/^\.S[HS]/.test(out[i - 1] ?? '') || /^\.(PP|S[HS])/.test(out[i + 1] ?? ''))),
  );
}
