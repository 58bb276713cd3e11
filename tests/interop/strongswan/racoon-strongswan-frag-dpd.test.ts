// Interop of racoon's IKE fragmentation and dead peer detection with strongSwan 5.9's charon (IKEv1, PSK,
// tunnel with forced NAT-T, ESP in userspace with kernel-libipsec), same layout as racoon-strongswan.test.ts:
// main mode with modp8192 (1 KB KE payloads) where both sides announce fragmentation (racoon `ike_frag on`,
// charon `fragmentation = yes` with `fragment_size = 576`), so each sends the other fragments; then DPD both
// ways (charon `dpd_delay = 2s`, racoon `dpd_delay 2`), and charon killed: racoon declares it dead and deletes
// the SAs through PF_KEY.
//
//   root netns (this process)                                   netns uipsec-ssfd-<pid>
//   uipsec Host u: 203.0.113.1 (NattSocket on 203.0.113.1:4500),   charon 203.0.113.2 (veth), inner 10.93.2.1 (lo)
//   inner 10.93.1.1; racoon on 203.0.113.1:500           <== veth ==>  ESP-in-UDP via its TUN device (libipsec)
//
// Needs root, `ip`, `unshare`, /dev/net/tun and the Debian packages strongswan, strongswan-swanctl,
// libcharon-extra-plugins (it ships the kernel-libipsec plugin); skipped with the reason otherwise.
import { strict as assert } from 'node:assert';
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { createSocket, type Socket } from 'node:dgram';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { systemClock } from '../../../common/clock.js';
import { formatAddr, parseAddr } from '../../../common/inet.js';
import { makeLogger } from '../../../common/log.js';
import { PooledRng } from '../../../common/rng.js';
import { Host } from '../../../kernel/host/host.js';
import { KeySock } from '../../../kernel/keysock/keysock.js';
import { MemWire } from '../../../kernel/link/memwire.js';
import { NattSocket } from '../../../kernel/link/natt-socket.js';
import { PfkeyClient } from '../../../pfkey/client.js';
import { InprocTransport } from '../../../pfkey/transport-inproc.js';
import { parseRacoonConf } from '../../../racoon/conf/parser.js';
import { parsePskText } from '../../../racoon/psk.js';
import { Racoon } from '../../../racoon/daemon.js';

const CHARON = '/usr/lib/ipsec/charon';
const SWANCTL = '/usr/sbin/swanctl';
const OUT_U = '203.0.113.1',
  OUT_S = '203.0.113.2',
  IN_U = '10.93.1.1',
  IN_S = '10.93.2.1';
const NS = `uipsec-ssfd-${process.pid}`;
const VETH = `usf${process.pid % 100000}`;
const SECRET = 'interop-secret-9f3a';
const ip = (s: string) => parseAddr(s)!;
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

function whyNot(): string | undefined {
  if (process.getuid?.() !== 0) return 'needs root (network namespaces)';
  if (!existsSync(CHARON) || !existsSync(SWANCTL))
    return 'strongSwan is not installed (apt: strongswan strongswan-swanctl libcharon-extra-plugins)';
  if (!existsSync('/usr/lib/ipsec/plugins/libstrongswan-kernel-libipsec.so'))
    return 'kernel-libipsec plugin missing (apt: libcharon-extra-plugins)';
  if (!existsSync('/dev/net/tun')) return 'no /dev/net/tun for libipsec';
  try {
    execFileSync('ip', ['netns', 'list'], { stdio: 'ignore' });
  } catch {
    return 'ip netns unavailable';
  }
  return undefined;
}

function sh(args: string[]): void {
  execFileSync(args[0]!, args.slice(1), { stdio: ['ignore', 'ignore', 'pipe'] });
}

