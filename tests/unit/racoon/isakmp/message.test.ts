// Whole-message decode/encode: scapy-built IKEv1 messages (tests/fixtures/racoon/isakmp-messages.json),
// round trips, and the notify type for each malformed shape (RFC 2408 §3.1–§3.2, §5.1).
import { strict as assert } from 'node:assert';
import { readFileSync } from 'node:fs';
import { fixturePath, hex, refuses } from '../support/codec-check.js';
import { IsakmpError } from '../../../../racoon/isakmp/codec.js';
import * as C from '../../../../racoon/isakmp/constants.js';
import { attrNumber, attrTV } from '../../../../racoon/isakmp/payloads/attributes.js';
import {
  decodeIsakmpMessage,
  decodePayloadChain,
  encodeIsakmpMessage,
  encodePayloadChain,
  isakmpMessage,
  type IsakmpMessage,
  type IsakmpPayload,
} from '../../../../racoon/isakmp/message.js';

interface Vector {
  name: string;
  source: string;
  hex: string;
  expect: {
    icookie: string;
    etype: number;
    length: number;
    payloadTypes: number[];
    transformCount?: number;
    transformAttrs: [number, number][];
    vendorIds?: string[];
    id?: { idType: number; protocol: number; port: number; data: string };
  };
}
const vectors = (JSON.parse(readFileSync(fixturePath('isakmp-messages.json'), 'utf8')) as { messages: Vector[] })
  .messages;

const toHex = (b: Uint8Array) => Buffer.from(b).toString('hex');
const cookies = { icookie: hex('a1a2a3a4a5a6a7a8'), rcookie: hex('b1b2b3b4b5b6b7b8') };
const hdr = (etype: number, msgid = 0, flags = 0) => ({
  ...cookies,
  np: 0,
  majorVersion: 1,
  minorVersion: 0,
  etype,
  flags,
  msgid,
  length: 0,
});

