// Plain-text tables for people: aligned columns, a header row and a rule under it (the `netstat`/`setkey`
// look), used by the demo and `uipsec status`.

/** Renders rows under headers with every column padded to its widest cell; numbers align right. */
export function formatTable(
  headers: readonly string[],
  rows: readonly (readonly (string | number)[])[],
  indent = '  ',
): string {
  const cells = rows.map((r) => headers.map((_, i) => String(r[i] ?? '')));
  const width = headers.map((h, i) => Math.max(h.length, ...cells.map((r) => r[i]!.length)));
  const numeric = headers.map((_, i) => rows.length > 0 && rows.every((r) => typeof r[i] === 'number'));
  const line = (r: readonly string[]) =>
    indent +
    r
      .map((c, i) => {
        if (i === r.length - 1 && !numeric[i]) return c;
        return numeric[i] ? c.padStart(width[i]!) : c.padEnd(width[i]!);
      })
      .join('  ')
      .trimEnd();
  const rule = indent + width.map((w) => '-'.repeat(w)).join('  ');
  return [line(headers), rule, ...cells.map(line)].join('\n') + '\n';
}

/** A section title: `== title ==` on its own line, a blank line before it. */
export function section(title: string): string {
  return `\n== ${title} ==\n`;
}

/** `key: value` lines with the keys padded to the longest one. */
export function formatPairs(pairs: readonly (readonly [string, string | number])[], indent = '  '): string {
  const w = Math.max(0, ...pairs.map(([k]) => k.length));
  return pairs.map(([k, v]) => `${indent}${`${k}:`.padEnd(w + 1)} ${v}`).join('\n') + '\n';
}
