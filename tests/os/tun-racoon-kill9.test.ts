// Fail closed with racoon (issue 10): two machines (network namespaces), each running `uipsecd --tun utun0
// --load policies.conf` (policies only) and `racoon -F` as separate processes, as docs/protecting-real-traffic.md
// says. A ping flow runs under the ESP SAs racoon negotiated; uipsecd on A is killed with SIGKILL in the middle
// of it: tshark on the veth sees not one packet of the flow in clear (the kill-switch refuses it). racoon on A
// stays up (documented: it logs the closed PF_KEY socket and reconnects with backoff); uipsecd is started again
// with the same --load file, the same racoon process reconnects, registers, tells B of the SAs the dead kernel
// held, and the next packet's ACQUIRE gets new SAs: the ping is answered again, still only ESP on the wire.
// Then the same with B's uipsecd (the peer's daemon restarted under a flow it answers).
import { strict as assert } from 'node:assert';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Capture, tsharkSkipReason } from '../support/capture.js';
import { makePair, netnsSkipReason, nsRun, NsProc, startDaemon, type Pair } from './netns.js';
import { pingUntilAnswered, startMachine } from './racoon-machine.js';

function racoonConf(peer: string, dir: string, side: string): string {
  return `path pre_shared_key "${join(dir, `${side}.psk`)}";
listen { adminsock "${join(dir, `${side}-admin.sock`)}"; }
timer { counter 5; interval 2 sec; }
remote ${peer} {
  exchange_mode main;
  proposal { encryption_algorithm aes 128; hash_algorithm sha256; authentication_method pre_shared_key; dh_group modp2048; }
}
sainfo anonymous { lifetime time 1 hour; encryption_algorithm aes 128; authentication_algorithm hmac_sha256; compression_algorithm deflate; }
`;
}

