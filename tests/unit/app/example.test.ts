// examples/embed-host.ts (the runnable example of docs/api.md) runs and shows what it claims.
import { strict as assert } from 'node:assert';
import { main } from '../../../examples/embed-host.js';

describe('examples/embed-host', () => {
  it('delivers the datagram through ESP SPI 0x700 and prints the tables read over PF_KEY', async () => {
    let out = '';
    await main((s) => {
      out += s;
    });
    assert.match(out, /^b received: hello, protected world \(from \d+, via esp spi 0x700\)\n/);
    assert.match(out, /192\.168\.7\.1 > 192\.168\.7\.2 +esp +transport +0x00000700 +mature +aes-gcm-16 +1 +\d+ /);
    assert.match(out, /192\.168\.7\.1\/32 > 192\.168\.7\.2\/32 +udp +out ipsec esp\/transport\/\/require/);
    assert.match(out, /esps_output +1\n/);
  });
});
