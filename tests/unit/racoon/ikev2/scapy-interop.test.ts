// Cross-check against scapy 2.5's scapy.contrib.ikev2, an independent IKEv2 codec, both ways: scapy dissects the
// messages we encode (clear ones, and the decrypted SK content behind a clear header) and reports what it reads;
// and scapy builds messages that our decoder must read back with the same fields. Skipped, with the reason, when
// scapy is not installed for /usr/bin/python3.
import { strict as assert } from 'node:assert';
import { spawnSync } from 'node:child_process';
import { hex, loadIkev2Vectors, toh } from './support.js';
import { INIT_BYTES } from './fixtures.js';
import * as K from '../../../../racoon/ikev2/constants.js';
import { decodeIkev2Message, encodeIkev2Message, payloadsOf } from '../../../../racoon/ikev2/message.js';
import { transformKeyLength } from '../../../../racoon/ikev2/payloads/sa.js';
import { isAddrSelector } from '../../../../racoon/ikev2/payloads/ts.js';

const PYTHON = '/usr/bin/python3';

/** Dissects each hex message and prints, per payload, the fields scapy found (its own parse, not ours). */
const DISSECT = String.raw`
import sys, json, logging
logging.getLogger('scapy').setLevel(logging.ERROR)
from scapy.contrib.ikev2 import *
def b(x): return bytes(x).hex() if x is not None else None
out = []
for line in sys.stdin.read().split():
    p = IKEv2(bytes.fromhex(line))
    r = {'ispi': p.init_SPI.hex(), 'rspi': p.resp_SPI.hex(), 'np': p.next_payload, 'exch': p.exch_type,
         'flags': int(p.flags), 'id': p.id, 'length': p.length, 'payloads': []}
    pl = p.payload
    while pl is not None and hasattr(pl, 'next_payload'):
        d = {'name': pl.name, 'length': pl.length}
        if isinstance(pl, IKEv2_payload_SA):
            props, pr = [], pl.prop
            while isinstance(pr, IKEv2_payload_Proposal):
                ts, t = [], pr.trans
                while isinstance(t, IKEv2_payload_Transform):
                    ts.append([t.transform_type, t.transform_id, t.key_length if t.length > 8 else None])
                    t = t.payload
                props.append({'num': pr.proposal, 'proto': pr.proto, 'spi': b(pr.SPI), 'trans': ts})
                pr = pr.payload
            d['props'] = props
        elif isinstance(pl, IKEv2_payload_KE): d['ke'] = [pl.group, b(pl.load)]
        elif isinstance(pl, IKEv2_payload_Nonce): d['nonce'] = b(pl.load)
        elif isinstance(pl, IKEv2_payload_Notify): d['notify'] = [pl.proto, pl.type, b(pl.SPI), b(pl.load)]
        elif isinstance(pl, IKEv2_payload_VendorID): d['vid'] = b(pl.vendorID)
        elif isinstance(pl, (IKEv2_payload_IDi, IKEv2_payload_IDr)): d['id'] = [pl.IDtype, pl.ID if isinstance(pl.ID, str) else b(pl.ID)]
        elif isinstance(pl, IKEv2_payload_AUTH): d['auth'] = [pl.auth_type, b(pl.load)]
        elif isinstance(pl, (IKEv2_payload_TSi, IKEv2_payload_TSr)):
            d['ts'] = [[s.TS_type, s.IP_protocol_ID, s.start_port, s.end_port,
                        getattr(s, 'starting_address_v4', None) or getattr(s, 'starting_address_v6', None),
                        getattr(s, 'ending_address_v4', None) or getattr(s, 'ending_address_v6', None)] for s in pl.traffic_selector]
        elif isinstance(pl, IKEv2_payload_Encrypted): d['sk'] = b(pl.load)
        elif isinstance(pl, IKEv2_payload_Encrypted_Fragment): d['skf'] = [pl.frag_number, pl.frag_total, b(pl.load)]
        elif isinstance(pl, IKEv2_payload_CP):
            d['cp'] = [pl.CFGType, [[a.type, a.length, str(a.value) if not isinstance(a.value, bytes) else a.value.hex()] for a in pl.attributes]]
        r['payloads'].append(d)
        nxt = pl.payload
        pl = nxt if hasattr(nxt, 'next_payload') else None
    out.append(r)
print(json.dumps(out))
`;