describe('os: kill -9 uipsecd under a racoon-keyed flow in TUN mode: fail closed, racoon reconnects, traffic flows again', function () {
  this.timeout(240_000);
  const skip = netnsSkipReason(['ping', 'tshark']) ?? tsharkSkipReason();
  let pair: Pair;
  let dir = '';
  const procs: NsProc[] = [];

  before(function () {
    if (skip) this.skip();
    pair = makePair('rk9', '10.201.12', 'fd00:201:12');
    dir = mkdtempSync(join(tmpdir(), 'uipsec-tunk9-'));
  });

  after(async () => {
    await Promise.all(procs.map((p) => p.stop('SIGTERM')));
    pair?.destroy();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  /**
   * A ping flow from a to b under racoon's SAs; uipsecd on `side` is killed with SIGKILL in the middle of it,
   * then started again with the same --load file while its racoon keeps running. Asserts on the wire (tshark
   * on a's veth end) that no echo of the flow crossed in clear, and that the ping is answered again afterwards.
   */
  const killMidFlowAndRestart = async (side: 'a' | 'b', racoon: NsProc, other: NsProc): Promise<void> => {
    const { addrA: A, addrB: B } = pair;
    const [ns, peer] = side === 'a' ? [pair.a, B] : [pair.b, A];
    const cap = await Capture.start(pair.a, pair.ifA, join(dir, `kill9-${side}.pcapng`), `host ${B}`);
    const flow = new NsProc(`ping flow (kill ${side})`, pair.a, ['ping', '-i', '0.1', '-c', '60', B]);
    procs.push(flow);
    await flow.waitFor(/icmp_seq=10 /, 20_000);
    const daemon = procs.filter((p) => p.label === `uipsecd ${side}` && p.running)[0]!;
    const established = racoon.out.match(/IPsec-SA established/g)?.length ?? 0;
    const reconnects = racoon.out.match(/PF_KEY socket \S+ connected again/g)?.length ?? 0;
    daemon.child.kill('SIGKILL');
    await daemon.exited;
    // racoon logs the closed PF_KEY socket and keeps running; the flow keeps trying for 3 s.
    await racoon.waitFor(/PF_KEY socket \S+ closed.*uipsecd is gone.*reconnecting/, 15_000);
    await new Promise((r) => setTimeout(r, 3000));
    await flow.stop('SIGINT');
    await cap.stop();
    // Echo requests or replies in clear: none. (With b's uipsecd dead, b's kernel may answer a's ESP with an
    // ICMP protocol-unreachable that quotes the ESP header: not the flow, so only echoes are counted.)
    assert.equal(cap.count('icmp.type == 8 || icmp.type == 0'), 0, `the flow in clear after killing ${side}`);
    if (side === 'a') assert.equal(cap.count('icmp'), 0, 'no ICMP at all in clear');
    assert.ok(cap.count('esp') > 10, 'the flow in ESP before the kill');
    assert.ok(racoon.running, `racoon exited with uipsecd: ${racoon.out.slice(-2000)}`);
    // The flow kept trying after the kill (requests sent, none answered), into the kill-switch, not the wire.
    const stats = /(\d+) packets transmitted, (\d+) received/.exec(flow.out);
    assert.ok(stats && Number(stats[1]) - Number(stats[2]) >= 10, flow.out);
    const table = nsRun(ns, ['ip', 'route', 'show', 'table', '4500']).out;
    assert.match(table, new RegExp(`prohibit ${peer.replace(/\./g, '\\.')} .*metric 4500`), table);
    assert.doesNotMatch(table, /utun0/);

    // uipsecd again, as after a crash: the same --load file. racoon (same process) reconnects on its own.
    const restarted = startDaemon(ns, `uipsecd ${side}`, [
      '--socket',
      join(dir, side, 'pfkey.sock'),
      '--tun',
      'utun0',
      '--load',
      join(dir, `${side}.conf`),
    ]);
    procs.push(restarted);
    await restarted.waitFor(/ up: TUN utun0/);
    await racoon.waitFor(new RegExp(`(?:[^]*?PF_KEY socket \\S+ connected again){${reconnects + 1}}`), 60_000);
    await racoon.waitFor(/IKE channel \S+ connected again/, 60_000);
    const cap2 = await Capture.start(pair.a, pair.ifA, join(dir, `after-${side}.pcapng`), `host ${B}`);
    const answered = pingUntilAnswered(pair, 20);
    await cap2.stop();
    assert.ok(answered, `${racoon.out.slice(-3000)}\n--- other:\n${other.out.slice(-2000)}`);
    // One more "IPsec-SA established" than before the kill: a new SA pair.
    await racoon.waitFor(new RegExp(`(?:[^]*?IPsec-SA established){${established + 1}}`), 10_000);
    assert.ok(racoon.running && other.running);
    assert.equal(cap2.count('icmp.type == 8 || icmp.type == 0'), 0, 'echoes in clear after the restart');
    assert.ok(cap2.count('esp') >= 2, 'the answered ping in ESP');
    // The new pair was negotiated on UDP 500: racoon says so in its words, and its quick mode is on the wire.
    const fresh = racoon.out.split('IPsec-SA established: ').slice(established + 1);
    assert.ok(
      fresh.some((l) => /^ESP\/Transport \S+\[500\]->\S+\[500\] spi=/.test(l)),
      racoon.out.slice(-2000),
    );
    assert.ok(cap2.count('isakmp && udp.port == 500') >= 1, 'the quick mode on UDP 500');
  };

  it('kill -9 of either uipsecd: no packet of the flow in clear; the same racoon reconnects to the restarted uipsecd', async () => {
    const { addrA: A, addrB: B } = pair;
    const racoons: NsProc[] = [];
    for (const side of ['a', 'b'] as const) {
      const [ns, peer, out, inn] = side === 'a' ? [pair.a, B, 'out', 'in'] : [pair.b, A, 'in', 'out'];
      writeFileSync(
        join(dir, `${side}.conf`),
        `flush;\nspdflush;\nspdadd ${A} ${B} any -P ${out} ipsec esp/transport//require;\nspdadd ${B} ${A} any -P ${inn} ipsec esp/transport//require;\n`,
      );
      writeFileSync(join(dir, `${side}.psk`), `${peer}\tuipsec-kill9-secret\n`, { mode: 0o600 });
      writeFileSync(join(dir, `${side}-racoon.conf`), racoonConf(peer, dir, side));
      const home = join(dir, side);
      racoons.push(
        await startMachine(ns, side, home, join(dir, `${side}.conf`), join(dir, `${side}-racoon.conf`), procs),
      );
    }
    const [racoonA, racoonB] = racoons as [NsProc, NsProc];
    assert.ok(pingUntilAnswered(pair), racoonA.out.slice(-2000));
    // (pingUntilAnswered blocks the event loop: racoon's log is read after it.)
    await racoonA.waitFor(/IPsec-SA established/, 10_000);
    // The machine whose uipsecd dies first is the one whose traffic starts the flow, then its peer.
    await killMidFlowAndRestart('a', racoonA, racoonB);
    await killMidFlowAndRestart('b', racoonB, racoonA);
  });
});
