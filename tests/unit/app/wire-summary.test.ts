// app/wire-summary.ts: summaries of hand-built ESP, AH, IPComp, ESP-in-UDP and IKE frames (field offsets
// from RFC 4303 §2, RFC 4302 §2, RFC 3173 §2.2, RFC 3948 §2), and a fixed-seed fuzz: never throws.
import { strict as assert } from 'node:assert';
import fc from 'fast-check';
import { summarizeFrame, containsBytes, spiHex } from '../../../app/wire-summary.js';
import { formatTable } from '../../../app/table.js';

/** An IPv4 header (checksum computed by RFC 1071) followed by `payload`. */
function ipv4(proto: number, payload: number[]): Uint8Array {
  const h = [0x45, 0, 0, 0, 0, 1, 0, 0, 64, proto, 0, 0, 10, 0, 0, 1, 10, 0, 0, 2];
  const len = 20 + payload.length;
  h[2] = len >> 8;
  h[3] = len & 255;
  let sum = 0;
  for (let i = 0; i < 20; i += 2) sum += (h[i]! << 8) | h[i + 1]!;
  while (sum > 0xffff) sum = (sum & 0xffff) + (sum >> 16);
  const c = ~sum & 0xffff;
  h[10] = c >> 8;
  h[11] = c & 255;
  return Uint8Array.from([...h, ...payload]);
}

describe('app/wire-summary and app/table', () => {
  it('ESP: SPI and sequence number from the first 8 bytes', () => {
    const s = summarizeFrame(ipv4(50, [0, 0, 0x10, 0x01, 0, 0, 0, 7, 1, 2, 3, 4]));
    assert.deepEqual(
      { p: s.proto, spi: s.spi, seq: s.seq, src: s.src, dst: s.dst },
      { p: 'ESP', spi: 0x1001, seq: 7, src: '10.0.0.1', dst: '10.0.0.2' },
    );
  });
  it('AH: SPI at +4, sequence at +8', () => {
    const s = summarizeFrame(ipv4(51, [17, 4, 0, 0, 0, 0, 0x20, 0x02, 0, 0, 0, 3, ...new Array(12).fill(0)]));
    assert.deepEqual([s.proto, s.spi, s.seq], ['AH', 0x2002, 3]);
  });
  it('IPComp: CPI at +2', () => {
    const s = summarizeFrame(ipv4(108, [17, 0, 0, 2, 9, 9]));
    assert.deepEqual([s.proto, s.cpi], ['IPComp', 2]);
  });
  it('UDP 4500: ESP-in-UDP with a non-zero first word, IKE behind the zero marker; UDP 500 is IKE', () => {
    const udp = (sp: number, dp: number, body: number[]) =>
      ipv4(17, [sp >> 8, sp & 255, dp >> 8, dp & 255, 0, 8 + body.length, 0, 0, ...body]);
    const e = summarizeFrame(udp(4500, 4500, [0, 0, 0, 9, 0, 0, 0, 1]));
    assert.deepEqual([e.proto, e.spi, e.seq], ['ESP-in-UDP', 9, 1]);
    assert.equal(summarizeFrame(udp(4500, 4500, [0, 0, 0, 0, 1, 2, 3, 4])).proto, 'IKE');
    assert.equal(summarizeFrame(udp(500, 500, [1, 2, 3, 4])).proto, 'IKE');
    assert.equal(summarizeFrame(udp(1234, 5000, [1])).proto, 'UDP');
  });
  it('malformed headers are summarised, not thrown; fuzz with a fixed seed', () => {
    assert.equal(summarizeFrame(Uint8Array.from([0x45, 0, 0])).proto, 'malformed');
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 80 }), (b) => {
        summarizeFrame(b);
      }),
      { seed: 0x5a, numRuns: 5_000 },
    );
  });
  it('helpers: spiHex, containsBytes, formatTable aligns columns and right-aligns numbers', () => {
    assert.equal(spiHex(0x1001), '0x00001001');
    assert.ok(containsBytes(Uint8Array.from([1, 2, 3, 4]), Uint8Array.from([3, 4])));
    assert.ok(!containsBytes(Uint8Array.from([1, 2, 3]), Uint8Array.from([3, 4])));
    assert.equal(
      formatTable(
        ['a', 'num'],
        [
          ['xyz', 5],
          ['b', 123],
        ],
      ),
      '  a    num\n  ---  ---\n  xyz    5\n  b    123\n',
    );
  });
});
