// keysock SA messages: GETSPI/UPDATE ownership, ADD, DELETE (one and all), GET, FLUSH, DUMP streaming,
// REGISTER, error replies. Expected values come from RFC 2367 §3.1 and KAME key.c (FreeBSD sys/netipsec/key.c).
import assert from 'node:assert/strict';
import * as C from '../../../pfkey/constants.js';
import { encodeMessage, withErrno } from '../../../pfkey/index.js';
import { KeySock } from '../../../kernel/keysock/keysock.js';
import { ERRNO_NUMBERS } from '../../../pfkey/errors.js';
import { addr, bareKernel, hexKey, ip, msg, openRec, saMsg } from './support.js';

const E = ERRNO_NUMBERS;

function setup() {
  const k = bareKernel();
  const ks = new KeySock(k);
  const a = openRec(ks),
    b = openRec(ks),
    c = openRec(ks);
  return { k, ks, a, b, c };
}

describe('keysock: SADB_ADD / SADB_UPDATE / SADB_GETSPI', () => {
  it('ADD installs a mature SA and the reply (no keys) goes to every socket, originator last', () => {
    const { k, ks, a, b, c } = setup();
    a.send(saMsg({ spi: 0x1000, seq: 7, pid: 42 }));
    const sa = k.sad.lookupIn(ip('10.0.0.2'), 'esp', 0x1000)!;
    assert.equal(sa.state, 'mature');
    assert.equal(sa.encAlg?.name, 'aes-cbc');
    assert.equal(sa.authAlg?.name, 'hmac-sha1');
    assert.equal(sa.replayBits, 32, 'sadb_sa_replay 4 bytes = 32 packets');
    for (const r of [a, b, c]) {
      const [m] = r.msgs();
      assert.equal(m!.msg.type, C.SADB_ADD);
      assert.equal(m!.msg.errno, 0);
      assert.equal(m!.msg.seq, 7);
      assert.equal(m!.msg.pid, 42);
      assert.equal(m!.ext.keyEncrypt, undefined, 'keys are stripped (key_getmsgbuf_x1)');
      assert.equal(m!.ext.keyAuth, undefined);
      assert.equal(m!.ext.sa!.spi, 0x1000);
    }
    assert.equal(ks.stats.internalErrors, 0);
  });

  it('ADD of a taken SPI is EEXIST, sent back to the originator only as the original message', () => {
    const { a, b } = setup();
    a.send(saMsg({ spi: 0x1000 }));
    a.clear();
    b.clear();
    const bytes = encodeMessage(saMsg({ spi: 0x1000, seq: 9 }));
    a.send(bytes);
    assert.equal(b.raw.length, 0);
    assert.equal(a.raw.length, 1);
    assert.deepEqual(a.raw[0], withErrno(bytes, E.EEXIST));
  });

  it('an SA with only one of LIFETIME_HARD/SOFT is EINVAL and installs nothing (KAME)', () => {
    const { k, a } = setup();
    const lt = { allocations: 0, bytes: 0n, addtime: 100n, usetime: 0n };
    a.send(saMsg({ spi: 0x1001, extra: { lifetimeHard: lt } }));
    assert.equal(a.msgs()[0]!.msg.errno, E.EINVAL);
    a.clear();
    a.send(saMsg({ spi: 0x1001, extra: { lifetimeSoft: lt } }));
    assert.equal(a.msgs()[0]!.msg.errno, E.EINVAL);
    assert.equal(k.sad.size, 0);
  });

  it('refuses a wrong key length, an unknown algorithm and SPI <= 255 with EINVAL', () => {
    const { k, a } = setup();
    a.send(saMsg({ spi: 0x1002, encKey: hexKey(15, 1) }));
    a.send(saMsg({ spi: 0x1003, enc: C.SADB_X_EALG_BLOWFISHCBC }));
    a.send(saMsg({ spi: 0xff }));
    a.send(saMsg({ spi: 0x1004, authKey: hexKey(16, 1) }));
    assert.deepEqual(
      a.msgs().map((m) => m.msg.errno),
      [E.EINVAL, E.EINVAL, E.EINVAL, E.EINVAL],
    );
    assert.equal(k.sad.size, 0);
  });

  it('GETSPI picks an SPI in the range, answers the caller only, and leaves a larval SA', () => {
    const { k, a, b } = setup();
    a.send(
      msg(
        C.SADB_GETSPI,
        C.SADB_SATYPE_ESP,
        {
          addressSrc: addr('10.0.0.2'),
          addressDst: addr('10.0.0.1'),
          spirange: { min: 0x2000, max: 0x2fff },
          sa2: { mode: C.IPSEC_MODE_TUNNEL, sequence: 0, reqid: 5 },
        },
        33,
        77,
      ),
    );
    assert.equal(b.raw.length, 0);
    const [r] = a.msgs();
    assert.equal(r!.msg.type, C.SADB_GETSPI);
    assert.equal(r!.msg.seq, 33);
    const spi = r!.ext.sa!.spi;
    assert.ok(spi >= 0x2000 && spi <= 0x2fff, `spi 0x${spi.toString(16)}`);
    const sa = k.sad.get(ip('10.0.0.2'), ip('10.0.0.1'), 'esp', spi)!;
    assert.equal(sa.state, 'larval');
    assert.equal(sa.ownerPid, 77);
    assert.equal(sa.mode, 'tunnel');
    assert.equal(sa.reqid, 5);
  });

  it('GETSPI with min == max takes that SPI, and EINVAL when it is in use (key_do_getnewspi)', () => {
    const { a } = setup();
    const g = () =>
      msg(C.SADB_GETSPI, C.SADB_SATYPE_ESP, {
        addressSrc: addr('10.0.0.2'),
        addressDst: addr('10.0.0.1'),
        spirange: { min: 0x3000, max: 0x3000 },
      });
    a.send(g());
    a.send(g());
    const [r1, r2] = a.msgs();
    assert.equal(r1!.ext.sa!.spi, 0x3000);
    assert.equal(r2!.msg.errno, E.EINVAL);
  });

  it('UPDATE matures the larval SA only for the GETSPI caller (pid); others get EINVAL', () => {
    const { k, a, b } = setup();
    a.send(
      msg(
        C.SADB_GETSPI,
        C.SADB_SATYPE_ESP,
        { addressSrc: addr('10.0.0.2'), addressDst: addr('10.0.0.1'), spirange: { min: 0x4000, max: 0x4000 } },
        5,
        77,
      ),
    );
    b.send(saMsg({ type: C.SADB_UPDATE, spi: 0x4000, src: '10.0.0.2', dst: '10.0.0.1', pid: 88, seq: 5 }));
    assert.equal(b.msgs()[0]!.msg.errno, E.EINVAL);
    assert.equal(k.sad.get(ip('10.0.0.2'), ip('10.0.0.1'), 'esp', 0x4000)!.state, 'larval');
    a.clear();
    b.clear();
    a.send(saMsg({ type: C.SADB_UPDATE, spi: 0x4000, src: '10.0.0.2', dst: '10.0.0.1', pid: 77, seq: 5 }));
    assert.equal(k.sad.get(ip('10.0.0.2'), ip('10.0.0.1'), 'esp', 0x4000)!.state, 'mature');
    assert.equal(a.msgs()[0]!.msg.type, C.SADB_UPDATE);
    assert.equal(b.msgs()[0]!.msg.type, C.SADB_UPDATE, 'UPDATE reply goes to all');
    assert.equal(b.msgs()[0]!.ext.keyEncrypt, undefined);
  });

  it('UPDATE of an SA that does not exist is ENOENT', () => {
    const { a } = setup();
    a.send(saMsg({ type: C.SADB_UPDATE, spi: 0x4444 }));
    assert.equal(a.msgs()[0]!.msg.errno, E.ENOENT);
  });

  it('larval SAs disappear after 30 s without a message (key_timehandler)', () => {
    const { k, a, b } = setup();
    b.send(msg(C.SADB_REGISTER, C.SADB_SATYPE_ESP));
    b.clear();
    a.send(msg(C.SADB_GETSPI, C.SADB_SATYPE_ESP, { addressSrc: addr('10.0.0.2'), addressDst: addr('10.0.0.1') }));
    assert.equal(k.sad.size, 1);
    k.clock.advance(29_000);
    assert.equal(k.sad.size, 1);
    k.clock.advance(2_000);
    assert.equal(k.sad.size, 0);
    assert.equal(b.raw.length, 0, 'no EXPIRE for a larval SA');
  });
});

