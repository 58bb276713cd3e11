// Replay-window encoding (FreeBSD setkey -r / key_setsaval): bytes of bitmap in sadb_sa_replay up to 255,
// SADB_X_EXT_SA_REPLAY in packets beyond that.
import { strict as assert } from 'node:assert';
import { SADB_X_EXT_OLD } from '../../../pfkey/constants.js';
import { replayWindowFromWire, replayWindowToWire } from '../../../pfkey/replay-window.js';

const sa = (replay: number, flags = 0) => ({ spi: 0x1000, replay, state: 1, auth: 0, encrypt: 0, flags });

describe('pfkey replay window on the wire', () => {
  const toWire: [number, number, number | undefined][] = [
    [0, 0, undefined],
    [4, 4, undefined],
    [255, 255, undefined],
    [256, 255, 2048],
    [512, 255, 4096],
  ];
  for (const [bytes, saReplay, packets] of toWire) {
    it(`a ${bytes}-byte window -> sadb_sa_replay ${saReplay}${packets ? `, SA_REPLAY ${packets} packets` : ''}`, () => {
      const w = replayWindowToWire(bytes);
      assert.equal(w.saReplay, saReplay);
      assert.equal(w.saReplayExt?.replay, packets);
      assert.equal(replayWindowFromWire(sa(w.saReplay), w.saReplayExt), bytes, 'round trip');
    });
  }
  it('SA_REPLAY packets round up to whole bytes (key_setsaval: (replay + 7) >> 3)', () => {
    assert.equal(replayWindowFromWire(sa(4), { replay: 100 }), 13);
    assert.equal(replayWindowFromWire(sa(4), { replay: 64 }), 8);
  });
  it('old-format SAs have no window unless SA_REPLAY says so', () => {
    assert.equal(replayWindowFromWire(sa(4, SADB_X_EXT_OLD)), 0);
    assert.equal(replayWindowFromWire(sa(4, SADB_X_EXT_OLD), { replay: 32 }), 4);
  });
});
