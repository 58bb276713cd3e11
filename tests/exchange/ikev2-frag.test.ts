// Exchange test: IKE fragmentation for IKEv2 (RFC 7383) between two racoons and two kernels (ike-lab). A
// certificate chain makes IKE_AUTH larger than a 1280-byte datagram, so with `ike_frag on` at both ends it goes
// as SKF fragments both ways; fragments are shuffled, repeated and corrupted (fixed-seed PRNG) and the
// reassembly bounds are driven with authentic fragments made from the peer's own keys.
import { strict as assert } from 'node:assert';
import { chmodSync } from 'node:fs';
import { SeededRng } from '../../common/rng.js';
import {
  IKEV2_EXCHANGE_INFORMATIONAL,
  IKEV2_PAYLOAD_NAMES,
  IKEV2_PAYLOAD_NOTIFY,
  nameOf,
} from '../../racoon/ikev2/constants.js';
import { fragmentIn, IKEV2_FRAGMENT_IP_SIZE, ReassemblyBudget } from '../../racoon/ikev2/frag-io.js';
import { decodeIkev2Message } from '../../racoon/ikev2/message.js';
import { headerFor } from '../../racoon/ikev2/protect.js';
import type { IkeSa } from '../../racoon/ikev2/records.js';
import { sealSkf } from '../../racoon/ikev2/sk-protect.js';
import { policyPair } from '../scenarios/lab.js';
import { CA_EXT, opensslAvailable, TestPki } from '../support/pki.js';
import { prng } from '../support/prng.js';
import { ikeLab, ip, settle, type Datagram, type IkeLab } from './ike-lab.js';
import { certConf, v2Conf, type CertSide } from './ikev2-conf.js';

const A = '192.0.2.1',
  B = '192.0.2.2';

/** IPv4 header and UDP header: the IKE message of a fragment datagram is at most this (RFC 7383 §2.5.1). */
const MAX_IKE = IKEV2_FRAGMENT_IP_SIZE - 20 - 8;

const esp = (ha: Parameters<typeof policyPair>[0], hb: Parameters<typeof policyPair>[1]) =>
  policyPair(ha, hb, `${A}/32`, `${B}/32`, [{ proto: 'esp' }]);
const logs = (l: IkeLab) => `--- a\n${l.a.log.join('\n')}\n--- b\n${l.b.log.join('\n')}`;
const ikeOf = (l: IkeLab, s: 'a' | 'b'): IkeSa => l[s].racoon.ikev2.ikes.all()[0]!;
const states = (l: IkeLab, s: 'a' | 'b') => l[s].racoon.ikev2.ikes.all().map((x) => x.state);

function kind(d: Datagram): string {
  const m = decodeIkev2Message(d.data).value;
  return `${d.sender} ${m.header.exchangeType} ${m.payloads.map((p) => nameOf(IKEV2_PAYLOAD_NAMES, p.type)).join(',')}`;
}

async function ping(lab: IkeLab): Promise<number> {
  const pings = lab.a.host.ping(B, { count: 2, intervalMs: 0 });
  await settle(8);
  lab.clock.advance(1000);
  return (await pings).length;
}

/** a's ACQUIRE and IKE_SA_INIT both ways; the queue then holds a's IKE_AUTH request. */
async function toAuth(lab: IkeLab): Promise<void> {
  lab.a.host.sendEchoRequest(ip(B), 7, 1, new Uint8Array(32));
  await settle(8);
  await lab.deliver();
  await lab.deliver();
}