describe('keysock: SADB_DELETE / SADB_GET / SADB_FLUSH', () => {
  it('DELETE with an SA removes it, replies to all; ENOENT when absent', () => {
    const { k, a, b } = setup();
    a.send(saMsg({ spi: 0x1000 }));
    a.clear();
    b.clear();
    a.send(
      msg(C.SADB_DELETE, C.SADB_SATYPE_ESP, {
        sa: { spi: 0x1000, replay: 0, state: 0, auth: 0, encrypt: 0, flags: 0 },
        addressSrc: addr('10.0.0.1'),
        addressDst: addr('10.0.0.2'),
      }),
    );
    assert.equal(k.sad.size, 0);
    assert.equal(b.msgs()[0]!.msg.type, C.SADB_DELETE);
    assert.equal(b.msgs()[0]!.ext.sa!.spi, 0x1000);
    a.clear();
    a.send(
      msg(C.SADB_DELETE, C.SADB_SATYPE_ESP, {
        sa: { spi: 0x1000, replay: 0, state: 0, auth: 0, encrypt: 0, flags: 0 },
        addressSrc: addr('10.0.0.1'),
        addressDst: addr('10.0.0.2'),
      }),
    );
    assert.equal(a.msgs()[0]!.msg.errno, E.ENOENT);
  });

  it('DELETE without an SA removes every non-larval SA of that proto between the pair (deleteall)', () => {
    const { k, a } = setup();
    a.send(saMsg({ spi: 0x1000 }));
    a.send(saMsg({ spi: 0x1001 }));
    a.send(saMsg({ spi: 0x1002, dst: '10.0.0.3' }));
    a.send(saMsg({ spi: 0x1003, satype: C.SADB_SATYPE_AH, auth: C.SADB_X_AALG_SHA2_256, authKey: hexKey(32, 3) }));
    a.send(
      msg(C.SADB_GETSPI, C.SADB_SATYPE_ESP, {
        addressSrc: addr('10.0.0.1'),
        addressDst: addr('10.0.0.2'),
        spirange: { min: 0x5000, max: 0x5000 },
      }),
    );
    a.clear();
    a.send(msg(C.SADB_DELETE, C.SADB_SATYPE_ESP, { addressSrc: addr('10.0.0.1'), addressDst: addr('10.0.0.2') }));
    const left = k.sad
      .dump()
      .map((s) => `${s.proto}:${s.spi.toString(16)}:${s.state}`)
      .sort();
    assert.deepEqual(left, ['ah:1003:mature', 'esp:1002:mature', 'esp:5000:larval']);
    const [r] = a.msgs();
    assert.equal(r!.msg.errno, 0);
    assert.equal(r!.ext.sa, undefined);
  });

  it('GET returns the whole SA with keys, to the caller only', () => {
    const { a, b } = setup();
    a.send(saMsg({ spi: 0x1000, reqid: 9, mode: C.IPSEC_MODE_TUNNEL }));
    a.clear();
    b.clear();
    a.send(
      msg(
        C.SADB_GET,
        C.SADB_SATYPE_ESP,
        {
          sa: { spi: 0x1000, replay: 0, state: 0, auth: 0, encrypt: 0, flags: 0 },
          addressSrc: addr('10.0.0.1'),
          addressDst: addr('10.0.0.2'),
        },
        3,
        55,
      ),
    );
    assert.equal(b.raw.length, 0);
    const [g] = a.msgs();
    assert.equal(g!.msg.type, C.SADB_GET);
    assert.equal(g!.msg.pid, 55);
    assert.equal(g!.ext.sa!.state, C.SADB_SASTATE_MATURE);
    assert.equal(g!.ext.sa!.encrypt, C.SADB_X_EALG_AESCBC);
    assert.equal(g!.ext.sa!.auth, C.SADB_AALG_SHA1HMAC);
    assert.equal(g!.ext.sa!.replay, 4);
    assert.deepEqual(g!.ext.keyEncrypt!.key, new Uint8Array(16).fill(0x11));
    assert.deepEqual(g!.ext.keyAuth!.key, new Uint8Array(20).fill(0x22));
    assert.equal(g!.ext.sa2!.mode, C.IPSEC_MODE_TUNNEL);
    assert.equal(g!.ext.sa2!.reqid, 9);
    assert.equal(g!.ext.lifetimeCurrent!.addtime, 1_700_000_000n);
  });

  it('FLUSH by satype keeps the others; FLUSH UNSPEC empties the SAD; reply header to all', () => {
    const { k, a, b } = setup();
    a.send(saMsg({ spi: 0x1000 }));
    a.send(saMsg({ spi: 0x1003, satype: C.SADB_SATYPE_AH, auth: C.SADB_X_AALG_SHA2_256, authKey: hexKey(32, 3) }));
    b.clear();
    a.send(msg(C.SADB_FLUSH, C.SADB_SATYPE_AH));
    assert.deepEqual(
      k.sad.dump().map((s) => s.proto),
      ['esp'],
    );
    a.send(msg(C.SADB_FLUSH, C.SADB_SATYPE_UNSPEC));
    assert.equal(k.sad.size, 0);
    assert.deepEqual(
      b.msgs().map((m) => [m.msg.type, m.msg.satype, Object.keys(m.ext).length]),
      [
        [C.SADB_FLUSH, C.SADB_SATYPE_AH, 0],
        [C.SADB_FLUSH, 0, 0],
      ],
    );
  });
});

