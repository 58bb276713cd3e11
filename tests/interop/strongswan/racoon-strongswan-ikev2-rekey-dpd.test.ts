// Interop of racoon's own IKEv2 rekeys and its dead peer detection with strongSwan 5.9's charon (kernel-libipsec,
// tunnel in UDP 4500), the shipped `uipsecd --tun` and `racoon -F` processes:
// - racoon's short lifetimes (`sainfo ... lifetime time 15 sec`: the kernel's soft expiry at 80% makes racoon, the
//   child's creator, rekey it with PFS; `remote ... lifetime time 25 sec`: racoon, the original initiator, rekeys
//   the IKE SA at 90%) during a 25 s ping (50 s with UIPSEC_SLOW=1) between the clients: several child rekeys and an IKE SA rekey, each
//   initiated by racoon (CREATE_CHILD_SA, RFC 7296 §1.3.3 and §1.3.2), charon answering; the lost pings are
//   counted and printed, and the pings after the last rekey all pass;
// - charon creating the child and the IKE SA: racoon, whose lifetimes are shorter, rekeys the child when its
//   soft expiry comes (a tenth of the lifetime after it, leaving the creator the first move) and the IKE SA at
//   95% (§2.8: the end with the shorter lifetime rekeys), instead of letting the child run out and deleting it;
// - charon killed with SIGKILL: racoon's next request goes unanswered — the liveness check (dpd_delay 2, dpd_retry
//   1, dpd_maxfail 3, §2.4) or a rekey falling due (the lifetimes are short) — racoon logs the dead peer and
//   deletes the IKE SA and the child's SAs (setkey -D empty); charon restarted, the clients' next packet makes an
//   ACQUIRE and racoon negotiates again.
//
//   client cu 10.91.1.2 ── gw u: uipsecd + racoon 198.51.100.1 ══ veth ══ 198.51.100.2 gw s: charon ── client cs 10.91.2.2
import { strict as assert } from 'node:assert';
import { nsExec, type InteropNet } from '../../support/interop-net.js';
import { assertPings, pollUntil } from '../../support/interop-traffic.js';
import {
  CHARON_PLUGINS,
  CHARON_SUITE_PLUGINS,
  strongswanSkipReason,
  type SwanctlConf,
} from '../../support/strongswan.js';
import { pskTunnel, SwanPair } from '../../support/swan-pair.js';

const SECRET = 'interop-rekey-77c1';
// 125 pings (25 s: child rekeys near 12 and 24 s, the IKE SA near 22.5 s); UIPSEC_SLOW=1 (npm run test:slow)
// runs the 50 s soak (four child and two IKE SA rekeys).
const SLOW = Boolean(process.env.UIPSEC_SLOW);
const PINGS = SLOW ? 250 : 125;
const PLUGINS = [...CHARON_PLUGINS, ...CHARON_SUITE_PLUGINS]; // ECP-256 comes from openssl

function racoonConf(peer: string): string {
  return `timer { counter 5; interval 2 sec; }
remote ${peer} {
  ike_version 2;
  nat_traversal force;   # libipsec installs ESP only in UDP
  lifetime time 25 sec;  # racoon, the original initiator, rekeys the IKE SA at 90%
  dpd_delay 2;           # a liveness check after 2 s without a message from charon
  dpd_retry 1;           # ... retransmitted every second
  dpd_maxfail 3;         # ... 3 times, then the peer is dead
  proposal { encryption_algorithm aes 128; hash_algorithm sha256; authentication_method pre_shared_key; dh_group ecp256; }
}
sainfo anonymous {
  lifetime time 15 sec;  # the soft expiry (80%) makes racoon rekey the child it created
  pfs_group ecp256;
  encryption_algorithm aes 128;
  authentication_algorithm hmac_sha256;
  compression_algorithm deflate;
}`;
}

function charonConf(net: InteropNet): SwanctlConf {
  return pskTunnel(net, { secret: SECRET, proposals: ['aes128-sha256-ecp256'], esp: ['aes128-sha256-ecp256'] });
}

