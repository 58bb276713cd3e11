// Vendor ids: values pinned to their published sources, and recognition of received ids by prefix.
import { strict as assert } from 'node:assert';
import { hex } from '../support/codec-check.js';
import {
  identifyVendorId,
  KNOWN_VENDOR_IDS,
  NATT_VENDOR_IDS,
  VENDORID_DPD,
  VENDORID_FRAG,
  VENDORID_NATT_RFC,
  VENDORID_UNITY,
  VENDORID_XAUTH,
} from '../../../../racoon/isakmp/vendor-ids.js';

const h = (b: Uint8Array) => Buffer.from(b).toString('hex');

describe('racoon/isakmp vendor ids', () => {
  it('match their published values', () => {
    assert.equal(h(VENDORID_NATT_RFC.vid), '4a131c81070358455c5728f20e95452f'); // RFC 3947 §3.1
    assert.equal(h(VENDORID_DPD.vid), 'afcad71368a1f1c96b8696fc77570100'); // RFC 3706 §5
    assert.equal(h(VENDORID_XAUTH.vid), '09002689dfd6b712'); // draft-ietf-ipsra-isakmp-xauth, as Wireshark knows it
    assert.equal(h(VENDORID_UNITY.vid), '12f5f28c457168a9702d9fe274cc0100');
    assert.equal(h(VENDORID_FRAG.vid), '4048b7d56ebce88525e7de7f00d6c2d380000000');
    assert.deepEqual(
      NATT_VENDOR_IDS.map((k) => k.name),
      ['RFC 3947', 'draft-ietf-ipsec-nat-t-ike-02\\n', 'draft-ietf-ipsec-nat-t-ike-02'],
    );
    assert.equal(new Set(KNOWN_VENDOR_IDS.map((k) => h(k.vid))).size, KNOWN_VENDOR_IDS.length);
  });

  it('recognises received ids, with version/capability tails where the id has one', () => {
    for (const k of KNOWN_VENDOR_IDS) assert.equal(identifyVendorId(k.vid), k.name);
    assert.equal(identifyVendorId(hex('afcad71368a1f1c96b8696fc77570101')), 'DPD'); // another DPD version
    assert.equal(identifyVendorId(hex('4048b7d56ebce88525e7de7f00d6c2d3')), 'FRAGMENTATION'); // Windows: no capability word
    assert.equal(identifyVendorId(hex('12f5f28c457168a9702d9fe274cc0200')), 'CISCO-UNITY');
    assert.equal(identifyVendorId(hex('4a131c81070358455c5728f20e95452f00')), undefined); // a hash id must be exact
    assert.equal(identifyVendorId(hex('1e2b516905991c7d7c96fcbfb587e46100000009')), undefined); // MS NT5: not ours
    assert.equal(identifyVendorId(hex('afcad713')), undefined);
  });
});