describe('keysock: SADB_DUMP', () => {
  it('one message per SA, seq counting down to 0, pid of the requester, to the caller only', () => {
    const { a, b } = setup();
    for (let i = 0; i < 5; i++) a.send(saMsg({ spi: 0x1000 + i }));
    a.clear();
    b.clear();
    a.send(msg(C.SADB_DUMP, C.SADB_SATYPE_UNSPEC, {}, 99, 4242));
    const d = a.msgs();
    assert.equal(b.raw.length, 0);
    assert.deepEqual(
      d.map((m) => m.msg.seq),
      [4, 3, 2, 1, 0],
    );
    assert.ok(d.every((m) => m.msg.type === C.SADB_DUMP && m.msg.pid === 4242 && m.ext.keyEncrypt !== undefined));
    assert.deepEqual(new Set(d.map((m) => m.ext.sa!.spi)), new Set([0x1000, 0x1001, 0x1002, 0x1003, 0x1004]));
  });

  it('an empty table is ENOENT', () => {
    const { a } = setup();
    a.send(msg(C.SADB_DUMP, C.SADB_SATYPE_UNSPEC));
    assert.equal(a.msgs()[0]!.msg.errno, E.ENOENT);
  });

  it('streams: stops when the socket is full and continues on resume()', () => {
    const { a, b } = setup();
    for (let i = 0; i < 10; i++) a.send(saMsg({ spi: 0x1000 + i }));
    a.clear();
    a.room = false;
    a.send(msg(C.SADB_DUMP, C.SADB_SATYPE_ESP));
    assert.equal(a.raw.length, 1, 'one entry, then the sink said it is full');
    b.send(saMsg({ spi: 0x2000 }));
    assert.equal(a.msgs()[1]!.msg.type, C.SADB_ADD, 'other traffic still reaches the socket mid-dump');
    a.room = true;
    a.sock.resume();
    const seqs = a
      .msgs()
      .filter((m) => m.msg.type === C.SADB_DUMP)
      .map((m) => m.msg.seq);
    assert.deepEqual(seqs, [9, 8, 7, 6, 5, 4, 3, 2, 1, 0]);
  });

  it('a second DUMP while one is streaming is EBUSY', () => {
    const { a } = setup();
    a.send(saMsg({ spi: 0x1000 }));
    a.send(saMsg({ spi: 0x1001 }));
    a.clear();
    a.room = false;
    a.send(msg(C.SADB_DUMP, 0));
    a.send(msg(C.SADB_DUMP, 0, {}, 2));
    assert.equal(a.msgs()[1]!.msg.errno, E.EBUSY);
  });
});

