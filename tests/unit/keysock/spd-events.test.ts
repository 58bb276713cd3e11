// keysock SPD messages (X_SPDADD .. X_SPDFLUSH), X_PROMISC fan-out, and the kernel-originated ACQUIRE,
// EXPIRE and X_SPDEXPIRE (RFC 2367 §3.1.6/§3.1.8, KAME key.c and keysock.c).
import assert from 'node:assert/strict';
import * as C from '../../../pfkey/constants.js';
import { ERRNO_NUMBERS as E, encodeMessage } from '../../../pfkey/index.js';
import { KeySock } from '../../../kernel/keysock/keysock.js';
import { addr, bareKernel, ip, msg, openRec, saMsg, spMsg, T0 } from './support.js';

function setup() {
  const k = bareKernel();
  const ks = new KeySock(k);
  return { k, ks, a: openRec(ks), b: openRec(ks), c: openRec(ks) };
}

const polExt = (id: number, dir = C.IPSEC_DIR_OUTBOUND) => ({
  type: C.IPSEC_POLICY_IPSEC,
  dir,
  scope: 0,
  id,
  priority: 0,
  requests: [],
});

describe('keysock: SPD messages', () => {
  it('X_SPDADD installs the policy and tells every socket its id; the same selector again is EEXIST', () => {
    const { k, a, b } = setup();
    a.send(spMsg({ seq: 3 }));
    const [r] = b.msgs();
    assert.equal(r!.msg.type, C.SADB_X_SPDADD);
    assert.equal(r!.ext.policy!.id, 1);
    assert.equal(r!.ext.policy!.requests.length, 1);
    const p = k.spd.getPolicy(1);
    assert.equal(p.dir, 'out');
    assert.equal(p.action, 'ipsec');
    assert.deepEqual(
      p.requests.map((q) => [q.proto, q.mode, q.level]),
      [['esp', 'transport', 'require']],
    );
    a.clear();
    a.send(spMsg());
    assert.equal(a.msgs()[0]!.msg.errno, E.EEXIST);
  });

  it('selector ports, prefixes, upper-layer protocol, tunnel endpoints, priority and lifetime survive a round trip (SPDGET)', () => {
    const { a } = setup();
    a.send(
      spMsg({
        src: '10.1.0.0',
        srcLen: 16,
        dst: '10.2.0.0',
        dstLen: 24,
        ulproto: 6,
        sport: 0,
        dport: 443,
        tunnel: ['192.0.2.1', '192.0.2.2'],
        priority: 0x7fffff00,
        lifetime: [3600, 600],
        level: C.IPSEC_LEVEL_UNIQUE,
      }),
    );
    const id = a.msgs()[0]!.ext.policy!.id;
    a.clear();
    a.send(msg(C.SADB_X_SPDGET, 0, { policy: polExt(id) }, 8, 31));
    const [g] = a.msgs();
    assert.equal(g!.msg.type, C.SADB_X_SPDGET);
    assert.equal(g!.msg.pid, 31);
    assert.deepEqual(
      [
        g!.ext.addressSrc!.prefixlen,
        g!.ext.addressDst!.prefixlen,
        g!.ext.addressDst!.proto,
        g!.ext.addressDst!.addr.port,
      ],
      [16, 24, 6, 443],
    );
    const pol = g!.ext.policy!;
    assert.equal(pol.priority, 0x7fffff00);
    const req = pol.requests[0]!;
    assert.equal(req.mode, C.IPSEC_MODE_TUNNEL);
    assert.equal(req.level, C.IPSEC_LEVEL_UNIQUE);
    assert.ok(req.reqid > C.IPSEC_MANUAL_REQID_MAX, 'unique without a number gets a kernel reqid above 0x3fff');
    assert.deepEqual(req.src!.addr, ip('192.0.2.1'));
    assert.equal(g!.ext.lifetimeHard!.addtime, 3600n);
    assert.equal(g!.ext.lifetimeHard!.usetime, 600n);
    assert.equal(g!.ext.lifetimeCurrent!.addtime, BigInt(T0 / 1000));
    assert.equal(g!.ext.lifetimeCurrent!.usetime, 0n, 'never used');
  });

  it('X_SPDUPDATE replaces; X_SPDDELETE by selector; X_SPDDELETE2 by id; ENOENT when absent', () => {
    const { k, a } = setup();
    a.send(spMsg());
    a.send(spMsg({ type: C.SADB_X_SPDUPDATE, policy: C.IPSEC_POLICY_DISCARD }));
    assert.equal(k.spd.size, 1);
    assert.equal(k.spd.dump()[0]!.action, 'discard');
    a.send(spMsg({ dir: C.IPSEC_DIR_INBOUND, src: '10.0.0.2', dst: '10.0.0.1' }));
    a.clear();
    a.send(spMsg({ type: C.SADB_X_SPDDELETE }));
    assert.equal(a.msgs()[0]!.msg.errno, 0);
    assert.equal(a.msgs()[0]!.ext.policy!.id, 2, 'the deleted policy id comes back');
    a.send(spMsg({ type: C.SADB_X_SPDDELETE }));
    assert.equal(a.msgs()[1]!.msg.errno, E.ENOENT);
    const inId = k.spd.dump()[0]!.id;
    a.send(msg(C.SADB_X_SPDDELETE2, 0, { policy: polExt(inId, C.IPSEC_DIR_INBOUND) }));
    assert.equal(a.msgs()[2]!.msg.errno, 0);
    assert.equal(k.spd.size, 0);
    a.send(msg(C.SADB_X_SPDDELETE2, 0, { policy: polExt(inId) }));
    a.send(msg(C.SADB_X_SPDGET, 0, { policy: polExt(inId) }));
    assert.deepEqual(
      a
        .msgs()
        .slice(3)
        .map((m) => m.msg.errno),
      [E.ENOENT, E.ENOENT],
    );
  });

  it('X_SPDDUMP: inbound before outbound, seq down to 0, caller only; ENOENT when empty; X_SPDFLUSH to all', () => {
    const { k, a, b } = setup();
    a.send(msg(C.SADB_X_SPDDUMP, 0));
    assert.equal(a.msgs()[0]!.msg.errno, E.ENOENT);
    a.send(spMsg({ dst: '10.0.0.5' }));
    a.send(spMsg({ dir: C.IPSEC_DIR_INBOUND, src: '10.0.0.2', dst: '10.0.0.1' }));
    a.send(spMsg({ dst: '10.0.0.6', policy: C.IPSEC_POLICY_NONE }));
    a.clear();
    b.clear();
    a.send(msg(C.SADB_X_SPDDUMP, 0, {}, 1, 900));
    const d = a.msgs();
    assert.equal(b.raw.length, 0);
    assert.deepEqual(
      d.map((m) => [m.ext.policy!.dir, m.msg.seq, m.msg.pid]),
      [
        [C.IPSEC_DIR_INBOUND, 2, 900],
        [C.IPSEC_DIR_OUTBOUND, 1, 900],
        [C.IPSEC_DIR_OUTBOUND, 0, 900],
      ],
    );
    a.send(msg(C.SADB_X_SPDFLUSH, 0));
    assert.equal(k.spd.size, 0);
    assert.equal(b.msgs()[0]!.msg.type, C.SADB_X_SPDFLUSH);
  });

  it('refuses SA satypes, bad directions, entrust/bypass and ipsec without requests with EINVAL', () => {
    const { k, a } = setup();
    const wrongSatype = spMsg();
    wrongSatype.msg.satype = C.SADB_SATYPE_ESP;
    a.send(wrongSatype);
    a.send(spMsg({ dir: C.IPSEC_DIR_ANY }));
    a.send(spMsg({ policy: C.IPSEC_POLICY_ENTRUST }));
    const noReq = spMsg();
    noReq.ext.policy!.requests = [];
    a.send(noReq);
    assert.deepEqual(
      a.msgs().map((m) => m.msg.errno),
      [E.EINVAL, E.EINVAL, E.EINVAL, E.EINVAL],
    );
    assert.equal(k.spd.size, 0);
  });

  it('X_SPDEXPIRE goes to registered sockets when a policy lifetime runs out', () => {
    const { k, a, b } = setup();
    b.send(msg(C.SADB_REGISTER, C.SADB_SATYPE_ESP));
    a.send(spMsg({ lifetime: [10, 0] }));
    a.clear();
    b.clear();
    k.clock.advance(10_000);
    assert.equal(k.spd.size, 0);
    assert.equal(a.raw.length, 0, 'unregistered socket gets no SPDEXPIRE');
    const [x] = b.msgs();
    assert.equal(x!.msg.type, C.SADB_X_SPDEXPIRE);
    assert.equal(x!.ext.policy!.id, 1);
    assert.equal(x!.ext.lifetimeHard!.addtime, 10n);
  });
});

