// racoon's SA text in log lines (ipsec-tools pfkey.c sadbsecas2str), which log watchers grep.
import { strict as assert } from 'node:assert';
import { parseAddr } from '../../../../common/inet.js';
import * as P from '../../../../pfkey/constants.js';
import { saText } from '../../../../racoon/sa/sa-text.js';

const end = (a: string, port: number) => ({ addr: parseAddr(a)!, port });

describe('racoon/sa/sa-text', () => {
  it('PROTO/Mode SRC[PORT]->DST[PORT] spi=DECIMAL(0xhex), as ipsec-tools prints it', () => {
    assert.equal(
      saText(P.SADB_SATYPE_ESP, 'transport', end('10.0.0.2', 500), end('10.0.0.1', 500), 0xc86b1e0f),
      'ESP/Transport 10.0.0.2[500]->10.0.0.1[500] spi=3362463247(0xc86b1e0f)',
    );
    assert.equal(
      saText(P.SADB_SATYPE_AH, P.IPSEC_MODE_TUNNEL, end('2001:db8::1', 4500), end('2001:db8::2', 4500), 0x100),
      'AH/Tunnel 2001:db8::1[4500]->2001:db8::2[4500] spi=256(0x100)',
    );
    assert.equal(
      saText(P.SADB_X_SATYPE_IPCOMP, undefined, end('10.0.0.1', 0), end('10.0.0.2', 0), 0x1234),
      'IPCOMP/Any 10.0.0.1[0]->10.0.0.2[0] spi=4660(0x1234)',
    );
  });

  it('an SPI with the top bit set prints unsigned', () => {
    assert.match(
      saText(P.SADB_SATYPE_ESP, 'tunnel', end('10.0.0.1', 0), end('10.0.0.2', 0), -1),
      / spi=4294967295\(0xffffffff\)$/,
    );
  });
});
