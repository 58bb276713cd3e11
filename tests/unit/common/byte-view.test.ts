import { strict as assert } from 'node:assert';
import { byteView } from '../../../common/byte-view.js';

describe('common/byte-view', () => {
  it('views the same memory as the source, at the source-relative offset', () => {
    // A small Buffer lives inside Node's shared pool, so its byteOffset is usually not 0.
    const pad = Buffer.allocUnsafe(3);
    const buf = Buffer.from([10, 11, 12, 13, 14, 15, 16, 17]);
    const v = byteView(buf, 2, 4);
    assert.ok(!Buffer.isBuffer(v) && v instanceof Uint8Array);
    assert.deepEqual([...v], [12, 13, 14, 15]);
    v[0] = 99;
    assert.equal(buf[2], 99);
    buf[5] = 55;
    assert.equal(v[3], 55);
    assert.equal(byteView(buf, 8, 0).length, 0);
    void pad;
  });

  it('throws RangeError past the end of the underlying ArrayBuffer', () => {
    const u = new Uint8Array(new ArrayBuffer(16), 4, 8);
    assert.deepEqual(byteView(u, 0, 8).byteOffset, 4);
    assert.throws(() => byteView(u, 8, 8), RangeError);
  });
});
