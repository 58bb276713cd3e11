// --wireshark-keys into an existing esp_sa file: the user's records and comments stay, ours are added or
// replace the record with the same addresses and SPI, and a file that is not an esp_sa table is refused.
import { strict as assert } from 'node:assert';
import { espSaRecord, espSaTable, mergeEspSaTable } from '../../../app/pcap/wireshark-keys.js';
import { makeSa } from '../ipsec/esp-support.js';

const a = makeSa({ enc: 'aes-cbc', auth: 'hmac-sha256', spi: 0x1000 });
const b = makeSa({ enc: 'aes-cbc', auth: 'hmac-sha256', spi: 0x2000, src: '192.0.2.2', dst: '192.0.2.1' });
const user = '"IPv4","198.51.100.1","198.51.100.2","0x0000abcd","NULL","","NULL",""';

describe('wireshark esp_sa table merge', () => {
  it('writes the whole table into an empty or missing file', () => {
    const m = mergeEspSaTable('', [a, b]);
    assert.deepEqual(m, { ok: true, text: espSaTable([a, b]), added: 2, replaced: 0, kept: 0 });
  });

  it("keeps the user's records and comments, appends new SAs", () => {
    const m = mergeEspSaTable(`# mine\n${user}\n`, [a, b]);
    assert.ok(m.ok);
    assert.equal(m.text, `# mine\n${user}\n${espSaRecord(a)}\n${espSaRecord(b)}\n`);
    assert.deepEqual([m.added, m.replaced, m.kept], [2, 0, 1]);
  });

  it('replaces the record with the same addresses and SPI where it stands (new keys)', () => {
    const old = espSaRecord(makeSa({ enc: 'aes-cbc', auth: 'hmac-sha256', spi: 0x1000, encKey: new Uint8Array(16) }));
    assert.notEqual(old, espSaRecord(a));
    const m = mergeEspSaTable(`${old}\n${user}\n`, [a]);
    assert.ok(m.ok);
    assert.equal(m.text, `${espSaRecord(a)}\n${user}\n`);
    assert.deepEqual([m.added, m.replaced, m.kept], [0, 1, 1]);
  });

  it('refuses a file that is not an esp_sa table, naming the first foreign line', () => {
    assert.deepEqual(mergeEspSaTable(`# ok\n${user}\nspdadd 10.0.0.1 10.0.0.2 any -P out none;\n`, [a]), {
      ok: false,
      line: 3,
    });
  });
});
