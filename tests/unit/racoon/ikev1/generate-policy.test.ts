// generate_policy's pure half: the requirement read from the initiator's first proposal, and the X_SPDUPDATE
// messages (racoon getsadbpolicy: requests in reverse proposal order, tunnel ends, level and reqid).
import { strict as assert } from 'node:assert';
import * as P from '../../../../pfkey/constants.js';
import {
  generatedPolicyMessages,
  requestsFromProposal,
  ReqidCounter,
  GENERATED_REQID_MAX,
} from '../../../../racoon/ikev1/ph2/generate-policy.js';
import * as C from '../../../../racoon/isakmp/constants.js';
import { attrTV } from '../../../../racoon/isakmp/payloads/attributes.js';
import type { IsakmpProposal, IsakmpSa } from '../../../../racoon/isakmp/payloads/sa.js';

const prop = (num: number, protoId: number, mode?: number): IsakmpProposal => ({
  num,
  protoId,
  spi: new Uint8Array(4),
  transforms: [{ num: 1, id: 12, attrs: mode === undefined ? [] : [attrTV(C.IPSECDOI_ATTR_ENC_MODE, mode)] }],
});
const sa = (...proposals: IsakmpProposal[]): IsakmpSa => ({ doi: 1, situation: 1, proposals });
const T = C.IPSECDOI_ATTR_ENC_MODE_TRNS;

describe('racoon/ikev1 generate_policy', () => {
  it('takes the protocols and modes of the first proposal number only', () => {
    const got = requestsFromProposal(
      sa(
        prop(1, C.IPSECDOI_PROTO_IPCOMP, T),
        prop(1, C.IPSECDOI_PROTO_IPSEC_ESP, T),
        prop(2, C.IPSECDOI_PROTO_IPSEC_AH, T),
      ),
      7,
    );
    assert.deepEqual(got, [
      { protoId: C.IPSECDOI_PROTO_IPCOMP, mode: 'transport', reqid: 7 },
      { protoId: C.IPSECDOI_PROTO_IPSEC_ESP, mode: 'transport', reqid: 7 },
    ]);
    assert.deepEqual(
      requestsFromProposal(sa(prop(1, C.IPSECDOI_PROTO_IPSEC_ESP, C.IPSECDOI_ATTR_ENC_MODE_UDPTUNNEL_RFC)), 0),
      [{ protoId: C.IPSECDOI_PROTO_IPSEC_ESP, mode: 'tunnel', reqid: 0 }],
    );
  });

  it('refuses what it cannot turn into a policy: no proposal, no mode, an unknown or repeated protocol', () => {
    assert.equal(requestsFromProposal(sa(), 0), undefined);
    assert.equal(requestsFromProposal(sa(prop(1, C.IPSECDOI_PROTO_IPSEC_ESP)), 0), undefined);
    assert.equal(requestsFromProposal(sa(prop(1, 99, T)), 0), undefined);
    const twice = sa(prop(1, C.IPSECDOI_PROTO_IPSEC_ESP, T), prop(1, C.IPSECDOI_PROTO_IPSEC_ESP, T));
    assert.equal(requestsFromProposal(twice, 0), undefined);
  });

  it('builds inbound and outbound X_SPDUPDATE with the SA lifetime, requests reversed, tunnel ends per direction', () => {
    const me = { addr: Uint8Array.of(192, 0, 2, 2), port: 500 },
      peer = { addr: Uint8Array.of(192, 0, 2, 1), port: 500 };
    const ci = { prefix: { family: 4 as const, addr: Uint8Array.of(10, 1, 0, 0), len: 16 }, proto: 17, port: 53 };
    const cr = { prefix: { family: 4 as const, addr: Uint8Array.of(10, 2, 0, 0), len: 16 }, proto: 17, port: 0 };
    const reqs = [
      { protoId: C.IPSECDOI_PROTO_IPCOMP, mode: 'tunnel' as const, reqid: 9 },
      { protoId: C.IPSECDOI_PROTO_IPSEC_ESP, mode: 'tunnel' as const, reqid: 9 },
    ];
    const hdr = (type: number) => ({ version: 2, type, errno: 0, satype: 0, len: 0, reserved: 0, seq: 1, pid: 1 });
    const [inb, outb] = generatedPolicyMessages(hdr, { ci, cr, level: P.IPSEC_LEVEL_UNIQUE }, reqs, me, peer, 600);
    assert.equal(inb!.msg.type, P.SADB_X_SPDUPDATE);
    assert.equal(inb!.ext.policy!.dir, P.IPSEC_DIR_INBOUND);
    assert.deepEqual(
      inb!.ext.policy!.requests.map((r) => [r.proto, r.level, r.reqid, [...r.src!.addr], [...r.dst!.addr]]),
      [
        [P.IPPROTO_ESP, P.IPSEC_LEVEL_UNIQUE, 9, [192, 0, 2, 1], [192, 0, 2, 2]],
        [P.IPPROTO_IPCOMP, P.IPSEC_LEVEL_UNIQUE, 9, [192, 0, 2, 1], [192, 0, 2, 2]],
      ],
    );
    assert.deepEqual(
      [inb!.ext.addressSrc!.prefixlen, inb!.ext.addressSrc!.addr.port, inb!.ext.addressSrc!.proto],
      [16, 53, 17],
    );
    assert.equal(inb!.ext.lifetimeHard!.addtime, 600n);
    assert.equal(outb!.ext.policy!.dir, P.IPSEC_DIR_OUTBOUND);
    assert.deepEqual([...outb!.ext.addressSrc!.addr.addr], [10, 2, 0, 0]);
    assert.deepEqual([...outb!.ext.policy!.requests[0]!.src!.addr], [192, 0, 2, 2]);
  });

  it('unique reqids count up from 1 and wrap below the kernel-assigned range', () => {
    const c = new ReqidCounter();
    assert.deepEqual([c.take(), c.take()], [1, 2]);
    for (let i = 3; i <= GENERATED_REQID_MAX; i++) c.take();
    assert.equal(c.take(), 1);
  });
});