describe('exchange: IKEv2 fragmentation (RFC 7383)', function () {
  if (!opensslAvailable()) {
    it('skipped: the openssl command is not installed');
    return;
  }
  let pki: TestPki;
  let lab: IkeLab | undefined;
  before(function () {
    pki = new TestPki();
    pki.issue('root', { key: 'rsa:2048', subj: '/C=JP/O=KAME/CN=root', ext: CA_EXT });
    pki.issue('inter', { key: 'rsa:3072', subj: '/C=JP/O=KAME/CN=inter', issuer: 'root', ca: true, ext: CA_EXT });
    for (const h of ['a', 'b']) {
      pki.issue(h, { key: 'rsa:3072', subj: `/C=JP/O=KAME/CN=${h}`, issuer: 'inter' });
      chmodSync(pki.get(h).key, 0o600);
      // The certificate file carries the intermediate too: both go as CERT payloads (a chain).
      pki.bundle(`${h}-chain.pem`, [pki.get(h).cert, pki.get('inter').cert]);
    }
    pki.hashDir('certs', [pki.get('root').cert]);
  });
  after(() => pki?.cleanup());
  afterEach(() => lab?.close());

  const side = (me: string, peer: string, peerName: string, extra: string): CertSide => ({
    peer,
    cert: pki.path(`${me}-chain.pem`),
    key: pki.get(me).key,
    peerDn: `C=JP, O=KAME, CN=${peerName}`,
    extra,
  });
  const certLab = (fa: string, fb: string) =>
    ikeLab({
      confA: certConf(pki.path('certs'), side('a', B, 'b', fa)),
      confB: certConf(pki.path('certs'), side('b', A, 'a', fb)),
      policies: esp,
    });

  it('a certificate chain in IKE_AUTH goes as SKF fragments both ways, each datagram within 1280 bytes', async () => {
    lab = await certLab('ike_frag on;', 'ike_frag on;');
    await toAuth(lab);
    const seen: Datagram[] = [];
    for (let i = 0; i < 40 && lab.queue.length > 0; i++) seen.push(await lab.deliver());
    assert.deepEqual(states(lab, 'a'), ['established'], logs(lab));
    assert.deepEqual(states(lab, 'b'), ['established'], logs(lab));
    const req = seen.filter((d) => kind(d) === 'a 35 SKF');
    const resp = seen.filter((d) => kind(d) === 'b 35 SKF');
    assert.ok(req.length >= 2 && resp.length >= 2, seen.map(kind).join('\n'));
    assert.equal(seen.length, req.length + resp.length, 'nothing but fragments after IKE_SA_INIT');
    for (const d of seen) assert.ok(d.data.length <= MAX_IKE, `${d.data.length} bytes`);
    assert.equal(lab.b.racoon.stats.fragReassembled, 1);
    assert.equal(lab.a.racoon.stats.fragReassembled, 1);
    assert.equal(await ping(lab), 2);
  });

  it('only one end with ike_frag: no IKEV2_FRAGMENTATION_SUPPORTED answer, IKE_AUTH goes whole', async () => {
    lab = await certLab('ike_frag on;', '');
    await toAuth(lab);
    const d = lab.queue[0]!;
    assert.equal(kind(d), 'a 35 SK');
    assert.ok(d.data.length > MAX_IKE, 'the chain does not fit one fragment');
    await lab.run();
    assert.deepEqual(states(lab, 'b'), ['established'], logs(lab));
    assert.equal(ikeOf(lab, 'a').fragmentation, false);
  });

  it('fuzz: fragments shuffled, repeated, truncated and bit-flipped still make one IKE SA (8 seeds)', async () => {
    for (let seed = 1; seed <= 8; seed++) {
      const rnd = prng(seed);
      lab = await certLab('ike_frag on;', 'ike_frag on;');
      await toAuth(lab);
      const frags = lab.queue.splice(0, lab.queue.length);
      const mangled: Datagram[] = [];
      for (const f of frags) {
        mangled.push(f);
        if (rnd() < 0.5) mangled.push({ ...f, data: f.data.slice() }); // a repeat
        const bad = f.data.slice();
        const at = 28 + Math.floor(rnd() * (bad.length - 28));
        bad[at]! ^= 1 << Math.floor(rnd() * 8);
        mangled.push({ ...f, data: bad }); // a bit flip after the header: its ICV fails
        mangled.push({ ...f, data: f.data.slice(0, 28 + Math.floor(rnd() * (f.data.length - 28))) });
      }
      for (let i = mangled.length - 1; i > 0; i--) {
        const j = Math.floor(rnd() * (i + 1));
        [mangled[i], mangled[j]] = [mangled[j]!, mangled[i]!];
      }
      for (const d of mangled) lab.b.racoon.input(d.data, d.to, d.from);
      await settle(8);
      assert.deepEqual(states(lab, 'b'), ['established'], `seed ${seed}\n${logs(lab)}`);
      assert.equal(lab.b.racoon.stats.fragReassembled, 1, `seed ${seed}`);
      // Each truncated or bit-flipped copy is dropped: undecodable, for no SA of ours, or failing its ICV.
      const st = lab.b.racoon.stats;
      assert.ok(
        st.fragDropped + st.malformed + st.unknownSa >= 2 * frags.length,
        `seed ${seed}: ${JSON.stringify(st)}`,
      );
      assert.ok(st.fragDropped >= 1, `seed ${seed}`);
      assert.equal(lab.b.racoon.ikev2.reassembly.held, 0, `seed ${seed}`);
      await lab.run();
      assert.deepEqual(states(lab, 'a'), ['established'], `seed ${seed}\n${logs(lab)}`);
      lab.close();
      lab = undefined;
    }
  });

  it('a repeated first fragment of IKE_AUTH gets the same response fragments again (§2.6.1)', async () => {
    lab = await certLab('ike_frag on;', 'ike_frag on;');
    await toAuth(lab);
    const first = lab.queue[0]!;
    for (let i = 0; i < 40 && lab.queue.some((d) => d.sender === 'a'); i++) await lab.deliver();
    const answer = lab.queue.splice(0, lab.queue.length).map((d) => Buffer.from(d.data).toString('hex'));
    lab.b.racoon.input(first.data, first.to, first.from);
    await settle(8);
    const again = lab.queue.splice(0, lab.queue.length).map((d) => Buffer.from(d.data).toString('hex'));
    assert.ok(answer.length >= 2);
    assert.deepEqual(again, answer);
  });
});