/** Messages scapy builds itself, for our decoder. */
const BUILD = String.raw`
import logging
logging.getLogger('scapy').setLevel(logging.ERROR)
from scapy.contrib.ikev2 import *
t = (IKEv2_payload_Transform(transform_type='Encryption', transform_id=12, length=12, key_length=0x800e0100)
     / IKEv2_payload_Transform(transform_type='PRF', transform_id=7)
     / IKEv2_payload_Transform(transform_type='Integrity', transform_id=14)
     / IKEv2_payload_Transform(transform_type='GroupDesc', transform_id=31, next_payload=0))
# scapy 2.5 chains Next Payload only from the header, so each payload names its successor explicitly.
sa = IKEv2_payload_SA(next_payload=34, prop=IKEv2_payload_Proposal(proposal=1, proto=1, trans_nb=4, trans=t))
init = (IKEv2(init_SPI=bytes.fromhex('1122334455667788'), resp_SPI=bytes(8), exch_type=34, flags='Initiator')
        / sa / IKEv2_payload_KE(next_payload=40, group=31, load=bytes(range(32)))
        / IKEv2_payload_Nonce(next_payload=41, load=bytes(range(40, 72)))
        / IKEv2_payload_Notify(next_payload=43, type=16388, load=bytes(20)) / IKEv2_payload_VendorID(next_payload=0, vendorID=b'scapy-vid'))
auth = (IKEv2(init_SPI=bytes.fromhex('1122334455667788'), resp_SPI=bytes.fromhex('99aabbccddeeff00'), exch_type=35, id=1, flags='Initiator')
        / IKEv2_payload_IDi(next_payload=39, IDtype=2, ID=b'scapy.example', length=8 + 13)  # its length_of names 'load'
        / IKEv2_payload_AUTH(next_payload=44, auth_type=2, load=bytes(32))
        / IKEv2_payload_TSi(next_payload=45, traffic_selector=[IPv4TrafficSelector(IP_protocol_ID=6, start_port=0, end_port=65535,
                                                                   starting_address_v4='10.1.0.0', ending_address_v4='10.1.255.255')])
        # scapy's IPv6 selector defaults to Selector Length 20; RFC 7296 §3.13.1 says 40 (we refuse 20).
        / IKEv2_payload_TSr(next_payload=0, traffic_selector=[IPv6TrafficSelector(IP_protocol_ID=17, start_port=53, end_port=53, length=40,
                                                                   starting_address_v6='2001:db8::', ending_address_v6='2001:db8::ff')]))
print(bytes(init).hex())
print(bytes(auth).hex())
`;

interface Vec {
  sk: {
    encr: string;
    integ: string | null;
    innerNp: number;
    inner: string;
    spii: string;
    spir: string;
    message: string;
  }[];
}
const V = loadIkev2Vectors<Vec>();

function scapyAvailable(): boolean {
  return spawnSync(PYTHON, ['-c', 'import scapy.contrib.ikev2'], { encoding: 'utf8' }).status === 0;
}

function dissect(messages: Uint8Array[]): any[] {
  const r = spawnSync(PYTHON, ['-c', DISSECT], { input: messages.map(toh).join('\n'), encoding: 'utf8' });
  assert.equal(r.status, 0, r.stderr);
  return JSON.parse(r.stdout);
}

/** A clear header in front of the decrypted SK content, so a dissector without keys reads the inner payloads. */
function clearOf(innerNp: number, inner: Uint8Array): Uint8Array {
  const out = new Uint8Array(28 + inner.length);
  out.set(hex('0011223344556677 8899aabbccddeeff'));
  out.set([innerNp, 0x20, 35, 0x08, 0, 0, 0, 1], 16);
  new DataView(out.buffer).setUint32(24, out.length);
  out.set(inner, 28);
  return out;
}