describe('keysock: X_PROMISC', () => {
  it('a promiscuous socket sees wrapped copies of replies meant for others and of messages others send', () => {
    const { a, b, c } = setup();
    c.send(msg(C.SADB_X_PROMISC, 1));
    assert.equal(a.msgs()[0]!.msg.type, C.SADB_X_PROMISC, 'the toggle is echoed to all');
    a.clear();
    b.clear();
    c.clear();
    const get = encodeMessage(
      msg(C.SADB_GET, C.SADB_SATYPE_ESP, {
        sa: { spi: 0x1000, replay: 0, state: 0, auth: 0, encrypt: 0, flags: 0 },
        addressSrc: addr('10.0.0.1'),
        addressDst: addr('10.0.0.2'),
      }),
    );
    a.send(get);
    // c sees: a's message (echo), then the ENOENT error meant for a only (wrapped).
    const seen = c.msgs();
    assert.equal(seen.length, 2);
    assert.ok(seen.every((m) => m.promisc === true));
    assert.equal(seen[0]!.msg.errno, 0);
    assert.equal(seen[1]!.msg.errno, E.ENOENT);
    assert.equal(b.raw.length, 0);
    // The wrapper: an X_PROMISC header whose length covers the whole copy.
    const w = c.raw[1]!;
    assert.equal(w[1], C.SADB_X_PROMISC);
    assert.equal((w[4]! | (w[5]! << 8)) * 8, w.length);
    c.send(msg(C.SADB_X_PROMISC, 0));
    c.clear();
    a.send(get);
    assert.equal(c.raw.length, 0, 'off again');
  });

  it('the promiscuous originator gets its wrapped copy and then its plain reply (two messages, KAME)', () => {
    const { a } = setup();
    a.send(msg(C.SADB_X_PROMISC, 1));
    a.clear();
    a.send(saMsg({ spi: 0x1000 }));
    const got = a.msgs();
    assert.deepEqual(
      got.map((m) => [m.msg.type, m.promisc === true]),
      [
        [C.SADB_ADD, true],
        [C.SADB_ADD, false],
      ],
    );
  });

  it('X_PROMISC with satype > 1 is EINVAL', () => {
    const { a } = setup();
    a.send(msg(C.SADB_X_PROMISC, 2));
    assert.equal(a.msgs()[0]!.msg.errno, E.EINVAL);
  });
});

