// bench/chart.ts: the SVG drawn from the dataplane bench's JSON has one bar per figure, bar lengths in
// proportion to the values (the largest spans the plot), the values printed, and names escaped.
import { strict as assert } from 'node:assert';
import { renderChart, type ChartInput } from '../../../bench/chart.js';

const input: ChartInput = {
  date: '2026-12-07T00:00:00Z',
  rounds: 2,
  seconds: 3,
  loadavg: [17.5, 16, 15],
  rows: [
    { name: 'strongswan', tcpMbps: 80, udpMbps: 20 },
    { name: 'uipsec <tun>', tcpMbps: 40, udpMbps: 10 },
  ],
};

describe('bench/chart: the dataplane SVG', () => {
  it('draws each figure as a bar whose length is proportional to its value', () => {
    const svg = renderChart(input);
    const widths = [...svg.matchAll(/<rect x="\d+" y="\d+" width="([\d.]+)" height="16"/g)].map((m) => Number(m[1]));
    assert.equal(widths.length, 4);
    const [tcpA, udpA, tcpB, udpB] = widths as [number, number, number, number];
    assert.ok(Math.abs(tcpB / tcpA - 0.5) < 0.01, `${tcpB}/${tcpA}`);
    assert.ok(Math.abs(udpA / tcpA - 0.25) < 0.01, `${udpA}/${tcpA}`);
    assert.ok(Math.abs(udpB / tcpA - 0.125) < 0.01, `${udpB}/${tcpA}`);
    for (const v of ['80.0', '40.0', '20.0', '10.0']) assert.ok(svg.includes(`>${v}</text>`), v);
    assert.ok(svg.includes('load 17.5 16.0 15.0'));
  });

  it('names plain forwarding below the chart instead of drawing it off the scale', () => {
    const svg = renderChart({ ...input, rows: [{ name: 'plain', tcpMbps: 2000, udpMbps: 90 }, ...input.rows] });
    assert.equal([...svg.matchAll(/height="16"/g)].length, 4);
    assert.ok(svg.includes('TCP 2000.0, UDP 90.0 Mbit/s'));
    assert.ok(svg.includes('>80.0</text>'));
  });

  it('escapes names and survives an empty or non-finite figure', () => {
    const svg = renderChart({ ...input, rows: [{ name: 'a&b', tcpMbps: NaN, udpMbps: 0 }] });
    assert.ok(svg.includes('a&amp;b') && !svg.includes('a&b'));
    assert.ok(!svg.includes('NaN') && svg.includes('>n/a</text>'));
    assert.ok(svg.startsWith('<svg') && svg.trimEnd().endsWith('</svg>'));
  });
});