describe('interop: racoon <-> strongSwan 5.9, IKE fragmentation and DPD (IKEv1 PSK, modp8192, libipsec)', function () {
  const reason = whyNot();
  let dir = '';
  let charon: ChildProcess | undefined;
  let host: Host | undefined,
    natt: NattSocket | undefined,
    ike500: Socket | undefined,
    racoon: Racoon | undefined,
    keysock: KeySock | undefined,
    client: PfkeyClient | undefined;
  const log: string[] = [];

  before(async function () {
    if (reason) {
      this.skip();
      return;
    }
    dir = mkdtempSync(join(tmpdir(), 'uipsec-ssfd-'));
    sh(['ip', 'netns', 'add', NS]);
    sh(['ip', 'link', 'add', VETH, 'type', 'veth', 'peer', 'name', `${VETH}p`]);
    sh(['ip', 'link', 'set', `${VETH}p`, 'netns', NS]);
    sh(['ip', 'addr', 'add', `${OUT_U}/24`, 'dev', VETH]);
    sh(['ip', 'link', 'set', VETH, 'up']);
    for (const c of [
      ['ip', 'link', 'set', 'lo', 'up'],
      ['ip', 'addr', 'add', `${OUT_S}/24`, 'dev', `${VETH}p`],
      ['ip', 'link', 'set', `${VETH}p`, 'up'],
      ['ip', 'addr', 'add', `${IN_S}/32`, 'dev', 'lo'],
    ]) {
      sh(['ip', 'netns', 'exec', NS, ...c]);
    }
    const vici = `unix://${join(dir, 'charon.vici')}`;
    writeFileSync(
      join(dir, 'strongswan.conf'),
      `charon {
  load = random nonce aes sha1 sha2 md5 hmac kdf gmp curve25519 kernel-libipsec kernel-netlink socket-default vici
  port = 500
  port_nat_t = 4500
  fragment_size = 576
  filelog { f { path = ${join(dir, 'charon.log')}
    default = 1
    ike = 2
    knl = 2
    flush_line = yes } }
  plugins { vici { socket = ${vici} } }
}
`,
    );
    writeFileSync(
      join(dir, 'swanctl.conf'),
      `connections {
  uipsec {
    version = 1
    local_addrs = ${OUT_S}
    remote_addrs = ${OUT_U}
    proposals = aes128-sha256-modp8192
    encap = yes
    fragmentation = yes
    dpd_delay = 2s
    local { auth = psk
      id = ${OUT_S} }
    remote { auth = psk
      id = ${OUT_U} }
    children { net {
      local_ts = 10.93.2.0/24
      remote_ts = 10.93.1.0/24
      esp_proposals = aes128-sha256
      mode = tunnel } }
  }
}
secrets { ike-u { id-1 = ${OUT_U}
  id-2 = ${OUT_S}
  secret = "${SECRET}" } }
`,
    );
    charon = spawn(
      'ip',
      ['netns', 'exec', NS, 'unshare', '-m', 'sh', '-c', `mount -t tmpfs none /run && exec ${CHARON}`],
      {
        env: { ...process.env, STRONGSWAN_CONF: join(dir, 'strongswan.conf') },
        stdio: 'ignore',
      },
    );
    for (let i = 0; !existsSync(join(dir, 'charon.vici')); i++) {
      if (charon.exitCode !== null) throw new Error('charon exited');
      await sleep(50);
    }
    execFileSync(
      'ip',
      ['netns', 'exec', NS, SWANCTL, '--load-all', '--file', join(dir, 'swanctl.conf'), '--uri', vici],
      { env: { ...process.env, STRONGSWAN_CONF: join(dir, 'strongswan.conf') }, stdio: 'pipe' },
    );

    // The uipsec side: a Host whose outer interface is a real UDP 4500 socket, plus an inner address.
    host = new Host({ name: 'u', clock: systemClock });
    natt = await NattSocket.open({ bind: { host: OUT_U, port: 4500 } });
    host.addInterface('natt0', natt, [`${OUT_U}/24`]);
    host.addInterface('in0', new MemWire().attach('in0', [ip(IN_U)]), [`${IN_U}/24`]);
    host.addRoute('10.93.2.0/24', 'in0'); // picks 10.91.1.1 as the source; IPsec tunnels the packet out natt0
    const req = [{ proto: 'esp' as const, mode: 'tunnel' as const, level: 'require' as const, src: OUT_U, dst: OUT_S }];
    host.spd.addPolicy({ src: '10.93.1.0/24', dst: '10.93.2.0/24', dir: 'out', action: 'ipsec', requests: req });
    host.spd.addPolicy({
      src: '10.93.2.0/24',
      dst: '10.93.1.0/24',
      dir: 'in',
      action: 'ipsec',
      requests: [{ ...req[0]!, src: OUT_S, dst: OUT_U }],
    });
    keysock = new KeySock(host);
    client = new PfkeyClient(new InprocTransport(keysock));
    ike500 = createSocket('udp4');
    await new Promise<void>((r) => ike500!.bind(500, OUT_U, () => r()));
    const conf = parseRacoonConf(
      `remote ${OUT_S} { exchange_mode main; nat_traversal force; ike_frag on; dpd_delay 2; dpd_retry 1; dpd_maxfail 2;
      proposal { encryption_algorithm aes 128; hash_algorithm sha256; authentication_method pre_shared_key; dh_group modp8192; } }
      sainfo anonymous { lifetime time 2 hour; # strongSwan proposes 3960 s; proposal_check strict refuses a longer initiator lifetime
      encryption_algorithm aes 128; authentication_algorithm hmac_sha256; compression_algorithm deflate; }`,
      'interop.conf',
    );
    racoon = new Racoon({
      conf: conf.conf,
      psk: parsePskText(`${OUT_S} ${SECRET}\n`, 'psk'),
      pfkey: client,
      clock: systemClock,
      rng: new PooledRng(),
      log: makeLogger('debug', (l) => log.push(l), 'racoon'),
      ike: {
        send(data, from, to) {
          if (from.port === 4500) natt!.sendIke(data.subarray(4), { host: formatAddr(to.addr), port: to.port });
          else ike500!.send(data, to.port, formatAddr(to.addr));
        },
      },
    });
    natt.onIke((m, from) => {
      const d = new Uint8Array(4 + m.length);
      d.set(m, 4);
      racoon!.input(d, { addr: ip(OUT_U), port: 4500 }, { addr: ip(from.host), port: from.port });
    });
    ike500.on('message', (m, r) =>
      racoon!.input(new Uint8Array(m), { addr: ip(OUT_U), port: 500 }, { addr: ip(r.address), port: r.port }),
    );
    await racoon.start();
  });

  after(() => {
    racoon?.close();
    client?.close();
    keysock?.close();
    ike500?.close();
    natt?.close();
    host?.close();
    charon?.kill('SIGTERM');
    if (!reason) {
      try {
        sh(['ip', 'link', 'del', VETH]);
      } catch {
        /* gone with the namespace */
      }
      try {
        sh(['ip', 'netns', 'del', NS]);
      } catch {
        /* not created */
      }
    }
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  async function pingInner(): Promise<number> {
    // Retried: the first packets go to ACQUIRE / wait for the SAs.
    for (let i = 0; i < 40; i++) {
      const r = await host!.ping(IN_S, { count: 1, intervalMs: 0, timeoutMs: 500 });
      if (r.length) return r.length;
    }
    return 0;
  }

  const charonLog = () => (existsSync(join(dir, 'charon.log')) ? readFileSync(join(dir, 'charon.log'), 'utf8') : '');
  const why = () => `${JSON.stringify(racoon!.stats)}\n${log.slice(-30).join('\n')}\n${charonLog().slice(-4000)}`;

  it(
    reason
      ? `skipped: ${reason}`
      : 'main mode with 1 KB KE payloads: racoon and charon each send the other fragments; the ping passes',
    async function () {
      if (reason) this.skip();
      assert.equal(await pingInner(), 1, why());
      const s = racoon!.stats;
      assert.ok(s.fragSent >= 2, `racoon sent fragments: ${why()}`);
      assert.ok(s.fragReassembled >= 1, `racoon reassembled charon's fragments: ${why()}`);
      assert.equal(s.fragDropped, 0);
      // strongSwan message.c: the wording of its reassembly and of its own splitting.
      assert.match(charonLog(), /reassembled fragmented IKE message/, 'charon reassembled racoon’s fragments');
      assert.match(charonLog(), /splitting IKE message .* into \d+ fragments/, 'charon fragmented its messages');
      const ph1 = [...racoon!.ph1s.values()][0]!;
      assert.deepEqual(ph1.frag, { send: true, peer: true }, 'both announced fragmentation');
      assert.ok(ph1.dpd?.peer, 'charon announced DPD');
    },
  );

  it(
    reason
      ? `skipped: ${reason}`
      : "DPD both ways: each answers the other's R-U-THERE; charon killed, racoon declares it dead, SAs deleted",
    async function () {
      if (reason) this.skip();
      const s = racoon!.stats;
      for (let i = 0; i < 100 && (s.dpdAcked < 1 || s.dpdAnswered < 1); i++) await sleep(100);
      assert.ok(s.dpdAcked >= 1, `charon acknowledged racoon's R-U-THERE: ${why()}`);
      assert.ok(s.dpdAnswered >= 1, `racoon answered charon's R-U-THERE: ${why()}`);
      assert.equal(s.dpdDead, 0);
      assert.ok(host!.sad.dump().length >= 2);
      charon!.kill('SIGKILL');
      for (let i = 0; i < 150 && s.dpdDead === 0; i++) await sleep(100);
      assert.equal(s.dpdDead, 1, why());
      for (let i = 0; i < 50 && host!.sad.dump().length > 0; i++) await sleep(100);
      assert.equal(host!.sad.dump().length, 0, 'the dead peer’s SAs were deleted');
      assert.equal(racoon!.ph1s.size, 0);
    },
  );
});
