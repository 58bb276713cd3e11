// End to end with setkey's printer: SAs and policies installed through keysock, dumped by keysock, and
// printed by setkey (setkey/from-pfkey.ts) must match the hand-written ipsec-tools golden files
// (tests/fixtures/setkey, each naming its pfkey_dump.c source).
import assert from 'node:assert/strict';
import * as C from '../../../pfkey/constants.js';
import { KeySock } from '../../../kernel/keysock/keysock.js';
import { formatReplies } from '../../../setkey/from-pfkey.js';
import { golden } from '../setkey/fixtures.js';
import { bareKernel, msg, openRec, saMsg, spMsg } from './support.js';

const T0 = 1704459662; // Jan  5 13:01:02 2024 UTC, the golden files' creation time
const ascii = (s: string) => ({ bits: s.length * 8, key: new Uint8Array(Buffer.from(s, 'latin1')) });

function kernelAt(sec: number) {
  const k = bareKernel();
  k.clock.advance(sec * 1000 - k.clock.now());
  return k;
}

describe('keysock dumps printed by setkey match the ipsec-tools golden files', () => {
  it('setkey -D: ESP transport, AES-128-CBC + HMAC-SHA1 (sa-esp-transport.txt)', () => {
    const k = kernelAt(T0);
    const a = openRec(new KeySock(k));
    a.send(
      saMsg({
        spi: 4096,
        replay: 0,
        seq: 1,
        pid: 4242,
        encKey: ascii('1234567890123456'),
        authKey: ascii('12345678901234567890'),
      }),
    );
    a.clear();
    a.send(msg(C.SADB_DUMP, C.SADB_SATYPE_UNSPEC, {}, 1, 4242));
    // The golden file shows sadb_seq=1; a dump of one SA counts down to 0 (KAME key_dump: --cnt).
    const expected = golden('sa-esp-transport.txt').replace('sadb_seq=1 ', 'sadb_seq=0 ');
    assert.equal(formatReplies(a.msgs(), { nowSec: T0 + 7 }), expected);
  });

  it('setkey -DP: out esp/transport//require (spd-transport.txt)', () => {
    const k = kernelAt(T0);
    const a = openRec(new KeySock(k));
    a.send(spMsg({ src: '10.0.0.1', dst: '10.0.0.2', pid: 4242 }));
    a.clear();
    a.send(msg(C.SADB_X_SPDDUMP, 0, {}, 1, 4242));
    assert.equal(formatReplies(a.msgs(), { nowSec: T0 + 7 }), golden('spd-transport.txt'));
  });

  it('an empty table prints setkey\'s "No SAD entries." / "No SPD entries."', () => {
    const a = openRec(new KeySock(kernelAt(T0)));
    a.send(msg(C.SADB_DUMP, 0));
    a.send(msg(C.SADB_X_SPDDUMP, 0));
    assert.equal(formatReplies(a.msgs(), { nowSec: T0 }), 'No SAD entries.\nNo SPD entries.\n');
  });
});