describe('keysock: SADB_REGISTER', () => {
  it('returns SUPPORTED_AUTH/ENCRYPT with key sizes from the crypto registry', () => {
    const { a } = setup();
    a.send(msg(C.SADB_REGISTER, C.SADB_SATYPE_ESP));
    const [r] = a.msgs();
    const enc = new Map(r!.ext.supportedEncrypt!.algs.map((x) => [x.id, x]));
    const auth = new Map(r!.ext.supportedAuth!.algs.map((x) => [x.id, x]));
    // RFC 3602 AES-CBC: 128/192/256-bit keys, 16-byte IV; RFC 4106 GCM keys carry a 32-bit salt.
    assert.deepEqual(enc.get(C.SADB_X_EALG_AESCBC), {
      id: C.SADB_X_EALG_AESCBC,
      ivlen: 16,
      minbits: 128,
      maxbits: 256,
    });
    assert.deepEqual(enc.get(C.SADB_X_EALG_AESGCM16), {
      id: C.SADB_X_EALG_AESGCM16,
      ivlen: 8,
      minbits: 160,
      maxbits: 288,
    });
    assert.deepEqual(enc.get(C.SADB_EALG_3DESCBC), { id: C.SADB_EALG_3DESCBC, ivlen: 8, minbits: 192, maxbits: 192 });
    assert.deepEqual(auth.get(C.SADB_X_AALG_SHA2_256), {
      id: C.SADB_X_AALG_SHA2_256,
      ivlen: 0,
      minbits: 256,
      maxbits: 256,
    });
    assert.deepEqual(auth.get(C.SADB_AALG_SHA1HMAC), {
      id: C.SADB_AALG_SHA1HMAC,
      ivlen: 0,
      minbits: 160,
      maxbits: 160,
    });
    assert.ok(auth.has(C.SADB_X_AALG_RIPEMD160HMAC));
    assert.ok(!enc.has(C.SADB_X_EALG_BLOWFISHCBC), 'refused ciphers are not announced');
  });

  it('goes to registered sockets and the caller; twice for one satype is EEXIST; UNSPEC does not register', () => {
    const { ks, a, b, c } = setup();
    c.send(msg(C.SADB_REGISTER, C.SADB_SATYPE_UNSPEC));
    assert.equal(c.msgs()[0]!.msg.type, C.SADB_REGISTER);
    c.clear();
    b.send(msg(C.SADB_REGISTER, C.SADB_SATYPE_AH));
    b.clear();
    a.send(msg(C.SADB_REGISTER, C.SADB_SATYPE_ESP));
    assert.equal(b.raw.length, 1, 'registered (for AH) socket gets a copy');
    assert.equal(c.raw.length, 0, 'UNSPEC registration did not register');
    assert.equal(a.raw.length, 1);
    a.clear();
    a.send(msg(C.SADB_REGISTER, C.SADB_SATYPE_ESP));
    assert.equal(a.msgs()[0]!.msg.errno, E.EEXIST);
    assert.equal(ks.stats.internalErrors, 0);
  });
});

