// Tunnel outer headers (RFC 4301 §5.1.2) and ECN handling (RFC 6040 §4.1/§4.2), alone and through ESP.
import { strict as assert } from 'node:assert';
import { ecnEncap, ecnDecap, ECN_NOT_ECT, ECN_ECT0, ECN_ECT1, ECN_CE } from '../../../kernel/ipsec/ecn.js';
import {
  writeOuterHeader,
  stripOuter,
  outerHeaderBytes,
  innerProtoOf,
  dsByteOf,
  tunnelDropReason,
} from '../../../kernel/ipsec/tunnel.js';
import { espOutput, espInput } from '../../../kernel/ipsec/esp.js';
import { internetChecksum } from '../../../kernel/ip/checksum.js';
import { SeededRng } from '../../../common/rng.js';
import { makeSa, peerSa, env, ipv4, ipv6, bytes, addr } from './esp-support.js';

const N = ECN_NOT_ECT,
  E0 = ECN_ECT0,
  E1 = ECN_ECT1,
  CE = ECN_CE;

describe('kernel/ecn (RFC 6040)', () => {
  it('§4.1 Figure 3: normal mode copies, compatibility mode clears', () => {
    for (const e of [N, E0, E1, CE]) {
      assert.equal(ecnEncap(e, 'normal'), e);
      assert.equal(ecnEncap(e, 'compat'), N);
    }
  });

  it('§4.2 Figure 4: the full inner x outer table, with the drop', () => {
    // rows: inner Not-ECT, ECT(0), ECT(1), CE; columns: outer Not-ECT, ECT(0), ECT(1), CE. -1 = drop.
    const table: Record<number, number[]> = {
      [N]: [N, N, N, -1],
      [E0]: [E0, E0, E1, CE],
      [E1]: [E1, E1, E1, CE],
      [CE]: [CE, CE, CE, CE],
    };
    const outers = [N, E0, E1, CE];
    for (const inner of [N, E0, E1, CE]) {
      outers.forEach((outer, i) =>
        assert.equal(ecnDecap(inner, outer), table[inner]![i], `inner ${inner} outer ${outer}`),
      );
    }
  });
});

describe('kernel/tunnel: outer header build', () => {
  const rng = new SeededRng('tunnel');

  it('4-in-4: TTL 64, DSCP and ECN from the inner header, DF copied, valid checksum', () => {
    for (const df of [true, false]) {
      const inner = ipv4('10.0.0.1', '10.0.0.2', 6, bytes(20), { tos: 0xb8 | E1, df, ttl: 3 });
      const out = new Uint8Array(20 + inner.length);
      assert.equal(
        writeOuterHeader(out, 0, addr('198.51.100.1'), addr('198.51.100.2'), 50, inner.length, inner, 0, rng),
        20,
      );
      assert.equal(out[0], 0x45);
      assert.equal(out[1], 0xb8 | E1);
      assert.equal((out[2]! << 8) | out[3]!, 20 + inner.length);
      assert.equal((out[6]! & 0x40) !== 0, df);
      assert.equal(out[8], 64);
      assert.equal(out[9], 50);
      assert.deepEqual([...out.subarray(12, 20)], [198, 51, 100, 1, 198, 51, 100, 2]);
      assert.equal(internetChecksum(out, 0, 20), 0);
    }
  });

  it('DF policy set/clear and ECN compatibility mode', () => {
    const inner = ipv4('10.0.0.1', '10.0.0.2', 6, bytes(4), { tos: CE, df: false });
    const out = new Uint8Array(20);
    writeOuterHeader(out, 0, addr('192.0.2.1'), addr('192.0.2.2'), 50, 0, inner, 0, rng, {
      ttl: 9,
      df: 'set',
      ecn: 'compat',
    });
    assert.equal(out[6]! & 0x40, 0x40);
    assert.equal(out[1]! & 3, N);
    assert.equal(out[8], 9);
    const v6inner = ipv6('fd00::1', 'fd00::2', 17, bytes(8));
    writeOuterHeader(out, 0, addr('192.0.2.1'), addr('192.0.2.2'), 50, 0, v6inner, 0, rng);
    assert.equal(out[6]! & 0x40, 0, '6-in-4 with "copy": an IPv6 inner header has no DF, outer DF clear');
  });

  it('6-in-6 and 4-in-6: traffic class from the inner header, flow label copied from an IPv6 inner', () => {
    const inner6 = ipv6('fd00::1', 'fd00::2', 58, bytes(8), (0x2a << 2) | E0, 0xabcde);
    const out = new Uint8Array(40);
    assert.equal(writeOuterHeader(out, 0, addr('2001:db8::1'), addr('2001:db8::2'), 50, 123, inner6, 0, rng), 40);
    assert.equal(out[0]! >> 4, 6);
    assert.equal(dsByteOf(out), (0x2a << 2) | E0);
    assert.equal(((out[1]! & 0x0f) << 16) | (out[2]! << 8) | out[3]!, 0xabcde);
    assert.equal((out[4]! << 8) | out[5]!, 123);
    assert.equal(out[6], 50);
    assert.equal(out[7], 64);
    const inner4 = ipv4('10.0.0.1', '10.0.0.2', 6, bytes(4), { tos: 0x28 | CE });
    writeOuterHeader(out, 0, addr('2001:db8::1'), addr('2001:db8::2'), 108, 0, inner4, 0, rng);
    assert.equal(dsByteOf(out), 0x28 | CE);
    assert.equal(((out[1]! & 0x0f) << 16) | (out[2]! << 8) | out[3]!, 0);
    assert.equal(out[6], 108);
  });

  it('helpers: header sizes, inner protocol', () => {
    assert.equal(outerHeaderBytes(addr('192.0.2.1')), 20);
    assert.equal(outerHeaderBytes(addr('::1')), 40);
    assert.equal(innerProtoOf(ipv4('10.0.0.1', '10.0.0.2', 6, bytes(1))), 4);
    assert.equal(innerProtoOf(ipv6('::1', '::2', 6, bytes(1))), 41);
    assert.equal(innerProtoOf(new Uint8Array([0x50])), -1);
    assert.equal(innerProtoOf(new Uint8Array(0)), -1);
    assert.equal(tunnelDropReason('ahs', 'ecn-drop'), 'ahs_ecn');
    assert.equal(tunnelDropReason('esps', 'inner-length'), 'esps_hdrops');
  });
});

