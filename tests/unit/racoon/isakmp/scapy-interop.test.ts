// Cross-check of our encoder against an independent dissector: scapy 2.5's scapy.layers.isakmp parses the
// messages we build and reports the fields it sees. Skipped (with the reason) when scapy is not installed.
import { strict as assert } from 'node:assert';
import fc from 'fast-check';
import { spawnSync } from 'node:child_process';
import { hex } from '../support/codec-check.js';
import * as C from '../../../../racoon/isakmp/constants.js';
import { attrTLVNumber, attrTV, type IsakmpAttribute } from '../../../../racoon/isakmp/payloads/attributes.js';
import { encodeIsakmpMessage, payloadLength, type IsakmpPayload } from '../../../../racoon/isakmp/message.js';

const PYTHON = '/usr/bin/python3';
const DISSECT = `
import sys, json
from scapy.layers.isakmp import ISAKMP
out = []
for line in sys.stdin.read().split():
    p = ISAKMP(bytes.fromhex(line))
    r = {"icookie": p.init_cookie.hex(), "rcookie": p.resp_cookie.hex(), "np": p.next_payload, "etype": p.exch_type,
         "flags": int(p.flags), "msgid": p.id, "length": p.length, "payloads": []}
    pl = p.payload
    while pl is not None and pl.name != "NoPayload" and hasattr(pl, "next_payload"):
        d = {"name": pl.name, "length": pl.length}
        if pl.name == "ISAKMP SA":
            d["doi"] = pl.DOI; d["situation"] = pl.situation
            props = []
            pr = pl.prop
            while pr is not None and pr.name == "IKE proposal":
                ts = []
                t = pr.trans
                while t is not None and t.name == "IKE Transform":
                    ts.append({"num": t.num, "id": t.id, "attrs": [[str(a[0]), a[1] if isinstance(a[1], int) else str(a[1])] for a in t.transforms]})
                    t = t.payload if t.payload.name == "IKE Transform" else None
                props.append({"num": pr.proposal, "proto": pr.proto, "spi": bytes(pr.SPI).hex(), "trans": ts})
                pr = pr.payload if pr.payload.name == "IKE proposal" else None
            d["props"] = props
        elif pl.name == "ISAKMP Identification":
            d["id"] = [pl.IDtype, pl.ProtoID, pl.Port, bytes(pl.load).hex()]
        elif hasattr(pl, "load"):
            d["load"] = bytes(pl.load).hex()
        r["payloads"].append(d)
        nxt = pl.payload
        pl = nxt if hasattr(nxt, "next_payload") else None
    out.append(r)
print(json.dumps(out))
`;

/** Walks each message's payload chain the way scapy does and prints [header np, [next payload, length]...]. */
const WALK = `
import sys, json
from scapy.layers.isakmp import ISAKMP
out = []
for line in sys.stdin.read().split():
    p = ISAKMP(bytes.fromhex(line))
    chain = []
    pl = p.payload
    while hasattr(pl, "next_payload") and pl.name != "NoPayload":
        chain.append([pl.next_payload, pl.length])
        pl = pl.payload
    out.append([p.next_payload, p.length, chain])
print(json.dumps(out))
`;

function scapyAvailable(): boolean {
  const r = spawnSync(PYTHON, ['-c', 'import scapy.layers.isakmp'], { encoding: 'utf8' });
  return r.status === 0;
}