describe('keysock: malformed input', () => {
  it('wrong version, bad length, duplicate or unknown extension: EINVAL with the original bytes', () => {
    const { k, a } = setup();
    const good = encodeMessage(saMsg({ spi: 0x1000 }));
    const badVersion = new Uint8Array(good);
    badVersion[0] = 1;
    const badLen = new Uint8Array(good);
    badLen[4] = badLen[4]! + 1;
    const unknownExt = new Uint8Array(good);
    unknownExt[16 + 2] = 200; // first extension's type
    for (const b of [badVersion, badLen, unknownExt]) {
      a.clear();
      a.send(b);
      assert.deepEqual(a.raw, [withErrno(b, E.EINVAL)]);
    }
    assert.equal(k.sad.size, 0);
  });

  it('shorter than a header: no reply (send() error), counted', () => {
    const { ks, a } = setup();
    a.send(new Uint8Array(8));
    assert.equal(a.raw.length, 0);
    assert.equal(ks.stats.tooShort, 1);
  });

  it('messages only the kernel sends (EXPIRE, X_SPDEXPIRE) are EINVAL from user space', () => {
    const { a } = setup();
    a.send(
      msg(C.SADB_EXPIRE, C.SADB_SATYPE_ESP, {
        sa: { spi: 0x1000, replay: 0, state: 0, auth: 0, encrypt: 0, flags: 0 },
      }),
    );
    a.send(msg(C.SADB_X_SPDEXPIRE, 0));
    assert.deepEqual(
      a.msgs().map((m) => m.msg.errno),
      [E.EINVAL, E.EINVAL],
    );
  });

  it('unsupported satypes: RSVP is EOPNOTSUPP, TCP-signature is EPROTONOSUPPORT', () => {
    const { a } = setup();
    a.send(saMsg({ spi: 0x1000, satype: C.SADB_SATYPE_RSVP }));
    a.send(saMsg({ spi: 0x1000, satype: C.SADB_X_SATYPE_TCPSIGNATURE, enc: 0, extra: { keyEncrypt: undefined } }));
    assert.deepEqual(
      a.msgs().map((m) => m.msg.errno),
      [E.EOPNOTSUPP, E.EPROTONOSUPPORT],
    );
  });
});

