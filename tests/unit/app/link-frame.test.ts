// app/pcap/link-frame.ts: Ethernet II with 802.1Q/802.1ad tags, non-IP frames, Ethernet padding.
import { strict as assert } from 'node:assert';
import { joinFrame, splitFrame } from '../../../app/pcap/link-frame.js';
import { LINKTYPE_ETHERNET, LINKTYPE_RAW } from '../../../app/pcap/pcap-file.js';

const IPV4 = Uint8Array.from([0x45, 0, 0, 20, 0, 1, 0, 0, 64, 17, 0, 0, 192, 0, 2, 1, 192, 0, 2, 2]);
const MACS = [2, 0, 0, 0, 0, 2, 2, 0, 0, 0, 0, 1];

describe('app/pcap/link-frame', () => {
  it('raw: the whole record is the IP packet', () => {
    const s = splitFrame(LINKTYPE_RAW, IPV4);
    assert.equal(s.kind, 'ip');
    if (s.kind === 'ip') {
      assert.equal(s.link.length, 0);
      assert.deepEqual(s.ip, IPV4);
    }
  });

  it('Ethernet with two VLAN tags and padding: header, packet and trailer; join puts a new packet under the same header', () => {
    const frame = Uint8Array.from([
      ...MACS,
      0x88,
      0xa8,
      0,
      10,
      0x81,
      0x00,
      0,
      20,
      0x08,
      0x00,
      ...IPV4,
      0,
      0,
      0,
      0,
      0,
      0,
    ]);
    const s = splitFrame(LINKTYPE_ETHERNET, frame);
    assert.equal(s.kind, 'ip');
    if (s.kind !== 'ip') return;
    assert.equal(s.link.length, 22);
    assert.deepEqual(s.ip, IPV4);
    assert.equal(s.trailer.length, 6);
    const v6 = new Uint8Array(40);
    v6[0] = 0x60;
    const j = joinFrame(LINKTYPE_ETHERNET, s.link, v6);
    assert.deepEqual([...j.subarray(20, 22)], [0x86, 0xdd], "EtherType follows the new packet's version");
    assert.deepEqual([...j.subarray(0, 20)], [...frame.subarray(0, 20)]);
  });

  it('ARP, short frames and unknown link types are "other"', () => {
    assert.deepEqual(splitFrame(LINKTYPE_ETHERNET, Uint8Array.from([...MACS, 0x08, 0x06, 0, 1])), {
      kind: 'other',
      why: 'EtherType 0x0806',
    });
    assert.deepEqual(splitFrame(LINKTYPE_ETHERNET, Uint8Array.from([1, 2, 3])), {
      kind: 'other',
      why: 'short Ethernet header',
    });
    assert.deepEqual(splitFrame(113, IPV4), { kind: 'other', why: 'link type 113' });
  });
});
