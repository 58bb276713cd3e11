// The UPDATE/ADD pair racoon sends after quick mode (racoon pk_sendupdate / pk_sendadd): directions, SPIs,
// algorithm numbers, key sizes split from KEYMAT, lifetimes (soft 80%), replay window, NAT-T extensions,
// each accepted by the PF_KEY user-message checks and surviving encode/decode.
import { strict as assert } from 'node:assert';
import * as P from '../../../../pfkey/constants.js';
import { checkUserMessage, decodeMessage, encodeMessage } from '../../../../pfkey/index.js';
import { PfkeyClient } from '../../../../pfkey/client.js';
import { PfkeyBridge } from '../../../../racoon/sa/pfkey-bridge.js';
import * as C from '../../../../racoon/isakmp/constants.js';
import { sadbAlgsOf, type Ph2Sa } from '../../../../racoon/ikev1/ph2/proposal.js';
import type { SaPairKeys } from '../../../../racoon/sa/sa-pair.js';
import { nullLogger } from '../../../../common/log.js';

const me = { addr: new Uint8Array([192, 0, 2, 1]), port: 500 };
const peer = { addr: new Uint8Array([192, 0, 2, 2]), port: 500 };

function bridge(): PfkeyBridge {
  const transport = { send() {}, onMessage() {}, onClose() {}, close() {} };
  return new PfkeyBridge(
    new PfkeyClient(transport, { pid: 7, firstSeq: 1 }),
    { acquire() {}, expire() {}, deleted() {}, flushed() {} },
    nullLogger,
  );
}

function keys(
  protoId: number,
  transformId: number,
  authAttr: number | undefined,
  keyBits: number | undefined,
  enc: number,
  auth: number,
): SaPairKeys {
  const k = (n: number, v: number) => new Uint8Array(n).fill(v);
  const sa: Ph2Sa = {
    protoId,
    transformId,
    authAttr,
    keyBits,
    mode: 'tunnel',
    udpEncap: false,
    mySpi: new Uint8Array([0, 0, 0x12, 0x34]),
    peerSpi: new Uint8Array([0, 0, 0x56, 0x78]),
    reqid: 5,
  };
  // The IKEv1 transform as PF_KEY algorithms (what quick mode's ph2Keys hands the bridge).
  return {
    algs: sadbAlgsOf(sa)!,
    mode: sa.mode,
    reqid: sa.reqid,
    inbound: { spi: new Uint8Array([0, 0, 0x12, 0x34]), encKey: k(enc, 1), authKey: k(auth, 2) },
    outbound: { spi: new Uint8Array([0, 0, 0x56, 0x78]), encKey: k(enc, 3), authKey: k(auth, 4) },
  };
}

describe('racoon PF_KEY bridge: UPDATE (inbound) and ADD (outbound)', () => {
  it('ESP AES-CBC-256 + HMAC-SHA-256, tunnel, with NAT-T', () => {
    const [upd, add] = bridge().saMessages(
      keys(C.IPSECDOI_PROTO_IPSEC_ESP, C.IPSECDOI_ESP_AES, C.IPSECDOI_ATTR_AUTH_HMAC_SHA2_256, 256, 32, 32),
      me,
      peer,
      3600,
      { localPort: 4500, remotePort: 4501 },
    );
    for (const m of [upd!, add!]) {
      assert.equal(checkUserMessage(m), undefined);
      const back = decodeMessage(encodeMessage(m));
      assert.equal(back.msg.satype, P.SADB_SATYPE_ESP);
      assert.equal(back.ext.sa!.encrypt, P.SADB_X_EALG_AESCBC);
      assert.equal(back.ext.sa!.auth, P.SADB_X_AALG_SHA2_256);
      assert.equal(back.ext.sa!.replay, 4);
      assert.equal(back.ext.keyEncrypt!.bits, 256);
      assert.equal(back.ext.keyAuth!.bits, 256);
      assert.equal(back.ext.sa2!.mode, P.IPSEC_MODE_TUNNEL);
      assert.equal(back.ext.sa2!.reqid, 5);
      assert.equal(back.ext.lifetimeHard!.addtime, 3600n);
      assert.equal(back.ext.lifetimeSoft!.addtime, 2880n);
      assert.equal(back.ext.natTType!.type, P.UDP_ENCAP_ESPINUDP);
    }
    assert.equal(upd!.msg.type, P.SADB_UPDATE);
    assert.equal(upd!.ext.sa!.spi, 0x1234);
    assert.deepEqual([...upd!.ext.addressSrc!.addr.addr], [192, 0, 2, 2], 'inbound: peer -> me');
    assert.deepEqual([upd!.ext.natTSport!.port, upd!.ext.natTDport!.port], [4501, 4500]);
    assert.equal(add!.msg.type, P.SADB_ADD);
    assert.equal(add!.ext.sa!.spi, 0x5678);
    assert.deepEqual([...add!.ext.addressSrc!.addr.addr], [192, 0, 2, 1], 'outbound: me -> peer');
    assert.deepEqual([add!.ext.natTSport!.port, add!.ext.natTDport!.port], [4500, 4501]);
    assert.deepEqual([...upd!.ext.keyEncrypt!.key.slice(0, 2)], [1, 1], 'inbound keys from the inbound KEYMAT');
    assert.deepEqual([...add!.ext.keyEncrypt!.key.slice(0, 2)], [3, 3]);
  });

  it('AES-GCM-16 (key + salt, no auth), AH HMAC-SHA-1, IPComp deflate (no keys, no replay)', () => {
    const b = bridge();
    const [gcm] = b.saMessages(
      keys(C.IPSECDOI_PROTO_IPSEC_ESP, C.IPSECDOI_ESP_AES_GCM_16, undefined, 128, 20, 0),
      me,
      peer,
      600,
    );
    assert.equal(checkUserMessage(gcm!), undefined);
    assert.deepEqual(
      [gcm!.ext.sa!.encrypt, gcm!.ext.sa!.auth, gcm!.ext.keyEncrypt!.bits, gcm!.ext.keyAuth],
      [P.SADB_X_EALG_AESGCM16, P.SADB_AALG_NONE, 160, undefined],
    );
    const [ah] = b.saMessages(
      keys(C.IPSECDOI_PROTO_IPSEC_AH, C.IPSECDOI_AH_SHA, C.IPSECDOI_ATTR_AUTH_HMAC_SHA1, undefined, 0, 20),
      me,
      peer,
      600,
    );
    assert.equal(checkUserMessage(ah!), undefined);
    assert.deepEqual(
      [ah!.msg.satype, ah!.ext.sa!.auth, ah!.ext.keyAuth!.bits, ah!.ext.keyEncrypt],
      [P.SADB_SATYPE_AH, P.SADB_AALG_SHA1HMAC, 160, undefined],
    );
    const comp = keys(C.IPSECDOI_PROTO_IPCOMP, C.IPSECDOI_IPCOMP_DEFLATE, undefined, undefined, 0, 0);
    comp.inbound.spi = new Uint8Array([0x01, 0x23]);
    const [ipcomp] = b.saMessages(comp, me, peer, 600, { localPort: 4500, remotePort: 4500 });
    assert.equal(checkUserMessage(ipcomp!), undefined);
    assert.deepEqual(
      [ipcomp!.msg.satype, ipcomp!.ext.sa!.encrypt, ipcomp!.ext.sa!.spi, ipcomp!.ext.sa!.replay, ipcomp!.ext.natTType],
      [P.SADB_X_SATYPE_IPCOMP, P.SADB_X_CALG_DEFLATE, 0x123, 0, undefined],
    );
  });
});
