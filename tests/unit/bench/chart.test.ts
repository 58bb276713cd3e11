// bench/chart.ts: a chart drawn from a fixed bench JSON has one bar per figure, bar lengths in proportion to
// the values (the largest spans the plot), every label and value printed, names escaped, the machine and
// load in the caption; the dataplane rows become a chart with plain forwarding named, not drawn.
import { strict as assert } from 'node:assert';
import { chartFiles, dataplaneChart, escapeXml, fmtValue, renderChart } from '../../../bench/chart.js';
import type { BenchJson } from '../../../bench/harness.js';

const json: BenchJson = {
  bench: 'esp',
  date: '2026-12-07T00:00:00.000Z',
  machine: '2 × AMD EPYC',
  node: 'v20.20.2',
  loadavg: [17.5, 16, 15],
  loadStart: 18.25,
  charts: [
    {
      title: 'ESP encap <1400 B>',
      unit: 'µs of CPU per packet, lower is better',
      series: ['evp', 'node & raw'],
      rows: [
        { label: 'AES-128-GCM', values: [80, 40] },
        { label: 'CBC "+" HMAC', values: [20, 10] },
      ],
      note: 'ratio = × the evp figure',
    },
  ],
};
const chart = json.charts[0]!;

const bars = (svg: string): number[] =>
  [...svg.matchAll(/<rect class="bar" x="\d+" y="\d+" width="([\d.]+)"/g)].map((m) => Number(m[1]));

describe('bench/chart: SVG bar charts from a bench JSON', () => {
  it('draws each figure as a bar whose length is proportional to its value', () => {
    const svg = renderChart(chart, json);
    const w = bars(svg);
    assert.equal(w.length, 4);
    const [a, b, c, d] = w as [number, number, number, number];
    assert.ok(Math.abs(b / a - 0.5) < 0.01 && Math.abs(c / a - 0.25) < 0.01 && Math.abs(d / a - 0.125) < 0.01, `${w}`);
    for (const v of ['80.0', '40.0', '20.0', '10.0']) assert.ok(svg.includes(`>${v}</text>`), v);
    assert.equal([...svg.matchAll(/<rect class="key"/g)].length, 2, 'a legend entry per series');
  });

  it('escapes titles, series and labels', () => {
    const svg = renderChart(chart, json);
    assert.ok(svg.includes('ESP encap &lt;1400 B&gt;') && !svg.includes('<1400'));
    assert.ok(svg.includes('>node &amp; raw</text>') && svg.includes('CBC &quot;+&quot; HMAC'));
    assert.equal(escapeXml(`<a href='x'>&</a>`), '&lt;a href=&apos;x&apos;&gt;&amp;&lt;/a&gt;');
    assert.ok(svg.startsWith('<svg') && svg.trimEnd().endsWith('</svg>'));
  });

  it('prints the machine, Node, load and date in the caption, and the note', () => {
    const svg = renderChart(chart, json);
    assert.ok(svg.includes('2 × AMD EPYC, Node v20.20.2, load average 18.3 → 17.5 (1 min), 2026-12-07'), svg);
    assert.ok(svg.includes('>ratio = × the evp figure</text>'));
    const noStart = renderChart(chart, { ...json, loadStart: undefined });
    assert.ok(noStart.includes('load average 17.5 16.0 15.0,'));
  });

  it('marks a missing or non-finite figure n/a with a 1-pixel bar', () => {
    const svg = renderChart({ ...chart, rows: [{ label: 'x', values: [null, NaN] }] }, json);
    assert.deepEqual(bars(svg), [1, 1]);
    assert.ok(!svg.includes('NaN') && [...svg.matchAll(/>n\/a<\/text>/g)].length === 2);
    assert.equal(fmtValue(1234.5), '1235');
    assert.equal(fmtValue(0.04567), '0.046');
  });

  it('names one chart BENCH.svg and several BENCH-ID.svg', () => {
    assert.deepEqual(chartFiles(json), ['esp.svg']);
    assert.deepEqual(chartFiles({ bench: 'b', charts: [{ ...chart, id: 'encap' }, chart] }), [
      'b-encap.svg',
      'b-2.svg',
    ]);
  });

  it('draws the dataplane rows with plain forwarding named under the chart, not drawn', () => {
    const c = dataplaneChart(
      [
        { name: 'plain', tcpMbps: 2000, udpMbps: 90 },
        { name: 'strongswan', tcpMbps: 80, udpMbps: 20 },
      ],
      2,
      3,
    );
    assert.deepEqual(c.rows, [{ label: 'strongswan', values: [80, 20] }]);
    const svg = renderChart(c, json);
    assert.equal(bars(svg).length, 2);
    assert.ok(svg.includes('TCP 2000, UDP 90.0'));
  });
});
