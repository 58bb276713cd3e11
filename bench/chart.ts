// Draws the dataplane bench's medians (bench/dataplane.bench.ts writes them as JSON) as an SVG bar chart for
// docs/performance.md: for each set-up, TCP and UDP-received Mbit/s side by side, the value at the end of each
// bar. Plain SVG text, no dependency. Usage:
//
//   node dist/bench/chart.js bench-out/dataplane.json docs/img/dataplane.svg
import { readFileSync, writeFileSync } from 'node:fs';

export interface ChartRow {
  name: string;
  tcpMbps: number;
  udpMbps: number;
}

export interface ChartInput {
  date: string;
  rounds: number;
  seconds: number;
  loadavg: number[];
  rows: ChartRow[];
}

const ROW_H = 44;
const BAR_H = 16;
const LEFT = 110;
const WIDTH = 640;
const TOP = 46;
const COLORS = { tcp: '#3566a8', udp: '#d98c2b' };

function esc(s: string): string {
  return s.replace(/[<>&"]/g, (c) => ({ '<': '&lt;', '>': '&gt;', '&': '&amp;', '"': '&quot;' })[c]!);
}

/** One bar; a missing figure (a failed run: NaN) is a 1-pixel bar labelled n/a. */
function bar(y: number, value: number, max: number, color: string): string {
  const ok = Number.isFinite(value);
  const w = ok && max > 0 ? Math.max(1, ((WIDTH - LEFT - 70) * value) / max) : 1;
  return (
    `<rect x="${LEFT}" y="${y}" width="${w.toFixed(1)}" height="${BAR_H}" fill="${color}"/>` +
    `<text x="${(LEFT + w + 4).toFixed(1)}" y="${y + BAR_H - 4}">${ok ? value.toFixed(1) : 'n/a'}</text>`
  );
}

/** The SVG text of the chart. */
export function renderChart(d: ChartInput): string {
  // Plain forwarding (no IPsec) is the machine's ceiling, tens of times the others: named, not drawn.
  const plain = d.rows.find((r) => r.name === 'plain');
  const rows = d.rows.filter((r) => r !== plain);
  const max = Math.max(...rows.flatMap((r) => [r.tcpMbps, r.udpMbps]).filter(Number.isFinite), 0);
  const height = TOP + rows.length * ROW_H + (plain ? 24 : 10);
  const load = d.loadavg.map((x) => x.toFixed(1)).join(' ');
  const title = `iperf3 through two gateways, Mbit/s (medians of ${d.rounds} × ${d.seconds} s; load ${load})`;
  const parts = [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${WIDTH}" height="${height}" font-family="sans-serif" font-size="12">`,
    `<rect width="100%" height="100%" fill="#fff"/>`,
    `<text x="8" y="16" font-weight="bold">${esc(title)}</text>`,
    `<rect x="${LEFT}" y="26" width="10" height="10" fill="${COLORS.tcp}"/><text x="${LEFT + 14}" y="35">TCP</text>`,
    `<rect x="${LEFT + 60}" y="26" width="10" height="10" fill="${COLORS.udp}"/>` +
      `<text x="${LEFT + 74}" y="35">UDP received</text>`,
  ];
  rows.forEach((r, i) => {
    const y = TOP + i * ROW_H;
    parts.push(`<text x="8" y="${y + BAR_H + 6}">${esc(r.name)}</text>`);
    parts.push(bar(y, r.tcpMbps, max, COLORS.tcp), bar(y + BAR_H + 2, r.udpMbps, max, COLORS.udp));
  });
  if (plain)
    parts.push(
      `<text x="8" y="${TOP + rows.length * ROW_H + 10}" fill="#555">plain forwarding, no IPsec (not drawn): ` +
        `TCP ${plain.tcpMbps.toFixed(1)}, UDP ${plain.udpMbps.toFixed(1)} Mbit/s</text>`,
    );
  parts.push('</svg>', '');
  return parts.join('\n');
}

function main(argv: string[]): void {
  const [input, output] = argv;
  if (!input || !output) {
    console.error('usage: node dist/bench/chart.js BENCH.json OUT.svg');
    process.exitCode = 2;
    return;
  }
  writeFileSync(output, renderChart(JSON.parse(readFileSync(input, 'utf8')) as ChartInput));
}

if (process.argv[1]?.endsWith('chart.js')) main(process.argv.slice(2));