describe('keysock: NAT-T and replay extensions', () => {
  it('ADD with NAT_T_TYPE/SPORT/DPORT/OAI stores the ESP-in-UDP ports; GET shows them', () => {
    const { k, a } = setup();
    a.send(
      saMsg({
        spi: 0x1000,
        extra: {
          natTType: { type: C.UDP_ENCAP_ESPINUDP },
          natTSport: { port: 4500 },
          natTDport: { port: 14500 },
          natTOai: addr('192.168.1.10'),
        },
      }),
    );
    const sa = k.sad.lookupIn(ip('10.0.0.2'), 'esp', 0x1000)!;
    assert.deepEqual(sa.natt, { sport: 4500, dport: 14500, oai: ip('192.168.1.10'), oar: undefined });
    a.clear();
    a.send(
      msg(C.SADB_GET, C.SADB_SATYPE_ESP, {
        sa: { spi: 0x1000, replay: 0, state: 0, auth: 0, encrypt: 0, flags: 0 },
        addressSrc: addr('10.0.0.1'),
        addressDst: addr('10.0.0.2'),
      }),
    );
    const g = a.msgs()[0]!;
    assert.equal(g.ext.natTSport!.port, 4500);
    assert.equal(g.ext.natTDport!.port, 14500);
    assert.equal(g.ext.natTType!.type, C.UDP_ENCAP_ESPINUDP);
  });

  it('NAT_T_TYPE without the ports is EINVAL', () => {
    const { a } = setup();
    a.send(saMsg({ spi: 0x1000, extra: { natTType: { type: C.UDP_ENCAP_ESPINUDP } } }));
    assert.equal(a.msgs()[0]!.msg.errno, E.EINVAL);
  });

  it('a window above 2040 packets travels in SADB_X_EXT_SA_REPLAY (packets) and back', () => {
    const { k, a } = setup();
    a.send(saMsg({ spi: 0x1000, replay: 255, extra: { saReplay: { replay: 4096 } } }));
    assert.equal(k.sad.lookupIn(ip('10.0.0.2'), 'esp', 0x1000)!.replayBits, 4096);
    a.clear();
    a.send(msg(C.SADB_DUMP, 0));
    const d = a.msgs()[0]!;
    assert.equal(d.ext.sa!.replay, 255);
    assert.equal(d.ext.saReplay!.replay, 4096);
  });

  it('the ESN flag sets 64-bit sequence numbers and is shown again in dumps', () => {
    const { k, a } = setup();
    a.send(saMsg({ spi: 0x1000, flags: C.SADB_X_SAFLAGS_ESN }));
    assert.equal(k.sad.lookupIn(ip('10.0.0.2'), 'esp', 0x1000)!.esn, true);
    a.clear();
    a.send(msg(C.SADB_DUMP, 0));
    assert.equal(a.msgs()[0]!.ext.sa!.flags & C.SADB_X_SAFLAGS_ESN, C.SADB_X_SAFLAGS_ESN);
  });
});

