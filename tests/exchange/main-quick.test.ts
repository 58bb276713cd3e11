// Exchange test: two racoon instances and two kernel Hosts in one process, joined by in-process PF_KEY and
// an in-memory IKE datagram queue. One message at a time; after each step the phase 1 / phase 2 states and
// the SAs each kernel holds are asserted (as setkey -D would show them).
//
//   a 192.0.2.1 (racoon a, KeySock a) ==== memwire ==== b 192.0.2.2 (racoon b, KeySock b)
import { strict as assert } from 'node:assert';
import type { Host } from '../../kernel/host/host.js';
import { policyPair } from '../scenarios/lab.js';
import * as C from '../../racoon/isakmp/constants.js';
import { decodeIsakmpMessage } from '../../racoon/isakmp/message.js';
import { confFor, ikeLab, ip, settle, type IkeLab } from './ike-lab.js';

const A = '192.0.2.1',
  B = '192.0.2.2';

/** The kernel's SAs as `src->dst proto spi state` lines, sorted. */
function sas(h: Host): string[] {
  return h.sad
    .dump()
    .map((s) => `${s.proto} ${Buffer.from(s.src).join('.')}->${Buffer.from(s.dst).join('.')} ${s.state}`)
    .sort();
}

function ph1State(lab: IkeLab, side: 'a' | 'b'): string[] {
  return [...lab[side].racoon.ph1s.values()].map((p) => p.state);
}

function ph2States(lab: IkeLab, side: 'a' | 'b'): string[] {
  return [...lab[side].racoon.ph2s].map((p) => `${p.side}:${p.state}`);
}

/** The exchange type and payload types of a clear message, or 'encrypted'. */
function shape(d: { data: Uint8Array }): string {
  const m = decodeIsakmpMessage(d.data).value;
  return `${C.nameOf(C.ISAKMP_ETYPE_NAMES, m.header.etype)} ${m.encrypted ? 'encrypted' : m.payloads.map((p) => C.nameOf(C.ISAKMP_NPTYPE_NAMES, p.type)).join(',')}`;
}

function trigger(lab: IkeLab): void {
  lab.a.host.sendEchoRequest(ip(B), 7, 1, new Uint8Array(32));
}

async function negotiate(lab: IkeLab): Promise<void> {
  trigger(lab);
  await lab.run();
}