describe('exchange: IKEv2 reassembly bounds (RFC 7383 §2.6)', function () {
  let lab: IkeLab | undefined;
  afterEach(() => lab?.close());
  const rng = new SeededRng(7);

  /** An authentic fragment from a to b: an INFORMATIONAL request under a's SK keys. */
  function fragment(l: IkeLab, n: number, total: number, content: Uint8Array, messageId?: number): Uint8Array {
    const sa = ikeOf(l, 'a');
    const id = messageId ?? ikeOf(l, 'b').nextPeerId;
    const header = headerFor(sa, IKEV2_EXCHANGE_INFORMATIONAL, id, false);
    const innerNp = n === 1 ? IKEV2_PAYLOAD_NOTIFY : 0;
    return sealSkf(header, [], { fragmentNumber: n, totalFragments: total, innerNp, content }, sa.skOut!, rng);
  }
  const toB = (l: IkeLab, d: Uint8Array) => l.b.racoon.input(d, { addr: ip(B), port: 500 }, { addr: ip(A), port: 500 });

  async function up(frag: boolean): Promise<IkeLab> {
    const o = frag ? { extra: 'ike_frag on;' } : {};
    const l = await ikeLab({ confA: v2Conf(B, o), confB: v2Conf(A, o), policies: esp });
    l.a.host.sendEchoRequest(ip(B), 7, 1, new Uint8Array(8));
    await l.run();
    assert.deepEqual(states(l, 'b'), ['established'], logs(l));
    return l;
  }

  it('per IKE SA: past 64 KiB of one message the collection is dropped and its memory given back', async () => {
    lab = await up(true);
    const piece = new Uint8Array(3000);
    for (let n = 1; n <= 30; n++) toB(lab, fragment(lab, n, 64, piece));
    await settle(8);
    const b = lab.b.racoon;
    assert.ok(b.stats.fragDropped >= 1, logs(lab));
    assert.ok(b.ikev2.reassembly.held <= 64 * 1024);
    assert.ok((ikeOf(lab, 'b').reassembly?.pieces.bytes ?? 0) <= 64 * 1024);
    assert.equal(b.stats.fragReassembled, 0);
    assert.deepEqual(states(lab, 'b'), ['established']);
  });

  it('globally: a fragment that would pass the daemon-wide bound is dropped', async () => {
    lab = await up(true);
    const sa = ikeOf(lab, 'b');
    const budget = new ReassemblyBudget(64 * 1024, 5000);
    const ctx = lab.b.racoon.ikev2.ctx;
    const msg = (d: Uint8Array) => decodeIkev2Message(d).value;
    const f1 = fragment(lab, 1, 3, new Uint8Array(3000));
    assert.equal(fragmentIn(ctx, budget, sa, f1, msg(f1)).kind, 'wait');
    assert.equal(budget.held, 3000);
    const f2 = fragment(lab, 2, 3, new Uint8Array(3000));
    assert.deepEqual(fragmentIn(ctx, budget, sa, f2, msg(f2)), { kind: 'drop', why: 'reassembly bound reached' });
    assert.equal(budget.held, 0, 'the SA’s partial message was released');
    assert.equal(sa.reassembly, undefined);
  });

  it('fragments are refused from a peer that did not negotiate them, and outside the window', async () => {
    lab = await up(false);
    toB(lab, fragment(lab, 1, 2, new Uint8Array(100)));
    await settle(8);
    assert.equal(lab.b.racoon.stats.fragDropped, 1);
    assert.equal(lab.b.racoon.stats.fragReceived, 0, 'not even decrypted');
    lab.close();
    lab = await up(true);
    toB(lab, fragment(lab, 1, 2, new Uint8Array(100), ikeOf(lab, 'b').nextPeerId + 5));
    await settle(8);
    assert.equal(lab.b.racoon.stats.fragDropped, 1);
    assert.equal(ikeOf(lab, 'b').reassembly, undefined);
  });

  it('a complete authentic fragmented INFORMATIONAL is answered like an unfragmented one', async () => {
    lab = await up(true);
    // An empty INFORMATIONAL is a liveness check (§1.4): its inner chain here is one status notify split in two.
    const n = new Uint8Array([0, 0, 0, 8, 0, 0, 0x40, 0x00]); // N(proto 0, no SPI, INITIAL_CONTACT 16384)
    lab.queue.splice(0, lab.queue.length);
    toB(lab, fragment(lab, 2, 2, n.subarray(4)));
    toB(lab, fragment(lab, 1, 2, n.subarray(0, 4)));
    await settle(8);
    assert.equal(lab.b.racoon.stats.fragReassembled, 1, logs(lab));
    assert.equal(lab.queue.length, 1, 'b answered');
    assert.equal(decodeIkev2Message(lab.queue[0]!.data).value.header.exchangeType, IKEV2_EXCHANGE_INFORMATIONAL);
  });
});