describe('keysock: ACQUIRE and EXPIRE from the kernel', () => {
  const saidx = {
    proto: 'esp' as const,
    mode: 'transport' as const,
    reqid: 0,
    src: ip('10.0.0.1'),
    dst: ip('10.0.0.2'),
  };

  it('ACQUIRE goes to registered sockets only, with addresses, policy id, SA2 and a PROPOSAL', () => {
    const { k, a, b } = setup();
    b.send(msg(C.SADB_REGISTER, C.SADB_SATYPE_ESP));
    a.send(spMsg());
    a.clear();
    b.clear();
    k.emit({
      type: 'acquire',
      seq: 12,
      policyId: 1,
      saidx,
      level: 'require',
      selector: { src: saidx.src, dst: saidx.dst, proto: 17, sport: 1, dport: 2 },
    });
    assert.equal(a.raw.length, 0);
    const [q] = b.msgs();
    assert.equal(q!.msg.type, C.SADB_ACQUIRE);
    assert.equal(q!.msg.satype, C.SADB_SATYPE_ESP);
    assert.equal(q!.msg.seq, 12);
    assert.equal(q!.msg.pid, 0);
    assert.equal(q!.ext.policy!.id, 1);
    assert.equal(q!.ext.addressSrc!.prefixlen, 32);
    assert.equal(q!.ext.addressSrc!.proto, C.IPSEC_ULPROTO_ANY);
    const combs = q!.ext.proposal!.combs;
    assert.ok(
      combs.some(
        (x) =>
          x.encrypt === C.SADB_X_EALG_AESCBC &&
          x.auth === C.SADB_X_AALG_SHA2_256 &&
          x.encryptMinbits === 128 &&
          x.encryptMaxbits === 256,
      ),
    );
    assert.ok(
      combs.some((x) => x.encrypt === C.SADB_X_EALG_AESGCM16 && x.auth === C.SADB_AALG_NONE),
      'AEAD alone',
    );
    assert.ok(!combs.some((x) => x.encrypt === C.SADB_EALG_NULL));
  });

  it("the key manager's ACQUIRE with errno holds off the next ACQUIRE and is not answered", () => {
    const { k, a } = setup();
    const seq = k.acquires.trigger(saidx, k.clock.now(), () => false)!;
    for (let i = 0; i < 10; i++) k.acquires.trigger(saidx, k.clock.now(), () => false);
    const m = msg(C.SADB_ACQUIRE, C.SADB_SATYPE_ESP, {}, seq);
    m.msg.errno = E.ENOENT;
    a.send(m);
    assert.equal(a.raw.length, 0);
    // the counter was reset: the next trigger is suppressed again instead of re-sending
    assert.equal(
      k.acquires.trigger(saidx, k.clock.now(), () => false),
      undefined,
    );
  });

  it('a full ACQUIRE from user space goes to registered sockets; a second for the same index is EEXIST', () => {
    const { a, b } = setup();
    b.send(msg(C.SADB_REGISTER, C.SADB_SATYPE_ESP));
    b.clear();
    const q = msg(
      C.SADB_ACQUIRE,
      C.SADB_SATYPE_ESP,
      { addressSrc: addr('10.0.0.1'), addressDst: addr('10.0.0.2'), proposal: { replay: 32, combs: [] } },
      5,
    );
    a.send(q);
    assert.equal(b.msgs()[0]!.msg.type, C.SADB_ACQUIRE);
    assert.equal(a.msgs()[0]!.msg.type, C.SADB_ACQUIRE, 'the sender gets its copy');
    a.clear();
    a.send(q);
    assert.equal(a.msgs()[0]!.msg.errno, E.EEXIST);
  });

  it('soft EXPIRE (with LIFETIME_SOFT) for a used SA, then hard EXPIRE (with LIFETIME_HARD) removing it', () => {
    const { k, a, b } = setup();
    b.send(msg(C.SADB_REGISTER, C.SADB_SATYPE_ESP));
    const lt = (s: number) => ({ allocations: 0, bytes: 0n, addtime: BigInt(s), usetime: 0n });
    a.send(saMsg({ spi: 0x1000, seq: 61, extra: { lifetimeHard: lt(20), lifetimeSoft: lt(10) } }));
    const sa = k.sad.lookupIn(ip('10.0.0.2'), 'esp', 0x1000)!;
    k.sad.recordUse(sa, 100);
    a.clear();
    b.clear();
    k.clock.advance(10_000);
    assert.equal(a.raw.length, 0, 'EXPIRE goes to registered sockets');
    const [soft] = b.msgs();
    assert.equal(soft!.msg.type, C.SADB_EXPIRE);
    assert.equal(soft!.msg.seq, 61);
    assert.equal(soft!.ext.lifetimeSoft!.addtime, 10n);
    assert.equal(soft!.ext.lifetimeHard, undefined);
    assert.equal(soft!.ext.lifetimeCurrent!.bytes, 100n);
    assert.equal(soft!.ext.sa!.state, C.SADB_SASTATE_DYING);
    k.clock.advance(10_000);
    const hard = b.msgs()[1]!;
    assert.equal(hard.msg.type, C.SADB_EXPIRE);
    assert.equal(hard.ext.lifetimeHard!.addtime, 20n);
    assert.equal(k.sad.size, 0);
  });

  it('no soft EXPIRE for an SA never used (FreeBSD key_timehandler), but the hard one still comes', () => {
    const { k, a, b } = setup();
    b.send(msg(C.SADB_REGISTER, C.SADB_SATYPE_ESP));
    const lt = (s: number) => ({ allocations: 0, bytes: 0n, addtime: BigInt(s), usetime: 0n });
    a.send(saMsg({ spi: 0x1000, extra: { lifetimeHard: lt(20), lifetimeSoft: lt(10) } }));
    b.clear();
    k.clock.advance(10_000);
    assert.equal(b.raw.length, 0);
    assert.equal(k.sad.dump()[0]!.state, 'dying');
    k.clock.advance(10_000);
    assert.equal(b.msgs()[0]!.ext.lifetimeHard!.addtime, 20n);
  });

  it('soft byte limit: EXPIRE as soon as the traffic crosses it', () => {
    const { k, a, b } = setup();
    b.send(msg(C.SADB_REGISTER, C.SADB_SATYPE_ESP));
    const lt = (bytes: bigint) => ({ allocations: 0, bytes, addtime: 0n, usetime: 0n });
    a.send(saMsg({ spi: 0x1000, extra: { lifetimeHard: lt(5000n), lifetimeSoft: lt(1000n) } }));
    b.clear();
    const sa = k.sad.lookupIn(ip('10.0.0.2'), 'esp', 0x1000)!;
    k.sad.recordUse(sa, 999);
    assert.equal(b.raw.length, 0);
    k.sad.recordUse(sa, 1);
    assert.equal(b.msgs()[0]!.ext.lifetimeSoft!.bytes, 1000n);
  });
});

