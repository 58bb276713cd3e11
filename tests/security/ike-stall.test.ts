// Issue 11 item 5: uipsecd queued without limit for a stalled racoon (60k datagrams to UDP 500 while racoon was
// stopped grew uipsecd from 60 to 165 MiB). uipsecd and racoon run as processes, the daemon on a UDP underlay
// on loopback; racoon is stopped with SIGSTOP and this test floods the host's UDP 500 through the underlay (as
// a peer on the network would). The daemon's queue to racoon stays within its limit, the rest is dropped and
// counted (ikechan_queue_drops in `uipsec status`), RSS stays bounded, and racoon reads on after SIGCONT.
import { strict as assert } from 'node:assert';
import { createSocket, type Socket as UdpSocket } from 'node:dgram';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Proc } from '../e2e/proc.js';
import { commandArgs, runCommand, rssKiB, sampleRss } from './support.js';
import { buildUdpPacket } from '../../kernel/ip/packet.js';
import { parseAddr } from '../../common/inet.js';
import { IKE_CLIENT_QUEUE_LIMIT } from '../../kernel/daemon/ike-server.js';

const A = '10.8.0.1',
  PEER = '10.8.0.2';
const DATAGRAMS = 40000;
const PAYLOAD = 1300;
const BATCH = 200;
const MiB = 1024 * 1024;

function racoonConf(admin: string, psk: string): string {
  return `path pre_shared_key "${psk}";
listen { adminsock "${admin}"; }
remote ${PEER} {
  exchange_mode main;
  proposal { encryption_algorithm aes 128; hash_algorithm sha256; authentication_method pre_shared_key; dh_group modp2048; }
}
sainfo anonymous { encryption_algorithm aes 128; authentication_algorithm hmac_sha256; compression_algorithm deflate; }
`;
}

describe('security: a stalled racoon costs uipsecd bounded memory (issue 11 item 5)', function () {
  let dir = '';
  const procs: Proc[] = [];
  let sock = '';
  let udp: UdpSocket | undefined;
  const base = 40000 + Math.floor(Math.random() * 20000);
  const counters = async (): Promise<Record<string, number>> => {
    const r = await runCommand('uipsec', ['status', '--socket', sock, '--json']);
    assert.equal(r.code, 0, r.err);
    return (JSON.parse(r.out) as { counters: Record<string, number> }).counters;
  };

  before(async () => {
    dir = mkdtempSync(join(tmpdir(), 'uipsec-ikestall-'));
    sock = join(dir, 'run', 'pfkey.sock');
    udp = createSocket('udp4');
    await new Promise<void>((r) => udp!.bind(base + 1, '127.0.0.1', r));
    const d = new Proc(
      'uipsecd',
      commandArgs('uipsecd', [
        '--socket',
        sock,
        '--address',
        `${A}/24`,
        '--underlay',
        `127.0.0.1:${base}`,
        '--neighbour',
        `${PEER}=127.0.0.1:${base + 1}`,
      ]),
    );
    procs.push(d);
    await d.waitFor(/ up: /);
    const psk = join(dir, 'psk.txt');
    writeFileSync(psk, `${PEER}\tuipsec-ikestall-secret\n`, { mode: 0o600 });
    writeFileSync(join(dir, 'racoon.conf'), racoonConf(join(dir, 'run', 'racoon.sock'), psk));
    const rc = new Proc('racoon', commandArgs('racoon', ['-F', '-f', join(dir, 'racoon.conf'), '--socket', sock]));
    procs.push(rc);
    // racoon is ready once it holds UDP 500 of the host (the channel's datagram counters start moving then).
    for (let i = 0; i < 400 && !/policies mirrored|PF_KEY registered/.test(rc.out + rc.err); i++) {
      if (rc.child.exitCode !== null) throw new Error(`racoon exited: ${rc.err}`);
      await new Promise((r) => setTimeout(r, 50));
    }
  });
  after(async () => {
    for (const p of procs) p.child.kill('SIGCONT');
    await Promise.all(procs.map((p) => p.stop()));
    udp?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('racoon stopped, 40,000 datagrams to UDP 500: queue bounded, drops counted, racoon reads on', async () => {
    const [d, rc] = [procs[0]!, procs[1]!];
    const pid = d.child.pid!;
    const rss0 = rssKiB(pid);
    rc.child.kill('SIGSTOP');
    const sampler = sampleRss(pid);
    const packet = buildUdpPacket({ src: parseAddr(PEER)!, dst: parseAddr(A)! }, 500, 500, new Uint8Array(PAYLOAD));
    for (let sent = 0; sent < DATAGRAMS; sent += BATCH) {
      await Promise.all(
        Array.from({ length: BATCH }, () => new Promise<void>((r) => udp!.send(packet, base, '127.0.0.1', () => r()))),
      );
      await new Promise((r) => setTimeout(r, 2));
    }
    await new Promise((r) => setTimeout(r, 500)); // what the underlay still holds reaches the daemon
    const k = await counters();
    const { peak } = sampler.stop();
    rc.child.kill('SIGCONT');
    const bound = rss0 + (IKE_CLIENT_QUEUE_LIMIT + 48 * MiB) / 1024;
    const drops = k.ikechan_queue_drops ?? 0;
    console.log(
      `      ${DATAGRAMS} datagrams of ${PAYLOAD} bytes sent (${((DATAGRAMS * PAYLOAD) / MiB).toFixed(0)} MiB); uipsecd: ` +
        `${k.udps_ipackets ?? '?'} UDP in, ${drops} dropped for the stopped racoon (queue limit ${IKE_CLIENT_QUEUE_LIMIT} bytes)`,
    );
    console.log(
      `      uipsecd RSS ${(rss0 / 1024).toFixed(1)} -> peak ${(peak / 1024).toFixed(1)} MiB (bound ${(bound / 1024).toFixed(0)} MiB)`,
    );
    assert.ok(drops > 0, 'datagrams for the stopped racoon were dropped and counted');
    assert.ok(peak <= bound, `uipsecd RSS peak ${peak} KiB over ${bound} KiB`);
    // racoon, running again, drains what waited and is still served: its channel was not closed.
    await new Promise((r) => setTimeout(r, 1000));
    assert.equal(rc.child.exitCode, null, `racoon still runs: ${rc.err.slice(-500)}`);
    const after = await counters();
    assert.equal(after.ikechan_queue_drops ?? 0, drops, 'no drop once racoon reads again');
  });
});
