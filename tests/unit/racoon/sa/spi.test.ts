// SPI conversions between IKE payload bytes and PF_KEY numbers (RFC 2367 §2.3.1): big-endian both ways,
// 4-byte SPIs and 2-byte IPComp CPIs, the high bit kept (no sign), and racoon's log form.
import { strict as assert } from 'node:assert';
import * as P from '../../../../pfkey/constants.js';
import type { PfkeyMessage } from '../../../../pfkey/msg.js';
import { sadbSpi, spiBytes, spiHex, spiNumber } from '../../../../racoon/sa/spi.js';

describe('racoon sa: SPI conversions', () => {
  it('4-byte SPIs and 2-byte CPIs, big-endian, unsigned', () => {
    assert.deepEqual([...spiBytes(0xdeadbeef, 4)], [0xde, 0xad, 0xbe, 0xef]);
    assert.deepEqual([...spiBytes(0x1234, 2)], [0x12, 0x34]);
    assert.equal(spiNumber(Uint8Array.of(0xde, 0xad, 0xbe, 0xef)), 0xdeadbeef);
    assert.equal(spiNumber(Uint8Array.of(0x01, 0x23)), 0x123);
    for (const v of [0, 1, 0x100, 0x7fffffff, 0x80000000, 0xffffffff]) assert.equal(spiNumber(spiBytes(v, 4)), v);
  });

  it('an empty SPI is refused (RangeError), as Buffer.readUIntBE does', () => {
    assert.throws(() => spiNumber(new Uint8Array(0)), RangeError);
  });

  it('the SA extension of a PF_KEY message, unsigned; undefined without one', () => {
    const m = (spi?: number) =>
      ({
        msg: { type: P.SADB_EXPIRE },
        ext: spi === undefined ? {} : { sa: { spi, replay: 0, state: 0, auth: 0, encrypt: 0, flags: 0 } },
      }) as unknown as PfkeyMessage;
    assert.equal(sadbSpi(m(0xc0000001)), 0xc0000001);
    assert.equal(sadbSpi(m(-1)), 0xffffffff);
    assert.equal(sadbSpi(m()), undefined);
    assert.equal(spiHex(0xc0000001), '0xc0000001');
  });
});
