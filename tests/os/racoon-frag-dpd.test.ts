// racoon's IKE fragmentation and dead peer detection between two machines (network namespaces), every program
// the shipped command as a separate process (`uipsecd --tun`, `racoon -F`, `setkey`):
// - b's link has an MTU of 576, so any datagram larger than that from a is lost on the way (a path MTU black
//   hole). Main mode with modp8192 carries 1 KB KE payloads: with `ike_frag force` the messages go as
//   racoon fragments of at most 576 bytes on the wire and the negotiation completes; tshark sees the fragments.
// - `dpd_delay 2; dpd_retry 1; dpd_maxfail 2` on a: b's machine dies (uipsecd and racoon killed), a declares
//   it dead, deletes its SAs through PF_KEY; b comes back and a's next packet negotiates anew.
import { strict as assert } from 'node:assert';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { compiled, programArgs, repoRoot } from '../e2e/support.js';
import { makePair, netnsSkipReason, nsRun, NsProc, startDaemon, type Pair } from './netns.js';
import { racoonCmd } from './racoon-machine.js';

function racoonConf(peer: string, dir: string, side: string, extra: string): string {
  return `path pre_shared_key "${join(dir, `${side}.psk`)}";
listen { adminsock "${join(dir, `${side}-admin.sock`)}"; }
timer { counter 5; interval 2 sec; }
remote ${peer} {
  exchange_mode main;
  ike_frag force;
  ${extra}
  proposal { encryption_algorithm aes 128; hash_algorithm sha256; authentication_method pre_shared_key; dh_group modp8192; }
}
sainfo anonymous {
  lifetime time 1 hour;
  encryption_algorithm aes 128;
  authentication_algorithm hmac_sha256;
  compression_algorithm deflate;
}
`;
}