describe('keysock: IPComp, AH, IPv6 and UPDATE of a mature SA', () => {
  it('IPComp ADD (deflate, no keys) and its dump (sadb_sa_encrypt = SADB_X_CALG_DEFLATE)', () => {
    const { k, a } = setup();
    const m = saMsg({
      spi: 0x4000,
      satype: C.SADB_X_SATYPE_IPCOMP,
      enc: C.SADB_X_CALG_DEFLATE,
      auth: C.SADB_AALG_NONE,
    });
    delete m.ext.keyEncrypt;
    a.send(m);
    assert.equal(a.msgs()[0]!.msg.errno, 0);
    assert.equal(k.sad.dump()[0]!.compAlg?.name, 'deflate');
    a.clear();
    a.send(msg(C.SADB_DUMP, C.SADB_X_SATYPE_IPCOMP));
    const d = a.msgs()[0]!;
    assert.deepEqual(
      [d.msg.satype, d.ext.sa!.encrypt, d.ext.sa!.auth, d.ext.keyEncrypt],
      [C.SADB_X_SATYPE_IPCOMP, C.SADB_X_CALG_DEFLATE, 0, undefined],
    );
  });

  it('IPComp with an authentication algorithm, or AH with a cipher, is EINVAL', () => {
    const { k, a } = setup();
    const ipc = saMsg({
      spi: 0x4000,
      satype: C.SADB_X_SATYPE_IPCOMP,
      enc: C.SADB_X_CALG_DEFLATE,
      auth: C.SADB_X_AALG_SHA2_256,
    });
    delete ipc.ext.keyEncrypt;
    delete ipc.ext.keyAuth;
    a.send(ipc);
    a.send(
      saMsg({
        spi: 0x4001,
        satype: C.SADB_SATYPE_AH,
        enc: C.SADB_X_EALG_AESCBC,
        auth: C.SADB_X_AALG_SHA2_256,
        authKey: hexKey(32, 1),
      }),
    );
    assert.deepEqual(
      a.msgs().map((m) => m.msg.errno),
      [E.EINVAL, E.EINVAL],
    );
    assert.equal(k.sad.size, 0);
  });

  it('AH over IPv6 through GETSPI -> UPDATE; GET answers with the IPv6 sockaddrs', () => {
    const { k, a } = setup();
    a.send(
      msg(
        C.SADB_GETSPI,
        C.SADB_SATYPE_AH,
        { addressSrc: addr('fd00::2'), addressDst: addr('fd00::1'), spirange: { min: 0x9000, max: 0x9000 } },
        4,
        100,
      ),
    );
    a.send(
      saMsg({
        type: C.SADB_UPDATE,
        satype: C.SADB_SATYPE_AH,
        spi: 0x9000,
        src: 'fd00::2',
        dst: 'fd00::1',
        seq: 4,
        auth: C.SADB_X_AALG_SHA2_512,
        authKey: hexKey(64, 9),
      }),
    );
    assert.equal(a.msgs()[1]!.msg.errno, 0);
    assert.equal(k.sad.lookupIn(ip('fd00::1'), 'ah', 0x9000)!.authAlg!.name, 'hmac-sha512');
    a.clear();
    a.send(
      msg(C.SADB_GET, C.SADB_SATYPE_AH, {
        sa: { spi: 0x9000, replay: 0, state: 0, auth: 0, encrypt: 0, flags: 0 },
        addressSrc: addr('fd00::2'),
        addressDst: addr('fd00::1'),
      }),
    );
    const g = a.msgs()[0]!;
    assert.equal(g.ext.addressDst!.addr.family, 6);
    assert.equal(g.ext.addressDst!.prefixlen, 128);
    assert.equal(g.ext.keyAuth!.bits, 512);
  });

  it('UPDATE of a mature SA by its owner changes the lifetimes only', () => {
    const { k, a } = setup();
    const lt = (s: number) => ({ allocations: 0, bytes: 0n, addtime: BigInt(s), usetime: 0n });
    a.send(saMsg({ spi: 0x1000, pid: 100 }));
    const upd = saMsg({
      type: C.SADB_UPDATE,
      spi: 0x1000,
      pid: 100,
      extra: { lifetimeHard: lt(600), lifetimeSoft: lt(500) },
    });
    delete upd.ext.keyEncrypt;
    delete upd.ext.keyAuth;
    upd.ext.sa!.auth = 0;
    upd.ext.sa!.encrypt = 0;
    a.send(upd);
    const sa = k.sad.lookupIn(ip('10.0.0.2'), 'esp', 0x1000)!;
    assert.deepEqual(
      [a.msgs()[1]!.msg.errno, sa.hard.addtimeSec, sa.soft.addtimeSec, sa.encAlg?.name],
      [0, 600, 500, 'aes-cbc'],
    );
  });
});

describe('keysock: UPDATE of a mature SA with keys', () => {
  it('is EINVAL and changes nothing (FreeBSD key_update)', () => {
    const { k, a } = setup();
    a.send(saMsg({ spi: 0x1000, pid: 100 }));
    a.send(saMsg({ type: C.SADB_UPDATE, spi: 0x1000, pid: 100, encKey: hexKey(16, 0x77) }));
    assert.equal(a.msgs()[1]!.msg.errno, E.EINVAL);
    assert.deepEqual(k.sad.lookupIn(ip('10.0.0.2'), 'esp', 0x1000)!.encKey, new Uint8Array(16).fill(0x11));
  });
});