describe('exchange: main mode + quick mode with PSK between two racoons and two kernels', function () {
  let lab: IkeLab;
  afterEach(() => lab?.close());

  it('ACQUIRE -> main mode -> quick mode -> UPDATE/ADD, asserted one message at a time', async () => {
    lab = await ikeLab({
      confA: confFor(B, { pfs: 'modp2048' }),
      confB: confFor(A, { pfs: 'modp2048' }),
      policies: (a, b) => policyPair(a, b, `${A}/32`, `${B}/32`, [{ proto: 'esp' }]),
    });
    assert.equal(lab.a.racoon.bridge.spd.size, 2, 'racoon a mirrored its two policies with SPDDUMP');

    // Traffic that needs an SA: the kernel holds the packet's SA request and sends ACQUIRE to racoon a.
    trigger(lab);
    await settle(8);
    assert.equal(lab.queue.length, 1);
    assert.equal(shape(lab.queue[0]!), 'ident sa,vid', 'SA and the DPD vendor ID (racoon.conf dpd defaults to on)');
    assert.deepEqual(ph1State(lab, 'a'), ['msg1-sent']);
    assert.deepEqual(ph2States(lab, 'a'), ['initiator:getspi']);

    // HDR, SA, VID -->  ;  <-- HDR, SA, VID
    await lab.deliver();
    assert.deepEqual(ph1State(lab, 'b'), ['msg2-sent']);
    assert.equal(shape(lab.queue[0]!), 'ident sa,vid', 'b answers the DPD vendor ID');
    await lab.deliver();
    assert.deepEqual(ph1State(lab, 'a'), ['msg3-sent']);
    // HDR, KE, Ni -->  ;  <-- HDR, KE, Nr
    await lab.deliver();
    assert.deepEqual(ph1State(lab, 'b'), ['msg4-sent']);
    await lab.deliver();
    assert.deepEqual(ph1State(lab, 'a'), ['msg5-sent']);
    assert.ok(shape(lab.queue[0]!).endsWith('encrypted'), 'message 5 is encrypted');
    // HDR*, IDii, HASH_I -->  ;  <-- HDR*, IDir, HASH_R
    await lab.deliver();
    assert.deepEqual(ph1State(lab, 'b'), ['established']);
    assert.deepEqual(sas(lab.a.host), [], 'no SA yet on a');
    await lab.deliver();
    assert.deepEqual(ph1State(lab, 'a'), ['established']);

    // Quick mode: a got its inbound SPI (larval SA) and sent HASH(1), SA, Ni, KE, IDci, IDcr.
    assert.deepEqual(ph2States(lab, 'a'), ['initiator:msg1-sent']);
    assert.deepEqual(sas(lab.a.host), ['esp 192.0.2.2->192.0.2.1 larval']);
    assert.equal(lab.queue.length, 1);
    await lab.deliver();
    assert.deepEqual(ph2States(lab, 'b'), ['responder:msg2-sent']);
    assert.deepEqual(sas(lab.b.host), ['esp 192.0.2.1->192.0.2.2 larval']);
    // <-- HASH(2): a answers HASH(3) and installs its pair (UPDATE inbound, ADD outbound).
    await lab.deliver();
    assert.deepEqual(ph2States(lab, 'a'), ['initiator:established']);
    assert.deepEqual(sas(lab.a.host), ['esp 192.0.2.1->192.0.2.2 mature', 'esp 192.0.2.2->192.0.2.1 mature']);
    await lab.deliver();
    assert.deepEqual(ph2States(lab, 'b'), ['responder:established']);
    assert.deepEqual(sas(lab.b.host), ['esp 192.0.2.1->192.0.2.2 mature', 'esp 192.0.2.2->192.0.2.1 mature']);
    assert.equal(lab.queue.length, 0);

    // The SPIs pair up: a's outbound is b's inbound and vice versa, with the same keys.
    const out = lab.a.host.sad.dump().find((s) => Buffer.from(s.src).join('.') === A)!;
    const bin = lab.b.host.sad.get(ip(A), ip(B), 'esp', out.spi)!;
    assert.ok(bin, "b holds a's outbound SPI as inbound");

    // Protected traffic flows both ways.
    const pings = lab.a.host.ping(B, { count: 2, intervalMs: 0 });
    await settle(8);
    lab.clock.advance(1000);
    const replies = await pings;
    assert.equal(replies.length, 2);
    assert.equal(lab.a.racoon.stats.ph2Established, 1);
    assert.equal(lab.b.racoon.stats.ph2Established, 1);
  });

  for (const v of [
    {
      name: '3DES/MD5/modp1024, no PFS',
      o: { enc: '3des', hash: 'md5', group: 'modp1024', ph2enc: '3des', ph2auth: 'hmac_sha1' },
    },
    {
      name: 'AES-256/SHA-512/ecp256 with PFS ecp384',
      o: { enc: 'aes 256', hash: 'sha512', group: 'ecp256', pfs: 'ecp384' },
    },
    {
      name: 'DES/SHA-1/modp768, AES-GCM-16 in phase 2',
      o: { enc: 'des', hash: 'sha1', group: 'modp768', ph2enc: 'aes_gcm_16 128' },
    },
  ]) {
    it(`negotiates ${v.name}`, async () => {
      lab = await ikeLab({
        confA: confFor(B, v.o),
        confB: confFor(A, v.o),
        policies: (a, b) => policyPair(a, b, `${A}/32`, `${B}/32`, [{ proto: 'esp' }]),
      });
      await negotiate(lab);
      assert.deepEqual(ph2States(lab, 'a'), ['initiator:established'], lab.a.log.join('\n') + lab.b.log.join('\n'));
      assert.deepEqual(sas(lab.b.host), ['esp 192.0.2.1->192.0.2.2 mature', 'esp 192.0.2.2->192.0.2.1 mature']);
      const pings = lab.a.host.ping(B, { count: 1, intervalMs: 0 });
      await settle(8);
      lab.clock.advance(1000);
      assert.equal((await pings).length, 1);
    });
  }

  it('IPComp + ESP bundle and AH: one proposal with a payload per protocol', async () => {
    lab = await ikeLab({
      confA: confFor(B, { comp: true }),
      confB: confFor(A, { comp: true }),
      policies: (a, b) =>
        policyPair(a, b, `${A}/32`, `${B}/32`, [{ proto: 'ipcomp', level: 'use' }, { proto: 'esp' }, { proto: 'ah' }]),
    });
    await negotiate(lab);
    assert.deepEqual(ph2States(lab, 'b'), ['responder:established'], lab.b.log.join('\n'));
    assert.deepEqual(sas(lab.a.host), [
      'ah 192.0.2.1->192.0.2.2 mature',
      'ah 192.0.2.2->192.0.2.1 mature',
      'esp 192.0.2.1->192.0.2.2 mature',
      'esp 192.0.2.2->192.0.2.1 mature',
      'ipcomp 192.0.2.1->192.0.2.2 mature',
      'ipcomp 192.0.2.2->192.0.2.1 mature',
    ]);
  });

  it('tunnel mode between gateways with subnet identities', async () => {
    lab = await ikeLab({
      confA: confFor(B),
      confB: confFor(A),
      policies: (a, b) =>
        policyPair(a, b, '10.1.0.0/16', '10.2.0.0/16', [{ proto: 'esp', mode: 'tunnel', tunnel: [A, B] }]),
    });
    lab.a.host.sendIp(ip('10.2.0.5'), 17, new Uint8Array(8), undefined, ip('10.1.0.5'));
    await lab.run();
    assert.deepEqual(ph2States(lab, 'b'), ['responder:established'], lab.b.log.join('\n'));
    const modes = lab.b.host.sad.dump().map((s) => s.mode);
    assert.deepEqual(modes, ['tunnel', 'tunnel']);
  });

  it('IPv6: main mode and quick mode between 2001:db8::1 and 2001:db8::2', async () => {
    const A6 = '2001:db8::1',
      B6 = '2001:db8::2';
    lab = await ikeLab({
      addrA: A6,
      addrB: B6,
      confA: confFor(B6),
      confB: confFor(A6),
      pskA: `${B6} v6-secret\n`,
      pskB: `${A6} v6-secret\n`,
      policies: (a, b) => policyPair(a, b, `${A6}/128`, `${B6}/128`, [{ proto: 'esp' }]),
    });
    lab.a.host.sendEchoRequest(ip(B6), 7, 1, new Uint8Array(16));
    await lab.run();
    assert.deepEqual(ph2States(lab, 'b'), ['responder:established'], lab.b.log.join('\n'));
    assert.equal(lab.b.host.sad.dump().filter((s) => s.src.length === 16).length, 2);
    const pings = lab.a.host.ping(B6, { count: 1, intervalMs: 0 });
    await settle(8);
    lab.clock.advance(1000);
    assert.equal((await pings).length, 1);
  });
});