function setkeyCmd(args: string[]): string[] {
  if (compiled) return [process.execPath, join(repoRoot(), 'bin', 'setkey'), ...args];
  return [process.execPath, ...programArgs('setkey/main'), ...args];
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe('os: racoon IKE fragmentation over a 576-byte MTU and DPD of a killed peer (uipsecd --tun, racoon, setkey)', function () {
  this.timeout(240_000);
  const skip = netnsSkipReason(['tshark', 'ping']);
  let pair: Pair;
  let dir = '';
  const procs: NsProc[] = [];
  const sock = (side: string) => join(dir, side, 'pfkey.sock');
  /** The ESP SAs `setkey -D` shows on one machine. */
  const espSas = (ns: string, side: string) =>
    (nsRun(ns, setkeyCmd(['--socket', sock(side), '-D'])).out.match(/^\s*esp mode=/gm) ?? []).length;

  async function startSide(side: 'a' | 'b'): Promise<NsProc> {
    const ns = side === 'a' ? pair.a : pair.b;
    const d = startDaemon(ns, `uipsecd ${side}`, [
      '--socket',
      sock(side),
      '--tun',
      'utun0',
      '--load',
      join(dir, `${side}.conf`),
    ]);
    procs.push(d);
    await d.waitFor(/ up: TUN utun0/);
    const r = new NsProc(
      `racoon ${side}`,
      ns,
      racoonCmd(['-F', '-d', '-f', join(dir, `${side}-racoon.conf`), '--socket', sock(side)]),
    );
    procs.push(r);
    await r.waitFor(/racoon started/);
    return r;
  }

  /** Pings from a until one answer comes back (bounded in count: the first ones raise ACQUIRE and are dropped). */
  async function pingUntilAnswered(): Promise<boolean> {
    for (let i = 0; i < 40; i++) {
      if (nsRun(pair.a, ['ping', '-c', '1', '-W', '1', pair.addrB]).code === 0) return true;
      await sleep(250);
    }
    return false;
  }

  before(function () {
    if (skip) this.skip();
    pair = makePair('frg', '10.201.13', 'fd00:201:13');
    dir = mkdtempSync(join(tmpdir(), 'uipsec-fragdpd-'));
    nsRun(pair.b, ['ip', 'link', 'set', 'dev', pair.ifB, 'mtu', '576']);
    const { addrA: A, addrB: B } = pair;
    for (const side of ['a', 'b'] as const) {
      const [peer, out, inn] = side === 'a' ? [B, 'out', 'in'] : [A, 'in', 'out'];
      writeFileSync(
        join(dir, `${side}.conf`),
        `flush;\nspdflush;\nspdadd ${A} ${B} any -P ${out} ipsec esp/transport//require;\nspdadd ${B} ${A} any -P ${inn} ipsec esp/transport//require;\n`,
      );
      writeFileSync(join(dir, `${side}.psk`), `${peer}\tuipsec-frag-secret\n`, { mode: 0o600 });
      const dpd = side === 'a' ? 'dpd_delay 2; dpd_retry 1; dpd_maxfail 2;' : '';
      writeFileSync(join(dir, `${side}-racoon.conf`), racoonConf(peer, dir, side, dpd));
    }
  });

  after(async () => {
    await Promise.all(procs.map((p) => p.stop('SIGTERM')));
    pair?.destroy();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it('the path loses datagrams over 576 bytes: main mode with 1 KB KE payloads completes in IKE fragments', async () => {
    // The black hole, before any daemon: 1000-byte pings are lost, 500-byte ones pass.
    assert.notEqual(nsRun(pair.a, ['ping', '-c', '1', '-W', '1', '-s', '1000', pair.addrB]).code, 0);
    assert.equal(nsRun(pair.a, ['ping', '-c', '1', '-W', '1', '-s', '500', pair.addrB]).code, 0);
    const file = join(dir, 'cap.pcapng');
    const cap = new NsProc('tshark', pair.a, ['tshark', '-i', pair.ifA, '-f', 'udp port 500', '-w', file]);
    procs.push(cap);
    await cap.waitFor(/Capturing on/, 20_000);
    const ra = await startSide('a');
    const rb = await startSide('b');
    assert.ok(await pingUntilAnswered(), ra.out.slice(-3000) + rb.out.slice(-3000));
    await sleep(300);
    await cap.stop('SIGINT');
    assert.match(ra.out, /ISAKMP-SA established/);
    assert.match(rb.out, /reassembled a \d+-byte message/, 'b put a message back together');
    assert.match(ra.out, /reassembled a \d+-byte message/, 'a too (b answered with fragments)');
    const r = spawnSync('tshark', ['-r', file, '-T', 'fields', '-e', 'udp.length', '-e', 'isakmp.frag.seq'], {
      encoding: 'utf8',
      timeout: 60_000,
    });
    assert.equal(r.status, 0, r.stderr);
    const rows = r.stdout
      .trim()
      .split('\n')
      .map((l) => l.split('\t'));
    const frags = rows.filter((x) => x[1]);
    assert.ok(frags.length >= 4, `IKE fragments on the wire: ${r.stdout}`);
    for (const x of rows) assert.ok(Number(x[0]) + 20 <= 576, `an IKE datagram of ${x[0]} bytes would not pass`);
    assert.equal(espSas(pair.a, 'a'), 2);
  });

  it('DPD: b dies, a declares it dead after dpd_maxfail probes and deletes its SAs; b returns, a renegotiates', async () => {
    const ra = procs.find((p) => p.label === 'racoon a')!;
    for (const label of ['racoon b', 'uipsecd b']) {
      const p = procs.find((x) => x.label === label && x.running)!;
      await p.stop('SIGKILL');
    }
    await ra.waitFor(/DPD: remote .* seems to be dead/, 30_000);
    await ra.waitFor(/purging ISAKMP-SA/, 5_000);
    for (let i = 0; i < 40 && espSas(pair.a, 'a') > 0; i++) await sleep(250);
    assert.equal(espSas(pair.a, 'a'), 0, 'a deleted the SAs it had with the dead peer');
    await startSide('b');
    assert.ok(await pingUntilAnswered(), ra.out.slice(-3000));
    assert.equal(ra.out.match(/ISAKMP-SA established/g)?.length, 2, 'a new phase 1 after the dead one');
    assert.equal(espSas(pair.a, 'a'), 2);
  });
});
