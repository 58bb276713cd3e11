// Phase 1 / phase 2 proposal selection and racoon's proposal_check table (racoon.conf(5)): obey takes the
// initiator's lifetime, strict accepts a shorter-or-equal one, claim uses the shorter, exact needs equality.
import { strict as assert } from 'node:assert';
import * as C from '../../../../racoon/isakmp/constants.js';
import { parseRacoonConf } from '../../../../racoon/conf/parser.js';
import { acceptPh1Reply, buildPh1Sa, checkLifetime, selectPh1Proposal } from '../../../../racoon/ikev1/ph1/proposal.js';
import { buildPh2Sa, sadbAlgsOf, selectPh2Proposal, acceptPh2Reply } from '../../../../racoon/ikev1/ph2/proposal.js';
import { decodeSa, encodeSa } from '../../../../racoon/isakmp/payloads/sa.js';
import * as P from '../../../../pfkey/constants.js';

function conf(text: string) {
  const r = parseRacoonConf(text, 't.conf');
  assert.deepEqual(
    r.errors.map((e) => e.message),
    [],
  );
  return r.conf;
}

const REMOTE = (check: string, life: string, props: string) =>
  conf(`remote 192.0.2.2 { exchange_mode main; proposal_check ${check}; lifetime time ${life}; ${props} }`).remotes[0]!;
const P1 = (enc: string, hash: string, dh: string, life = '') =>
  `proposal { encryption_algorithm ${enc}; hash_algorithm ${hash}; authentication_method pre_shared_key; dh_group ${dh}; ${life} }`;

describe('racoon proposals', () => {
  it('proposal_check table', () => {
    const cases: [string, number, number | undefined, number | undefined][] = [
      ['obey', 3600, 7200, 7200],
      ['obey', 3600, 600, 600],
      ['strict', 3600, 7200, undefined],
      ['strict', 3600, 600, 600],
      ['strict', 3600, 3600, 3600],
      ['claim', 3600, 7200, 3600],
      ['claim', 3600, 600, 600],
      ['exact', 3600, 3600, 3600],
      ['exact', 3600, 600, undefined],
      ['strict', 3600, undefined, 3600],
    ];
    for (const [check, mine, peer, want] of cases)
      assert.equal(checkLifetime(check as 'obey', mine, peer), want, `${check} ${mine} ${peer}`);
  });

  it("phase 1: the responder takes the first peer transform it accepts, in the peer's order", () => {
    const init = REMOTE(
      'strict',
      '1 hour',
      P1('3des', 'md5', 'modp1024') + P1('aes 256', 'sha256', 'modp2048') + P1('aes', 'sha1', 'ecp256'),
    );
    const resp = REMOTE('strict', '8 hour', P1('aes', 'sha1', 'ecp256') + P1('aes 256', 'sha256', 'modp2048'));
    const sa = decodeSa(encodeSa(buildPh1Sa(init))).value; // through the wire format
    assert.equal(sa.proposals[0]!.transforms.length, 3);
    const a = selectPh1Proposal(sa, resp)!;
    assert.equal(a.enc, 'aes');
    assert.equal(a.keyBits, 256);
    assert.equal(a.hash, 'sha256');
    assert.equal(a.group.id, 14);
    assert.equal(a.lifetimeSec, 3600);
    assert.equal(a.transform.num, 2);
    // The initiator accepts the echo of its transform 2 but not an altered one.
    const reply = { ...sa, proposals: [{ ...sa.proposals[0]!, transforms: [a.transform] }] };
    assert.equal(acceptPh1Reply(reply, sa, init)?.group.id, 14);
    const altered = {
      ...a.transform,
      attrs: a.transform.attrs.map((x) =>
        x.type === C.OAKLEY_ATTR_HASH_ALG && x.tv ? { ...x, value: C.OAKLEY_ATTR_HASH_ALG_SHA } : x,
      ),
    };
    assert.equal(
      acceptPh1Reply({ ...sa, proposals: [{ ...sa.proposals[0]!, transforms: [altered] }] }, sa, init),
      undefined,
    );
  });

  it('phase 1: key length must match unless obey; unknown groups are skipped', () => {
    const init = REMOTE('strict', '1 hour', P1('aes 192', 'sha1', 'modp1536'));
    assert.equal(
      selectPh1Proposal(buildPh1Sa(init), REMOTE('strict', '1 hour', P1('aes 128', 'sha1', 'modp1536'))),
      undefined,
    );
    assert.equal(
      selectPh1Proposal(buildPh1Sa(init), REMOTE('obey', '1 hour', P1('aes 128', 'sha1', 'modp1536')))?.keyBits,
      192,
    );
  });

  it('phase 2: ESP x (enc x auth) and IPComp under one proposal number; GCM carries no auth attribute', () => {
    const s = conf(
      'sainfo anonymous { pfs_group modp2048; lifetime time 30 min; encryption_algorithm aes_gcm_16 256, aes, 3des; authentication_algorithm hmac_sha1, hmac_sha256; compression_algorithm deflate; }',
    ).sainfos[0]!;
    const reqs = [
      { protoId: C.IPSECDOI_PROTO_IPCOMP, mode: 'transport' as const, reqid: 0 },
      { protoId: C.IPSECDOI_PROTO_IPSEC_ESP, mode: 'transport' as const, reqid: 0 },
    ];
    const spis = new Map([
      [C.IPSECDOI_PROTO_IPCOMP, new Uint8Array([0x12, 0x34])],
      [C.IPSECDOI_PROTO_IPSEC_ESP, new Uint8Array([1, 2, 3, 4])],
    ]);
    const sa = decodeSa(encodeSa(buildPh2Sa(reqs, s, spis, false))).value;
    assert.deepEqual(
      sa.proposals.map((p) => [p.num, p.protoId, p.spi.length, p.transforms.length]),
      [
        [1, 4, 2, 1],
        [1, 3, 4, 5],
      ],
    );
    const gcm = sa.proposals[1]!.transforms[0]!;
    assert.equal(gcm.id, C.IPSECDOI_ESP_AES_GCM_16);
    assert.ok(!gcm.attrs.some((a) => a.type === C.IPSECDOI_ATTR_AUTH));
    const sel = selectPh2Proposal(sa, reqs, s, 'strict')!;
    assert.equal(sel.approval.sas.length, 2);
    assert.equal(sel.approval.pfsGroup, 14);
    assert.equal(sel.approval.lifetimeSec, 1800);
    const esp = sel.approval.sas.find((x) => x.protoId === C.IPSECDOI_PROTO_IPSEC_ESP)!;
    assert.deepEqual(sadbAlgsOf({ ...esp }), {
      satype: P.SADB_SATYPE_ESP,
      encrypt: P.SADB_X_EALG_AESGCM16,
      auth: P.SADB_AALG_NONE,
      encKeyBytes: 36,
      authKeyBytes: 0,
    });
    // The reply (responder SPIs filled in) is accepted by the initiator.
    const reply = {
      ...sel.chosen,
      proposals: sel.chosen.proposals.map((p) => ({
        ...p,
        spi: p.protoId === 4 ? new Uint8Array([0, 0x99]) : new Uint8Array([9, 9, 9, 9]),
      })),
    };
    assert.equal(acceptPh2Reply(reply, sa, reqs, s, spis)?.sas.length, 2);
  });

  it('phase 2: a proposal without the protocols the policy requires, or with another mode, is refused', () => {
    const s = conf(
      'sainfo anonymous { encryption_algorithm aes; authentication_algorithm hmac_sha1; compression_algorithm deflate; }',
    ).sainfos[0]!;
    const esp = [{ protoId: C.IPSECDOI_PROTO_IPSEC_ESP, mode: 'transport' as const, reqid: 0 }];
    const sa = buildPh2Sa(esp, s, new Map([[3, new Uint8Array(4)]]), false);
    assert.equal(
      selectPh2Proposal(sa, [{ protoId: C.IPSECDOI_PROTO_IPSEC_AH, mode: 'transport', reqid: 0 }], s, 'strict'),
      undefined,
    );
    assert.equal(selectPh2Proposal(sa, [{ ...esp[0]!, mode: 'tunnel' }], s, 'strict'), undefined);
    assert.ok(selectPh2Proposal(sa, esp, s, 'strict'));
  });
});