describe('racoon/isakmp message', () => {
  for (const v of vectors) {
    it(`decodes ${v.name}`, () => {
      const bytes = hex(v.hex);
      const m = decodeIsakmpMessage(bytes).value;
      assert.equal(toHex(m.header.icookie), v.expect.icookie);
      assert.equal(m.header.etype, v.expect.etype);
      assert.equal(m.header.length, v.expect.length);
      assert.deepEqual(
        m.payloads.map((p) => p.type),
        v.expect.payloadTypes,
      );
      const sa = m.payloads[0]!;
      assert.equal(sa.type, C.ISAKMP_NPTYPE_SA);
      if (sa.type !== C.ISAKMP_NPTYPE_SA) return;
      const t = sa.body.proposals[0]!.transforms[0]!;
      if (v.expect.transformCount) assert.equal(sa.body.proposals[0]!.transforms.length, v.expect.transformCount);
      assert.equal(t.id, C.IPSECDOI_KEY_IKE);
      assert.deepEqual(
        t.attrs.map((a) => [a.type, attrNumber(a)]),
        v.expect.transformAttrs,
      );
      if (v.expect.vendorIds) {
        assert.deepEqual(
          m.payloads.filter((p) => p.type === C.ISAKMP_NPTYPE_VID).map((p) => toHex(p.body as Uint8Array)),
          v.expect.vendorIds,
        );
      }
      if (v.expect.id) {
        const idp = m.payloads.find((p) => p.type === C.ISAKMP_NPTYPE_ID);
        assert.ok(idp && idp.type === C.ISAKMP_NPTYPE_ID);
        assert.deepEqual({ ...idp.body, data: toHex(idp.body.data) }, v.expect.id);
      }
      // Re-encoding the decoded message reproduces scapy's bytes exactly.
      assert.equal(toHex(encodeIsakmpMessage(m)), v.hex);
    });
  }

  it('encodes a quick mode message 1 chain and decodes it back (RFC 2409 §5.5 HDR, HASH(1), SA, Ni, KE, IDci, IDcr)', () => {
    const payloads: IsakmpPayload[] = [
      { type: C.ISAKMP_NPTYPE_HASH, body: new Uint8Array(20).fill(0x33) },
      {
        type: C.ISAKMP_NPTYPE_SA,
        body: {
          doi: 1,
          situation: 1,
          proposals: [
            {
              num: 1,
              protoId: 3,
              spi: hex('01020304'),
              transforms: [{ num: 1, id: 12, attrs: [attrTV(1, 1), attrTV(4, 1), attrTV(5, 2), attrTV(6, 128)] }],
            },
          ],
        },
      },
      { type: C.ISAKMP_NPTYPE_NONCE, body: new Uint8Array(16).fill(7) },
      { type: C.ISAKMP_NPTYPE_KE, body: new Uint8Array(128).fill(9) },
      { type: C.ISAKMP_NPTYPE_ID, body: { idType: 4, protocol: 0, port: 0, data: hex('0a000000ffffff00') } },
      { type: C.ISAKMP_NPTYPE_ID, body: { idType: 4, protocol: 0, port: 0, data: hex('0a010000ffffff00') } },
      { type: C.ISAKMP_NPTYPE_NATOA_RFC, body: { addr: hex('c0a80001') } },
    ];
    const m: IsakmpMessage = { header: hdr(C.ISAKMP_ETYPE_QUICK, 0x01020304), payloads };
    const bytes = encodeIsakmpMessage(m);
    assert.equal(bytes.length, 28 + 24 + 48 + 20 + 132 + 16 + 16 + 12);
    assert.equal(bytes[16], C.ISAKMP_NPTYPE_HASH);
    assert.equal(Buffer.from(bytes).readUInt32BE(24), bytes.length);
    // next-payload fields chain through the list and end in NONE
    assert.equal(bytes[28], C.ISAKMP_NPTYPE_SA);
    const back = decodeIsakmpMessage(bytes).value;
    assert.deepEqual(back.payloads, payloads);
    assert.equal(back.header.np, C.ISAKMP_NPTYPE_HASH);
    assert.equal(isakmpMessage.encodedLength(back), bytes.length);
  });

  it('leaves an encrypted body as bytes and decodes the decrypted chain with its padding', () => {
    const inner: IsakmpPayload[] = [
      { type: C.ISAKMP_NPTYPE_HASH, body: new Uint8Array(20).fill(1) },
      { type: C.ISAKMP_NPTYPE_D, body: { doi: 1, protoId: 3, spiSize: 4, spis: [hex('deadbeef')] } },
    ];
    const plain = encodePayloadChain(inner);
    const padded = new Uint8Array(Math.ceil((plain.length + 1) / 16) * 16);
    padded.set(plain);
    padded[padded.length - 1] = padded.length - plain.length - 1; // RFC 2409 App. B style pad length
    const m: IsakmpMessage = {
      header: { ...hdr(C.ISAKMP_ETYPE_INFO, 7), np: C.ISAKMP_NPTYPE_HASH },
      payloads: [],
      encrypted: padded,
    };
    const bytes = encodeIsakmpMessage(m);
    assert.equal(bytes[19]! & C.ISAKMP_FLAG_E, C.ISAKMP_FLAG_E);
    const back = decodeIsakmpMessage(bytes).value;
    assert.deepEqual(back.encrypted, padded);
    assert.deepEqual(back.payloads, []);
    assert.deepEqual(
      decodePayloadChain(back.header.np, back.encrypted!, 0, undefined, { allowTrailing: true }).value,
      inner,
    );
    refuses(
      () => decodePayloadChain(back.header.np, back.encrypted!),
      C.ISAKMP_NTYPE_PAYLOAD_MALFORMED,
      /after the last payload/,
    );
    refuses(
      () => decodeIsakmpMessage(bytes.subarray(0, 28).map((b, i) => (i === 27 ? 28 : b))),
      C.ISAKMP_NTYPE_PAYLOAD_MALFORMED,
      /empty body/,
    );
  });

  describe('refusals', () => {
    const good = hex(vectors[0]!.hex);
    const patched = (f: (b: Uint8Array) => void) => {
      const b = good.slice();
      f(b);
      return b;
    };

    it('length field must equal the datagram (UNEQUAL-PAYLOAD-LENGTHS)', () => {
      refuses(() => decodeIsakmpMessage(good.subarray(0, good.length - 1)), C.ISAKMP_NTYPE_UNEQUAL_PAYLOAD_LENGTHS);
      refuses(
        () =>
          decodeIsakmpMessage(
            patched((b) => {
              b[27] = 0x91;
            }),
          ),
        C.ISAKMP_NTYPE_UNEQUAL_PAYLOAD_LENGTHS,
      );
      refuses(
        () =>
          decodeIsakmpMessage(
            patched((b) => {
              b[27] = 0x10;
            }),
          ),
        C.ISAKMP_NTYPE_UNEQUAL_PAYLOAD_LENGTHS,
        /shorter than the header/,
      );
    });
    it('an unknown or nested-only payload type is INVALID-PAYLOAD-TYPE (RFC 2408 §5.1)', () => {
      refuses(
        () =>
          decodeIsakmpMessage(
            patched((b) => {
              b[16] = 99;
            }),
          ),
        C.ISAKMP_NTYPE_INVALID_PAYLOAD_TYPE,
        /payload type 99/,
      );
      refuses(
        () =>
          decodeIsakmpMessage(
            patched((b) => {
              b[16] = C.ISAKMP_NPTYPE_P;
            }),
          ),
        C.ISAKMP_NTYPE_INVALID_PAYLOAD_TYPE,
      );
      refuses(
        () =>
          decodeIsakmpMessage(
            patched((b) => {
              b[28] = C.ISAKMP_NPTYPE_T;
            }),
          ),
        C.ISAKMP_NTYPE_INVALID_PAYLOAD_TYPE,
      );
    });
    it('generic payload length < 4 or past the end is PAYLOAD-MALFORMED', () => {
      refuses(
        () =>
          decodeIsakmpMessage(
            patched((b) => {
              b[30] = 0;
              b[31] = 3;
            }),
          ),
        C.ISAKMP_NTYPE_PAYLOAD_MALFORMED,
        /< 4/,
      );
      refuses(
        () =>
          decodeIsakmpMessage(
            patched((b) => {
              b[126] = 0;
              b[127] = 21;
            }),
          ),
        C.ISAKMP_NTYPE_PAYLOAD_MALFORMED,
        /runs 1 bytes past/,
      );
      // last VID says another payload follows, but the message ends
      refuses(
        () =>
          decodeIsakmpMessage(
            patched((b) => {
              b[124] = C.ISAKMP_NPTYPE_VID;
            }),
          ),
        C.ISAKMP_NTYPE_PAYLOAD_MALFORMED,
        /truncated generic payload header/,
      );
      // SA length shortened by 4: the proposal runs past the SA payload
      refuses(
        () =>
          decodeIsakmpMessage(
            patched((b) => {
              b[31] = 0x34;
            }),
          ),
        C.ISAKMP_NTYPE_PAYLOAD_MALFORMED,
        /runs past/,
      );
    });
    it('bytes after the last payload are PAYLOAD-MALFORMED in a clear message', () => {
      const b = new Uint8Array(good.length + 4);
      b.set(good);
      b[27] = good.length + 4;
      refuses(() => decodeIsakmpMessage(b), C.ISAKMP_NTYPE_PAYLOAD_MALFORMED, /4 bytes after the last payload/);
    });
    it('refuses a second KE, NONCE, HASH or SIG and a third ID (RFC 2409 §5); allows repeated VID, N, SA', () => {
      const body = (type: number) =>
        type === C.ISAKMP_NPTYPE_ID
          ? { idType: 1, protocol: 0, port: 0, data: hex('01020304') }
          : new Uint8Array(8).fill(1);
      for (const t of [C.ISAKMP_NPTYPE_KE, C.ISAKMP_NPTYPE_NONCE, C.ISAKMP_NPTYPE_HASH, C.ISAKMP_NPTYPE_SIG]) {
        const chain = encodePayloadChain([
          { type: t, body: body(t) },
          { type: t, body: body(t) },
        ] as IsakmpPayload[]);
        refuses(() => decodePayloadChain(t, chain), C.ISAKMP_NTYPE_PAYLOAD_MALFORMED, /duplicate/);
      }
      const ids = [1, 2, 3].map(() => ({
        type: C.ISAKMP_NPTYPE_ID,
        body: body(C.ISAKMP_NPTYPE_ID),
      })) as IsakmpPayload[];
      assert.equal(decodePayloadChain(C.ISAKMP_NPTYPE_ID, encodePayloadChain(ids.slice(0, 2))).value.length, 2);
      refuses(
        () => decodePayloadChain(C.ISAKMP_NPTYPE_ID, encodePayloadChain(ids)),
        C.ISAKMP_NTYPE_PAYLOAD_MALFORMED,
        /duplicate/,
      );
      const vids = [1, 2, 3].map((i) => ({
        type: C.ISAKMP_NPTYPE_VID,
        body: new Uint8Array(16).fill(i),
      })) as IsakmpPayload[];
      assert.deepEqual(decodePayloadChain(C.ISAKMP_NPTYPE_VID, encodePayloadChain(vids)).value, vids);
    });
    it('errors point at the offending field (IsakmpError.offset)', () => {
      const at = (b: Uint8Array): number => {
        try {
          decodeIsakmpMessage(b);
        } catch (e) {
          if (e instanceof IsakmpError) return e.offset;
          throw e;
        }
        return assert.fail('no error');
      };
      assert.equal(
        at(
          patched((b) => {
            b[17] = 0x20;
          }),
        ),
        17,
      ); // version byte
      assert.equal(
        at(
          patched((b) => {
            b[27] = 0x91;
          }),
        ),
        24,
      ); // length field
      assert.equal(
        at(
          patched((b) => {
            b[30] = 0;
            b[31] = 3;
          }),
        ),
        30,
      ); // SA payload length
      assert.equal(
        at(
          patched((b) => {
            b[126] = 0;
            b[127] = 21;
          }),
        ),
        126,
      ); // last VID length
      assert.equal(
        at(
          patched((b) => {
            b[16] = 99;
          }),
        ),
        28,
      ); // first payload, of an unknown type
      assert.equal(
        at(
          patched((b) => {
            b[39] = 3;
          }),
        ),
        36,
      ); // SA situation (bytes 36..39): secrecy bit set
    });

    it('a bad header version is refused before the payloads are read', () => {
      refuses(
        () =>
          decodeIsakmpMessage(
            patched((b) => {
              b[17] = 0x20;
              b[16] = 99;
            }),
          ),
        C.ISAKMP_NTYPE_INVALID_MAJOR_VERSION,
      );
    });
  });
});