describe('keysock: delivery order (key_sendup_mbuf)', () => {
  it('promiscuous copies and other sockets first, the originator last', () => {
    const k = bareKernel();
    const ks = new KeySock(k);
    const order: string[] = [];
    const open = (name: string) =>
      ks.openSocket({
        deliver: (m) => {
          order.push(`${name}${m[1] === C.SADB_X_PROMISC && m.length > 16 && m[16] === 2 ? '*' : ''}`);
          return true;
        },
      });
    const a = open('a'),
      b = open('b'),
      p = open('p'),
      c = open('c');
    p.send(encodeMessage(msg(C.SADB_X_PROMISC, 1)));
    b.send(encodeMessage(msg(C.SADB_REGISTER, C.SADB_SATYPE_ESP)));
    order.length = 0;
    c.send(encodeMessage(saMsg({ spi: 0x1000 })));
    // p sees c's message (echo), then for the ALL reply: a, b, p* (wrapped) and p, then c last.
    assert.deepEqual(order, ['p*', 'a', 'b', 'p*', 'p', 'c']);
    order.length = 0;
    a.send(encodeMessage(msg(C.SADB_REGISTER, C.SADB_SATYPE_AH)));
    // REGISTERED: b (registered), the promiscuous copy, then a; c and unregistered p get no plain copy.
    assert.deepEqual(order, ['p*', 'b', 'p*', 'a']);
    void c;
  });
});