describe('kernel/tunnel: strip on input', () => {
  it('checks version against next header, lengths, and trims trailing bytes', () => {
    const inner = ipv4('10.0.0.1', '10.0.0.2', 6, bytes(12));
    const buf = new Uint8Array([1, 2, 3, ...inner, 0, 0, 0, 0]);
    const r = stripOuter(buf, 3, buf.length, 4, N);
    assert.ok(r.ok);
    if (r.ok) assert.deepEqual(Buffer.from(r.packet), Buffer.from(inner));
    assert.deepEqual(stripOuter(buf, 3, buf.length, 41, N), { ok: false, error: 'inner-proto' });
    assert.deepEqual(stripOuter(buf, 3, 3 + 10, 4, N), { ok: false, error: 'inner-short' });
    assert.deepEqual(stripOuter(buf, 3, 3 + inner.length - 1, 4, N), { ok: false, error: 'inner-length' });
    assert.deepEqual(stripOuter(buf, 3, 3, 4, N), { ok: false, error: 'inner-short' });
    const i6 = ipv6('fd00::1', 'fd00::2', 17, bytes(8));
    assert.deepEqual(stripOuter(i6, 0, 39, 41, N), { ok: false, error: 'inner-short' });
    assert.deepEqual(stripOuter(i6, 0, 47, 41, N), { ok: false, error: 'inner-length' });
    assert.ok(stripOuter(i6, 0, 48, 41, N).ok);
    const badHl = Uint8Array.from(inner);
    badHl[0] = 0x44;
    assert.deepEqual(stripOuter(badHl, 0, badHl.length, 4, N), { ok: false, error: 'inner-length' });
  });

  it('outer CE marks the inner header (fixing the IPv4 checksum); CE over Not-ECT is dropped', () => {
    const inner = ipv4('10.0.0.1', '10.0.0.2', 6, bytes(12), { tos: 0xb8 | E0 });
    const r = stripOuter(Uint8Array.from(inner), 0, inner.length, 4, CE);
    assert.ok(r.ok);
    if (r.ok) {
      assert.equal(r.packet[1], 0xb8 | CE);
      assert.equal(internetChecksum(r.packet, 0, 20), 0);
    }
    const i6 = ipv6('fd00::1', 'fd00::2', 17, bytes(8), 0x20 | E1, 0x54321);
    const r6 = stripOuter(Uint8Array.from(i6), 0, i6.length, 41, CE);
    assert.ok(r6.ok);
    if (r6.ok) {
      assert.equal(dsByteOf(r6.packet), 0x20 | CE);
      assert.equal(((r6.packet[1]! & 0x0f) << 16) | (r6.packet[2]! << 8) | r6.packet[3]!, 0x54321, 'flow label kept');
    }
    const corrupt = ipv4('10.0.0.1', '10.0.0.2', 6, bytes(12), { tos: E1 });
    corrupt[8]! ^= 0x40; // a bit flipped in transit: the header checksum no longer verifies
    const rc = stripOuter(corrupt, 0, corrupt.length, 4, CE);
    assert.ok(rc.ok);
    if (rc.ok) assert.notEqual(internetChecksum(rc.packet, 0, 20), 0, 'the CE update must not repair a bad checksum');
    const notEct = ipv4('10.0.0.1', '10.0.0.2', 6, bytes(12));
    assert.deepEqual(stripOuter(notEct, 0, notEct.length, 4, CE), { ok: false, error: 'ecn-drop' });
  });

  it('through ESP: a CE mark set on the outer header in transit reaches the inner packet', () => {
    const sa = makeSa({ enc: 'aes-gcm-16', mode: 'tunnel', src: '198.51.100.1', dst: '198.51.100.2' });
    const inner = ipv4('10.0.0.1', '10.0.0.2', 17, bytes(30), { tos: E0 });
    const out = Uint8Array.from((espOutput(sa, inner, env()) as { packet: Uint8Array }).packet);
    assert.equal(out[1]! & 3, E0, 'RFC 6040 normal mode on encapsulation');
    out[1] = (out[1]! & 0xfc) | CE; // a congested router marks the outer header (ESP does not cover it)
    const r = espInput(peerSa(sa), out, 20, env());
    assert.ok(r.ok);
    if (r.ok) assert.equal(r.packet[1]! & 3, CE);

    const plain = ipv4('10.0.0.1', '10.0.0.2', 17, bytes(30));
    const o2 = Uint8Array.from((espOutput(sa, plain, env()) as { packet: Uint8Array }).packet);
    o2[1] = CE;
    const r2 = espInput(peerSa(sa), o2, 20, env());
    assert.equal(!r2.ok && r2.reason, 'esps_ecn');
  });

  it('through ESP: a tunnel SA refuses a payload whose next header is not 4/41, and a lying inner length', () => {
    const tx = makeSa({ enc: 'null', auth: 'hmac-sha1', mode: 'transport' });
    const rx = peerSa(tx);
    rx.mode = 'tunnel';
    const r = espInput(
      rx,
      (espOutput(tx, ipv4('192.0.2.1', '192.0.2.2', 6, bytes(30)), env()) as { packet: Uint8Array }).packet,
      20,
      env(),
    );
    assert.equal(!r.ok && r.reason, 'esps_badinner');
    // NULL encryption without integrity lets the test edit the inner header after encapsulation.
    const tt = makeSa({ enc: 'null', mode: 'tunnel', replayBits: 0 });
    const o = (espOutput(tt, ipv4('10.0.0.1', '10.0.0.2', 6, bytes(30)), env()) as { packet: Uint8Array }).packet;
    o[20 + 8 + 3] = 200; // inner total length now claims more than the ESP payload holds
    const r2 = espInput(peerSa(tt), o, 20, env());
    assert.equal(!r2.ok && r2.reason, 'esps_hdrops');
  });

  it("KAME 'any' mode decapsulates IP-in-IP and passes other next headers as transport", () => {
    const tx = makeSa({ enc: 'aes-cbc', auth: 'hmac-sha1', mode: 'tunnel' });
    const rx = peerSa(tx);
    rx.mode = 'any';
    const inner = ipv6('fd00::1', 'fd00::2', 17, bytes(20));
    const r = espInput(rx, (espOutput(tx, inner, env()) as { packet: Uint8Array }).packet, 20, env());
    assert.ok(r.ok);
    if (r.ok) assert.deepEqual(Buffer.from(r.packet), Buffer.from(inner));
    const tt = makeSa({ enc: 'aes-cbc', auth: 'hmac-sha1', mode: 'transport' });
    const rt = peerSa(tt);
    rt.mode = 'any';
    const p = ipv4('192.0.2.1', '192.0.2.2', 6, bytes(20));
    const r2 = espInput(rt, (espOutput(tt, p, env()) as { packet: Uint8Array }).packet, 20, env());
    assert.ok(r2.ok);
    if (r2.ok) assert.deepEqual(Buffer.from(r2.packet), Buffer.from(p));
  });
});