describe('interop: racoon IKEv2 rekeys and DPD <-> strongSwan 5.9 charon/libipsec (shipped processes)', function () {
  this.timeout(300_000);
  const skip = strongswanSkipReason();
  let p: SwanPair | undefined;

  before(async function () {
    if (skip) this.skip();
    p = await SwanPair.start({
      tag: 'swv2r',
      charon: { logLevels: { ike: 1, knl: 1 }, plugins: PLUGINS },
      swanctl: charonConf,
      racoon: (net) => ({ conf: racoonConf(net.addrS), psk: `${net.addrS}\t${SECRET}\n` }),
    });
  });

  after(() => p?.stop());

  const diag = () => p!.diag();
  const ikeLines = () => p!.ikeLines();
  const count = (re: RegExp) => [...p!.node.racoon!.out.matchAll(re)].length;

  it(
    skip
      ? `skipped: ${skip}`
      : `racoon rekeys its child (soft lifetime) and its IKE SA (lifetime) during a ${PINGS / 5} s ping; few pings lost`,
    async function () {
      const { net, charon, node } = p!;
      await assertPings(net, {}, diag());
      const before = node.stats();
      // Pings 0.2 s apart: child rekeys near 12, 24 (36, 48) s; IKE SA rekeys near 22.5 (and 45) s.
      const ping = ['ping', '-n', '-c', String(PINGS), '-i', '0.2', '-W', '1', net.innerS];
      const run = await nsExec(net.hostU, ping, 120_000);
      const m = /(\d+) packets transmitted, (\d+) received/.exec(run.out);
      const [sent, received] = [Number(m?.[1] ?? 0), Number(m?.[2] ?? 0)];
      const after = node.stats();
      const childRekeys = count(/child \d+ with \S+ rekeyed as child \d+(?! by the peer)\n/g);
      const ikeRekeys = count(/IKE SA \d+ with \S+ rekeyed as \d+ \(/g);
      console.log(
        `      lost ${sent - received} of ${sent} pings across ${childRekeys} child and ${ikeRekeys} IKE SA rekeys by racoon`,
      );
      assert.equal(sent, PINGS, run.out + run.err);
      assert.ok(childRekeys >= (SLOW ? 3 : 2), `racoon rekeyed its child: ${childRekeys}${diag()}`);
      assert.ok(ikeRekeys >= 1, `racoon rekeyed the IKE SA: ${ikeRekeys}${diag()}`);
      assert.ok(after['ikev2.childRekeyed']! - before['ikev2.childRekeyed']! >= childRekeys, JSON.stringify(after));
      assert.ok(after['ikev2.ikeRekeyed']! - before['ikev2.ikeRekeyed']! >= ikeRekeys, JSON.stringify(after));
      assert.ok(received >= sent * 0.95, `traffic continued through the rekeys: ${run.out}${diag()}`);
      await assertPings(net, {}, diag());
      await assertPings(net, { from: 's' }, diag());
      // One IKE SA with one child left at each end: every old one was deleted.
      await pollUntil(
        () => `old SAs left: ${JSON.stringify(node.sad())} ${ikeLines().join('\n')}${diag()}`,
        () => node.sad().length === 2 && ikeLines().length === 1,
      );
      const sas = await charon.listSas();
      assert.equal(sas.length, 1, JSON.stringify(sas));
      assert.equal(sas[0]!.children.filter((c) => c.state === 'INSTALLED').length, 1, JSON.stringify(sas));
      assert.equal(after['ikev2.deadPeers'], 0);
    },
  );

  it(
    skip
      ? `skipped: ${skip}`
      : 'charon creates the child: racoon, whose lifetimes are shorter, rekeys it and the IKE SA as responder',
    async function () {
      const { net, charon, node } = p!;
      const t = await charon.terminate({ ike: 'uipsec' });
      assert.ok(t.ok, t.out);
      await pollUntil(
        () => `SAs left: ${JSON.stringify(node.sad())}${diag()}`,
        () => node.sad().length === 0 && ikeLines().length === 0,
      );
      const from = node.racoon!.out.length;
      const init = await charon.initiate({ child: 'net', timeoutSec: 30 });
      assert.ok(init.ok, `swanctl --initiate: ${init.out}${diag()}`);
      assert.match(ikeLines()[0] ?? '', / IKEv2 R established/, 'racoon responded');
      // 150 pings over 30 s: racoon rekeys charon's child at 90% of its 15 s (a tenth after the soft expiry, §2.8),
      // then its own; the IKE SA at 95% of 25 s (the responder's share).
      const ping = ['ping', '-n', '-c', '150', '-i', '0.2', '-W', '1', net.innerS];
      const run = await nsExec(net.hostU, ping, 120_000);
      const m = /(\d+) packets transmitted, (\d+) received/.exec(run.out);
      const [sent, received] = [Number(m?.[1] ?? 0), Number(m?.[2] ?? 0)];
      const log = node.racoon!.out.slice(from);
      console.log(`      lost ${sent - received} of ${sent} pings; racoon responder, rekeys by racoon`);
      assert.match(log, /soft expiry of IKEv2 child \d+ \(created by the peer\)/, diag());
      assert.match(log, /child \d+ with \S+ rekeyed as child \d+\n/, diag());
      assert.match(log, /IKE SA \d+ with \S+ rekeyed as \d+ \(/, diag());
      assert.doesNotMatch(log, /hard lifetime expired/, 'no child ran out of its lifetime');
      assert.ok(received >= sent * 0.95, `traffic continued through the rekeys: ${run.out}${diag()}`);
      await assertPings(net, { from: 's' }, diag());
    },
  );

  it(
    skip
      ? `skipped: ${skip}`
      : 'charon killed -9: racoon declares it dead, deletes its SAs; charon restarted, the next ping negotiates again',
    async function () {
      const { net, node } = p!;
      await assertPings(net, {}, diag());
      const before = node.stats();
      p!.charon.proc.child.kill('SIGKILL');
      await p!.charon.proc.exited;
      await node.racoon!.waitFor(/IKEv2 peer \S+ is dead: no answer to/, 30_000);
      await pollUntil(
        () => `SAs left after the dead peer: ${JSON.stringify(node.sad())} ${ikeLines().join('\n')}${diag()}`,
        () => node.sad().length === 0 && ikeLines().length === 0,
      );
      assert.equal(node.stats()['ikev2.deadPeers'], before['ikev2.deadPeers']! + 1);
      const charon = await p!.restartCharon(charonConf(net));
      await assertPings(net, {}, diag());
      await assertPings(net, { from: 's' }, diag());
      assert.ok(node.stats()['ikev2.ikeEstablished']! > before['ikev2.ikeEstablished']!, diag());
      assert.match(ikeLines()[0] ?? '', / IKEv2 I established/, 'racoon negotiated again');
      const sas = await charon.listSas();
      assert.equal(sas[0]?.initiator, false, JSON.stringify(sas));
    },
  );
});
