// Draws one chart of a bench's JSON (bench/harness.ts `writeBenchJson`) as a horizontal bar chart in plain
// SVG text: a row per label, a bar per series, the value at the end of each bar, and the machine, Node and
// load average the figures were measured under as the caption. Pure: data in, SVG string out, no
// dependency. bench/charts.ts writes the files (`npm run bench:charts`).
import type { BenchChart, BenchJson } from './harness.js';

const WIDTH = 720;
const BAR_H = 14;
const ROW_GAP = 10;
const CHAR_W = 7.2; // average width of a 12 px sans-serif character, for the label column
const VALUE_ROOM = 64;
const COLORS = ['#3566a8', '#d98c2b', '#5a9e4b', '#a3456b', '#6f5aa8', '#7a7a7a', '#2f9c9c'];

export function escapeXml(s: string): string {
  return s.replace(/[<>&"']/g, (c) => ({ '<': '&lt;', '>': '&gt;', '&': '&amp;', '"': '&quot;', "'": '&apos;' })[c]!);
}

/** A figure as printed at the end of its bar: three significant digits or so, thousands unseparated. */
export function fmtValue(v: number | null): string {
  if (v === null || !Number.isFinite(v)) return 'n/a';
  const a = Math.abs(v);
  return v.toFixed(a >= 100 ? 0 : a >= 10 ? 1 : a >= 1 ? 2 : 3);
}

/** Splits a long line at spaces so that a note or caption stays inside the picture. */
function wrap(s: string, chars: number): string[] {
  const lines: string[] = [];
  let cur = '';
  for (const w of s.split(' ')) {
    if (cur && cur.length + 1 + w.length > chars) {
      lines.push(cur);
      cur = w;
    } else cur = cur ? `${cur} ${w}` : w;
  }
  if (cur) lines.push(cur);
  return lines;
}

/** "2 × AMD EPYC …, Node v20.20.0, load average 3.4 → 3.0 (1 min), 2026-12-08" */
export function caption(m: Pick<BenchJson, 'machine' | 'node' | 'loadavg' | 'loadStart' | 'date'>): string {
  const end = m.loadavg.map((x) => x.toFixed(1));
  const load =
    m.loadStart === undefined
      ? `load average ${end.join(' ')}`
      : `load average ${m.loadStart.toFixed(1)} → ${end[0] ?? '?'} (1 min)`;
  return `${m.machine}, Node ${m.node}, ${load}, ${m.date.slice(0, 10)}`;
}

function text(x: number, y: number, s: string, attrs = ''): string {
  return `<text x="${x.toFixed(1)}" y="${y}"${attrs ? ` ${attrs}` : ''}>${escapeXml(s)}</text>`;
}

/** The SVG of one chart; `meta` gives the caption. A missing figure (null, NaN) is a 1-pixel bar marked n/a. */
export function renderChart(c: BenchChart, meta: Parameters<typeof caption>[0]): string {
  const labelChars = Math.max(4, ...c.rows.map((r) => r.label.length));
  const left = Math.min(300, Math.round(24 + labelChars * CHAR_W));
  const plot = WIDTH - left - VALUE_ROOM;
  const finite = c.rows.flatMap((r) => r.values).filter((v): v is number => v !== null && Number.isFinite(v));
  const max = Math.max(0, ...finite);
  const rowH = c.series.length * (BAR_H + 2) + ROW_GAP;
  const legendY = 46;
  const top = legendY + (c.series.length > 1 ? 18 : 0);
  const notes = c.note ? wrap(c.note, 105) : [];
  const captions = wrap(caption(meta), 115);
  const height = top + c.rows.length * rowH + 8 + (notes.length + captions.length) * 15 + 6;
  const out = [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${WIDTH}" height="${height}" ` +
      `viewBox="0 0 ${WIDTH} ${height}" font-family="sans-serif" font-size="12">`,
    `<title>${escapeXml(c.title)}</title>`,
    `<rect width="100%" height="100%" fill="#fff"/>`,
    text(8, 18, c.title, 'font-weight="bold"'),
    text(8, 35, c.unit, 'fill="#444"'),
  ];
  if (c.series.length > 1) {
    let x = 8;
    c.series.forEach((s, k) => {
      out.push(
        `<rect class="key" x="${x}" y="${legendY}" width="10" height="10" fill="${COLORS[k % COLORS.length]}"/>`,
      );
      out.push(text(x + 14, legendY + 9, s));
      x += 14 + s.length * CHAR_W + 16;
    });
  }
  c.rows.forEach((r, i) => {
    const y0 = top + i * rowH;
    out.push(text(left - 8, y0 + (c.series.length * (BAR_H + 2)) / 2 + 3, r.label, 'text-anchor="end"'));
    c.series.forEach((_, k) => {
      const v = r.values[k] ?? null;
      const ok = v !== null && Number.isFinite(v) && max > 0;
      const w = ok ? Math.max(1, (plot * Math.max(0, v)) / max) : 1;
      const y = y0 + k * (BAR_H + 2);
      out.push(
        `<rect class="bar" x="${left}" y="${y}" width="${w.toFixed(1)}" height="${BAR_H}" fill="${COLORS[k % COLORS.length]}"/>`,
        text(left + w + 4, y + BAR_H - 3, fmtValue(v)),
      );
    });
  });
  let y = top + c.rows.length * rowH + 8;
  for (const n of notes) out.push(text(8, (y += 15) - 4, n, 'fill="#333"'));
  for (const n of captions) out.push(text(8, (y += 15) - 4, n, 'fill="#666" font-size="11"'));
  out.push('</svg>', '');
  return out.join('\n');
}

/** The file name of each chart of a bench: BENCH.svg alone, BENCH-ID.svg when there are several. */
export function chartFiles(j: Pick<BenchJson, 'bench' | 'charts'>): string[] {
  return j.charts.map((c, i) =>
    j.charts.length === 1 && !c.id ? `${j.bench}.svg` : `${j.bench}-${c.id ?? String(i + 1)}.svg`,
  );
}

/** The dataplane bench's medians as its chart: plain forwarding, tens of times the others, named, not drawn. */
export function dataplaneChart(
  rows: { name: string; tcpMbps: number; udpMbps: number }[],
  rounds: number,
  seconds: number,
): BenchChart {
  const plain = rows.find((r) => r.name === 'plain');
  return {
    title: `iperf3 through two gateways (medians of ${rounds} × ${seconds} s)`,
    unit: 'Mbit/s, higher is better',
    series: ['TCP', 'UDP received'],
    rows: rows.filter((r) => r !== plain).map((r) => ({ label: r.name, values: [r.tcpMbps, r.udpMbps] })),
    ...(plain
      ? {
          note: `plain forwarding, no IPsec (not drawn): TCP ${fmtValue(plain.tcpMbps)}, UDP ${fmtValue(plain.udpMbps)}`,
        }
      : {}),
  };
}