describe('racoon/isakmp vs scapy (independent dissector)', function () {
  before(function () {
    if (!scapyAvailable()) {
      console.log('    (skipped: scapy not installed for /usr/bin/python3)');
      this.skip();
    }
  });

  it('scapy reads our main mode 1, aggressive mode 1 and quick mode 1 with the fields we wrote', () => {
    const header = (etype: number, msgid = 0) => ({
      icookie: hex('c0c1c2c3c4c5c6c7'),
      rcookie: new Uint8Array(8),
      np: 0,
      majorVersion: 1,
      minorVersion: 0,
      etype,
      flags: 0,
      msgid,
      length: 0,
    });
    const p1sa: IsakmpPayload = {
      type: C.ISAKMP_NPTYPE_SA,
      body: {
        doi: 1,
        situation: 1,
        proposals: [
          {
            num: 1,
            protoId: 1,
            spi: new Uint8Array(0),
            transforms: [
              {
                num: 1,
                id: 1,
                attrs: [
                  attrTV(1, 5),
                  attrTV(2, 2),
                  attrTV(3, 1),
                  attrTV(4, 14),
                  attrTV(11, 1),
                  attrTLVNumber(12, 86400),
                ],
              },
              { num: 2, id: 1, attrs: [attrTV(1, 7), attrTV(14, 256), attrTV(2, 4), attrTV(3, 1), attrTV(4, 2)] },
            ],
          },
        ],
      },
    };
    const msgs = [
      encodeIsakmpMessage({
        header: header(C.ISAKMP_ETYPE_IDENT),
        payloads: [p1sa, { type: C.ISAKMP_NPTYPE_VID, body: hex('4a131c81070358455c5728f20e95452f') }],
      }),
      encodeIsakmpMessage({
        header: header(C.ISAKMP_ETYPE_AGG),
        payloads: [
          p1sa,
          { type: C.ISAKMP_NPTYPE_KE, body: new Uint8Array(96).fill(0xab) },
          { type: C.ISAKMP_NPTYPE_NONCE, body: new Uint8Array(16).fill(0xcd) },
          {
            type: C.ISAKMP_NPTYPE_ID,
            body: { idType: 2, protocol: 17, port: 500, data: new TextEncoder().encode('vpn.example') },
          },
        ],
      }),
      encodeIsakmpMessage({
        header: { ...header(C.ISAKMP_ETYPE_QUICK, 0x11223344), rcookie: hex('d0d1d2d3d4d5d6d7') },
        payloads: [
          { type: C.ISAKMP_NPTYPE_HASH, body: new Uint8Array(20).fill(0x5a) },
          {
            type: C.ISAKMP_NPTYPE_SA,
            body: {
              doi: 1,
              situation: 1,
              proposals: [
                {
                  num: 1,
                  protoId: 3,
                  spi: hex('0badcafe'),
                  transforms: [
                    {
                      num: 1,
                      id: 12,
                      attrs: [attrTV(1, 1), attrTLVNumber(2, 3600), attrTV(4, 1), attrTV(5, 2), attrTV(6, 128)],
                    },
                  ],
                },
              ],
            },
          },
          { type: C.ISAKMP_NPTYPE_NONCE, body: new Uint8Array(16).fill(0x01) },
          { type: C.ISAKMP_NPTYPE_ID, body: { idType: 4, protocol: 0, port: 0, data: hex('0a000000ffffff00') } },
        ],
      }),
    ];
    const r = spawnSync(PYTHON, ['-c', DISSECT], {
      input: msgs.map((m) => Buffer.from(m).toString('hex')).join('\n'),
      encoding: 'utf8',
    });
    assert.equal(r.status, 0, r.stderr);
    const got = JSON.parse(r.stdout) as any[];
    // main mode 1
    assert.equal(got[0].etype, 2);
    assert.equal(got[0].length, msgs[0]!.length);
    assert.equal(got[0].icookie, 'c0c1c2c3c4c5c6c7');
    assert.deepEqual(
      got[0].payloads.map((p: any) => p.name),
      ['ISAKMP SA', 'ISAKMP Vendor ID'],
    );
    const props = got[0].payloads[0].props;
    assert.equal(props.length, 1);
    assert.deepEqual(
      props[0].trans.map((t: any) => t.num),
      [1, 2],
    );
    assert.deepEqual(props[0].trans[0].attrs, [
      ['Encryption', '3DES-CBC'],
      ['Hash', 'SHA'],
      ['Authentication', 'PSK'],
      ['GroupDesc', '2048MODPgr'],
      ['LifeType', 'Seconds'],
      ['LifeDuration', 86400],
    ]);
    assert.deepEqual(props[0].trans[1].attrs, [
      ['Encryption', 'AES-CBC'],
      ['KeyLength', 256],
      ['Hash', 'SHA2-256'],
      ['Authentication', 'PSK'],
      ['GroupDesc', '1024MODPgr'],
    ]);
    assert.equal(got[0].payloads[1].load, '4a131c81070358455c5728f20e95452f');
    // aggressive mode 1
    assert.deepEqual(
      got[1].payloads.map((p: any) => [p.name, p.length]),
      [
        ['ISAKMP SA', msgs[0]!.length - 28 - 20],
        ['ISAKMP Key Exchange', 100],
        ['ISAKMP Nonce', 20],
        ['ISAKMP Identification', 19],
      ],
    );
    assert.deepEqual(got[1].payloads[3].id, [2, 17, 500, Buffer.from('vpn.example').toString('hex')]);
    // quick mode 1
    assert.equal(got[2].msgid, 0x11223344);
    assert.equal(got[2].rcookie, 'd0d1d2d3d4d5d6d7');
    assert.deepEqual(
      got[2].payloads.map((p: any) => p.name),
      ['ISAKMP Hash', 'ISAKMP SA', 'ISAKMP Nonce', 'ISAKMP Identification'],
    );
    assert.deepEqual(got[2].payloads[1].props[0].spi, '0badcafe');
    assert.equal(got[2].payloads[1].props[0].proto, 3);
    assert.equal(got[2].payloads[1].props[0].trans[0].id, 12);
  });

  it('scapy walks 300 random messages of every payload type along the same chain (types and lengths)', () => {
    const bytes = (min: number, max: number) => fc.uint8Array({ minLength: min, maxLength: max });
    const u8 = fc.integer({ min: 0, max: 255 });
    const rec = <T>(m: { [K in keyof T]: fc.Arbitrary<T[K]> }) =>
      fc.record(m, { noNullPrototype: true }) as fc.Arbitrary<T>;
    const payload: fc.Arbitrary<IsakmpPayload> = fc.oneof(
      rec({
        doi: fc.constant(1),
        situation: fc.constant(1),
        proposals: fc.array(
          rec({
            num: u8,
            protoId: u8,
            spi: bytes(0, 8),
            transforms: fc.array(
              rec({
                num: u8,
                id: u8,
                attrs: fc.array(
                  fc.integer({ min: 1, max: 20 }).map((t) => attrTV(t, 7)),
                  { maxLength: 4 },
                ),
              }),
              { minLength: 1, maxLength: 3 },
            ),
          }),
          { minLength: 1, maxLength: 2 },
        ),
      }).map((body) => ({ type: C.ISAKMP_NPTYPE_SA, body }) as IsakmpPayload),
      bytes(1, 64).map((body) => ({ type: C.ISAKMP_NPTYPE_KE, body }) as IsakmpPayload),
      rec({ idType: fc.constant(2), protocol: u8, port: fc.integer({ min: 0, max: 65535 }), data: bytes(1, 20) }).map(
        (body) => ({ type: C.ISAKMP_NPTYPE_ID, body }) as IsakmpPayload,
      ),
      rec({ encoding: u8, data: bytes(0, 20) }).map((body) => ({ type: C.ISAKMP_NPTYPE_CERT, body }) as IsakmpPayload),
      rec({ certType: u8, authority: bytes(0, 20) }).map(
        (body) => ({ type: C.ISAKMP_NPTYPE_CR, body }) as IsakmpPayload,
      ),
      bytes(8, 40).map((body) => ({ type: C.ISAKMP_NPTYPE_NONCE, body }) as IsakmpPayload),
      rec({
        doi: fc.constant(1),
        protoId: u8,
        notifyType: fc.integer({ min: 0, max: 65535 }),
        spi: bytes(0, 16),
        data: bytes(0, 12),
      }).map((body) => ({ type: C.ISAKMP_NPTYPE_N, body }) as IsakmpPayload),
      fc
        .array(bytes(4, 4), { maxLength: 3 })
        .map((spis) => ({ type: C.ISAKMP_NPTYPE_D, body: { doi: 1, protoId: 3, spiSize: 4, spis } }) as IsakmpPayload),
      bytes(1, 20).map((body) => ({ type: C.ISAKMP_NPTYPE_VID, body }) as IsakmpPayload),
      bytes(16, 20).map((body) => ({ type: C.ISAKMP_NPTYPE_NATD_RFC, body }) as IsakmpPayload),
      bytes(4, 4).map((addr) => ({ type: C.ISAKMP_NPTYPE_NATOA_RFC, body: { addr } }) as IsakmpPayload),
      rec({
        cfgType: u8,
        identifier: fc.integer({ min: 0, max: 65535 }),
        attrs: fc.constant([] as IsakmpAttribute[]),
      }).map((body) => ({ type: C.ISAKMP_NPTYPE_ATTR, body }) as IsakmpPayload),
    );
    const once = [
      { type: C.ISAKMP_NPTYPE_HASH, body: new Uint8Array(20).fill(9) },
      { type: C.ISAKMP_NPTYPE_SIG, body: new Uint8Array(9).fill(8) },
    ] as IsakmpPayload[];
    const lists = fc
      .sample(fc.tuple(fc.array(payload, { maxLength: 6 }), fc.subarray(once)), { seed: 0x5ca9, numRuns: 300 })
      .map(([many, single]) => [
        ...single,
        ...many.filter(
          (p, i, a) =>
            p.type !== C.ISAKMP_NPTYPE_ID || a.slice(0, i).filter((q) => q.type === C.ISAKMP_NPTYPE_ID).length < 2,
        ),
      ]);
    const header = {
      icookie: new Uint8Array(8).fill(1),
      rcookie: new Uint8Array(8),
      np: 0,
      majorVersion: 1,
      minorVersion: 0,
      etype: C.ISAKMP_ETYPE_INFO,
      flags: 0,
      msgid: 0,
      length: 0,
    };
    const msgs = lists.map((payloads) => encodeIsakmpMessage({ header, payloads }));
    const r = spawnSync(PYTHON, ['-c', WALK], {
      input: msgs.map((m) => Buffer.from(m).toString('hex')).join('\n'),
      encoding: 'utf8',
      maxBuffer: 1 << 24,
    });
    assert.equal(r.status, 0, r.stderr);
    const walked = JSON.parse(r.stdout) as [number, number, [number, number][]][];
    assert.equal(walked.length, 300);
    walked.forEach(([np, length, chain], i) => {
      const ps = lists[i]!;
      assert.equal(length, msgs[i]!.length, `message ${i} length`);
      assert.equal(np, ps[0]?.type ?? 0, `message ${i} first payload`);
      assert.deepEqual(
        chain,
        ps.map((p, k) => [ps[k + 1]?.type ?? 0, payloadLength(p)]),
        `message ${i} chain`,
      );
    });
  });
});