describe('racoon proposals: UDP-encapsulated modes', () => {
  it('phase 2: RFC 3947 modes 3/4 and the drafts’ 61443/61444 are accepted as tunnel/transport in UDP', () => {
    const s = conf('sainfo anonymous { encryption_algorithm aes; authentication_algorithm hmac_sha1; }').sainfos[0]!;
    const cases: [number, 'tunnel' | 'transport'][] = [
      [C.IPSECDOI_ATTR_ENC_MODE_UDPTUNNEL_RFC, 'tunnel'],
      [C.IPSECDOI_ATTR_ENC_MODE_UDPTRNS_RFC, 'transport'],
      [C.IPSECDOI_ATTR_ENC_MODE_UDPTUNNEL_DRAFT, 'tunnel'],
      [C.IPSECDOI_ATTR_ENC_MODE_UDPTRNS_DRAFT, 'transport'],
    ];
    for (const [encMode, mode] of cases) {
      const req = [{ protoId: C.IPSECDOI_PROTO_IPSEC_ESP, mode, reqid: 0 }];
      const sa = buildPh2Sa(req, s, new Map([[3, new Uint8Array(4)]]), true);
      const t = sa.proposals[0]!.transforms[0]!;
      t.attrs = t.attrs.map((a) => (a.type === C.IPSECDOI_ATTR_ENC_MODE ? { ...a, value: encMode } : a));
      const sel = selectPh2Proposal(decodeSa(encodeSa(sa)).value, req, s, 'strict');
      assert.equal(sel?.approval.sas[0]?.udpEncap, true, `mode ${encMode}`);
      assert.equal(sel?.approval.sas[0]?.mode, mode);
    }
  });
});