describe('racoon/ikev2 vs scapy.contrib.ikev2 (independent codec, both directions)', function () {
  before(function () {
    if (!scapyAvailable()) {
      console.log('    (skipped: scapy not installed for /usr/bin/python3)');
      this.skip();
    }
  });

  it('scapy reads our IKE_SA_INIT: header, proposals, transforms, key lengths, KE, nonce, notifies, VID', () => {
    const [m] = dissect([INIT_BYTES]);
    assert.deepEqual(
      [m.ispi, m.rspi, m.np, m.exch, m.flags, m.id, m.length],
      ['0123456789abcdef', '0000000000000000', 33, 34, 8, 0, INIT_BYTES.length],
    );
    const [sa, ke, nonce, n1, n2, n3, v] = m.payloads;
    assert.deepEqual(sa.props, [
      {
        num: 1,
        proto: 1,
        spi: '',
        trans: [
          [1, 12, 256],
          [2, 5, null],
          [3, 12, null],
          [4, 19, null],
        ],
      },
      {
        num: 2,
        proto: 3,
        spi: 'deadbeef',
        trans: [
          [1, 20, 128],
          [5, 0, null],
        ],
      },
    ]);
    assert.equal(ke.ke[0], 19);
    assert.equal(ke.ke[1].length, 128);
    assert.equal(nonce.nonce, toh(Uint8Array.from({ length: 32 }, (_, i) => i)));
    assert.deepEqual([n1.notify[1], n2.notify[1], n3.notify[1]], [16388, 16389, 16430]);
    assert.equal(n1.notify[3], '51'.repeat(20));
    assert.equal(v.vid, '882fe56d6fd20dbc2251613b2ebe5beb');
  });

  it('scapy reads the content of our SK payload (IDi, AUTH, N, SA, TSi, TSr) and our SK/SKF framing', () => {
    const c = V.sk[0]!;
    const skf = encodeIkev2Message({
      header: { ...decodeIkev2Message(hex(c.message)).value.header },
      payloads: [
        {
          type: K.IKEV2_PAYLOAD_SKF,
          body: { fragmentNumber: 2, totalFragments: 3, data: hex('a1a2a3a4a5') },
          innerNp: 0,
        },
      ],
    });
    const [m, enc, frag] = dissect([clearOf(c.innerNp, hex(c.inner)), hex(c.message), skf]);
    const byName = (n: string) => m.payloads.find((p: any) => p.name === n);
    assert.deepEqual(byName('IKEv2 Identification - Initiator').id, [
      2,
      toh(new TextEncoder().encode('initiator.example')),
    ]);
    assert.equal(byName('IKEv2 Authentication').auth[0], 2);
    assert.deepEqual(byName('IKEv2 Notify').notify, [0, 16384, '', '']);
    assert.deepEqual(byName('IKEv2 SA').props, [
      {
        num: 1,
        proto: 3,
        spi: 'c0ffee01',
        trans: [
          [1, 12, 128],
          [3, 12, null],
          [5, 0, null],
        ],
      },
    ]);
    assert.deepEqual(byName('IKEv2 Traffic Selector - Initiator').ts, [[7, 0, 0, 65535, '10.0.0.0', '10.0.0.255']]);
    assert.deepEqual(byName('IKEv2 Traffic Selector - Responder').ts, [
      [8, 17, 53, 53, '2001:db8::', '2001:db8:ffff:ffff:ffff:ffff:ffff:ffff'],
    ]);
    assert.equal(enc.payloads.length, 1);
    assert.equal(enc.payloads[0].sk, c.message.slice(64)); // IV | ciphertext | ICV, after HDR and the SK header
    assert.equal(enc.payloads[0].length, hex(c.message).length - 28);
    assert.deepEqual(frag.payloads[0].skf, [2, 3, 'a1a2a3a4a5']);
  });

  it('our decoder reads messages scapy built (IKE_SA_INIT with Curve25519, IKE_AUTH content)', () => {
    const r = spawnSync(PYTHON, ['-c', BUILD], { encoding: 'utf8' });
    assert.equal(r.status, 0, r.stderr);
    const [init, auth] = r.stdout
      .trim()
      .split('\n')
      .map((l) => decodeIkev2Message(hex(l)).value);
    assert.deepEqual(
      [init!.header.exchangeType, init!.header.flags, toh(init!.header.spiI)],
      [34, K.IKEV2_FLAG_INITIATOR, '1122334455667788'],
    );
    const prop = payloadsOf(init!.payloads, K.IKEV2_PAYLOAD_SA)[0]!.proposals[0]!;
    assert.deepEqual(
      prop.transforms.map((t) => [t.type, t.id, transformKeyLength(t)]),
      [
        [1, 12, 256],
        [2, 7, undefined],
        [3, 14, undefined],
        [4, 31, undefined],
      ],
    );
    assert.deepEqual(payloadsOf(init!.payloads, K.IKEV2_PAYLOAD_KE)[0], {
      group: 31,
      data: Uint8Array.from({ length: 32 }, (_, i) => i),
    });
    assert.equal(payloadsOf(init!.payloads, K.IKEV2_PAYLOAD_NONCE)[0]!.length, 32);
    assert.equal(payloadsOf(init!.payloads, K.IKEV2_PAYLOAD_NOTIFY)[0]!.notifyType, 16388);
    assert.equal(Buffer.from(payloadsOf(init!.payloads, K.IKEV2_PAYLOAD_VENDOR)[0]!).toString(), 'scapy-vid');
    const idi = payloadsOf(auth!.payloads, K.IKEV2_PAYLOAD_IDI)[0]!;
    assert.equal(Buffer.from(idi.data).toString(), 'scapy.example');
    const [tsi] = payloadsOf(auth!.payloads, K.IKEV2_PAYLOAD_TSI)[0]!.selectors;
    const [tsr] = payloadsOf(auth!.payloads, K.IKEV2_PAYLOAD_TSR)[0]!.selectors;
    assert.ok(tsi && isAddrSelector(tsi) && tsr && isAddrSelector(tsr));
    assert.deepEqual([tsi.protocol, toh(tsi.startAddr), toh(tsi.endAddr)], [6, '0a010000', '0a01ffff']);
    assert.deepEqual([tsr.protocol, tsr.startPort, toh(tsr.endAddr)], [17, 53, '20010db8' + '0'.repeat(22) + 'ff']);
  });
});
