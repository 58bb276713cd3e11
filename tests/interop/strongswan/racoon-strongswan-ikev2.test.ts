// Interop: racoon's IKEv2 (IKE_SA_INIT + IKE_AUTH with PSK, RFC 7296) with strongSwan 5.9's charon (IKEv2, ESP
// in userspace with kernel-libipsec), tunnel mode with forced UDP encapsulation (§2.23: both move to 4500), as
// initiator (ACQUIRE) and as responder (swanctl --initiate), a ping through each resulting child, then a child
// rekey and an IKE SA rekey started by charon (CREATE_CHILD_SA) and a liveness check (INFORMATIONAL).
//
//   root netns (this process)                                   netns uipsec-ss2-<pid>
//   uipsec Host u: 198.51.102.1 (NattSocket on the real            charon 198.51.102.2 (veth), inner 10.92.2.1 (lo)
//   198.51.102.1:4500), inner 10.92.1.1; racoon on :500  <== veth ==>  ESP-in-UDP via its TUN device (libipsec)
//
// Needs root, `ip`, `unshare`, /dev/net/tun and the Debian packages strongswan, strongswan-swanctl,
// libcharon-extra-plugins (it ships the kernel-libipsec plugin); skipped with the reason otherwise.
import { strict as assert } from 'node:assert';
import { execFile, execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { promisify } from 'node:util';
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
const OUT_U = '198.51.102.1',
  OUT_S = '198.51.102.2',
  IN_U = '10.92.1.1',
  IN_S = '10.92.2.1';
const NS = `uipsec-ss2-${process.pid}`;
const VETH = `uv2${process.pid % 100000}`;
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

describe('interop: racoon IKEv2 <-> strongSwan 5.9 (PSK, tunnel, forced NAT-T, libipsec)', function () {
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
    dir = mkdtempSync(join(tmpdir(), 'uipsec-ss2-'));
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
    version = 2
    local_addrs = ${OUT_S}
    remote_addrs = ${OUT_U}
    proposals = aes128-sha256-modp2048
    encap = yes
    local { auth = psk
      id = ${OUT_S} }
    remote { auth = psk
      id = ${OUT_U} }
    children { net {
      local_ts = 10.92.2.0/24
      remote_ts = 10.92.1.0/24
      esp_proposals = aes128-sha256-modp2048
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
    host.addRoute('10.92.2.0/24', 'in0'); // picks 10.92.1.1 as the source; IPsec tunnels the packet out natt0
    const req = [{ proto: 'esp' as const, mode: 'tunnel' as const, level: 'require' as const, src: OUT_U, dst: OUT_S }];
    host.spd.addPolicy({ src: '10.92.1.0/24', dst: '10.92.2.0/24', dir: 'out', action: 'ipsec', requests: req });
    host.spd.addPolicy({
      src: '10.92.2.0/24',
      dst: '10.92.1.0/24',
      dir: 'in',
      action: 'ipsec',
      requests: [{ ...req[0]!, src: OUT_S, dst: OUT_U }],
    });
    keysock = new KeySock(host);
    client = new PfkeyClient(new InprocTransport(keysock));
    ike500 = createSocket('udp4');
    await new Promise<void>((r) => ike500!.bind(500, OUT_U, () => r()));
    const conf = parseRacoonConf(
      `remote ${OUT_S} { ike_version 2; nat_traversal force; dpd_delay 2;
      proposal { encryption_algorithm aes 128; hash_algorithm sha256; authentication_method pre_shared_key; dh_group modp2048; } }
      sainfo anonymous { lifetime time 2 hour; pfs_group modp2048; encryption_algorithm aes 128; authentication_algorithm hmac_sha256; }`,
      'interop.conf',
    );
    racoon = new Racoon({
      conf: conf.conf,
      psk: parsePskText(`${OUT_S} ${SECRET}\n`, 'psk'),
      pfkey: client,
      clock: systemClock,
      rng: new PooledRng(),
      log: makeLogger(
        'debug',
        (l) => (log.push(l), process.env.IKEV2_DEBUG && process.stderr.write(l + '\n')),
        'racoon',
      ),
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

  it(
    reason
      ? `skipped: ${reason}`
      : 'racoon initiates (ACQUIRE from a ping), strongSwan responds; the ping is answered through the tunnel',
    async function () {
      if (reason) this.skip();
      assert.equal(
        await pingInner(),
        1,
        log.slice(-20).join('\n') +
          (existsSync(join(dir, 'charon.log')) ? readFileSync(join(dir, 'charon.log'), 'utf8').slice(-3000) : ''),
      );
      assert.ok(racoon!.ikev2.stats.childEstablished >= 1);
      const sa = racoon!.ikev2.ikes.all()[0]!;
      assert.equal(sa.state, 'established');
      assert.ok(sa.initiator, 'racoon initiated');
      assert.ok(sa.floated, 'moved to port 4500');
      for (const s of host!.sad.dump()) assert.ok(s.natt, 'ESP-in-UDP SA');
    },
  );

  it(
    reason ? `skipped: ${reason}` : 'strongSwan initiates (swanctl --initiate), racoon responds; traffic flows',
    async function () {
      if (reason) this.skip();
      const env = { ...process.env, STRONGSWAN_CONF: join(dir, 'strongswan.conf') };
      const uri = `unix://${join(dir, 'charon.vici')}`;
      // Asynchronously: charon waits for racoon (in this event loop) to answer its Delete.
      await swanctl(['--terminate', '--ike', 'uipsec']).catch(() => undefined); // none up when run alone
      for (let i = 0; i < 100 && host!.sad.dump().length > 0; i++) await sleep(50);
      const responderBefore = racoon!.ikev2.stats.childEstablished;
      try {
        // Asynchronously: swanctl returns only when the exchange with our racoon (in this event loop) is done.
        await promisify(execFile)(
          'ip',
          ['netns', 'exec', NS, SWANCTL, '--initiate', '--child', 'net', '--timeout', '20', '--uri', uri],
          { env },
        );
      } catch (e) {
        assert.fail(
          `swanctl --initiate failed ${JSON.stringify(racoon!.ikev2.stats)}\n${log.slice(-30).join('\n')}\n${readFileSync(join(dir, 'charon.log'), 'utf8').slice(-4000)}`,
        );
      }
      assert.ok(racoon!.ikev2.stats.childEstablished > responderBefore, log.slice(-20).join('\n'));
      const sa = racoon!.ikev2.ikes.all().find((x) => x.state === 'established')!;
      assert.ok(!sa.initiator, 'racoon responded');
      assert.equal(await pingInner(), 1);
      // dpd_delay 2: after 2 s without a message racoon sends a liveness check (empty INFORMATIONAL); charon answers.
      const checks = racoon!.ikev2.stats.livenessChecks;
      await waitFor('a liveness check answered', () => racoon!.ikev2.stats.livenessChecks > checks && !sa.active);
      assert.equal(sa.state, 'established');
      assert.equal(racoon!.ikev2.stats.deadPeers, 0);
    },
  );

  function swanctl(args: string[]): Promise<unknown> {
    const env = { ...process.env, STRONGSWAN_CONF: join(dir, 'strongswan.conf') };
    const uri = `unix://${join(dir, 'charon.vici')}`;
    return promisify(execFile)('ip', ['netns', 'exec', NS, SWANCTL, ...args, '--uri', uri], { env });
  }

  async function waitFor(what: string, cond: () => boolean): Promise<void> {
    for (let i = 0; i < 200 && !cond(); i++) await sleep(50);
    assert.ok(cond(), `${what}: ${JSON.stringify(racoon!.ikev2.stats)}\n${log.slice(-30).join('\n')}`);
  }

  it(
    reason
      ? `skipped: ${reason}`
      : 'strongSwan rekeys the child and the IKE SA (CREATE_CHILD_SA), then deletes the IKE SA (INFORMATIONAL)',
    async function () {
      if (reason) this.skip();
      const st = racoon!.ikev2.stats;
      const children = st.childRekeyed;
      await swanctl(['--rekey', '--child', 'net']);
      await waitFor('child rekeyed', () => st.childRekeyed > children && host!.sad.dump().length === 2);
      assert.equal(await pingInner(), 1);
      const ikes = st.ikeRekeyed;
      const old = racoon!.ikev2.ikes.all().find((x) => x.state === 'established')!;
      await swanctl(['--rekey', '--ike', 'uipsec']);
      await waitFor('IKE SA rekeyed, the old one deleted', () => st.ikeRekeyed > ikes && old.state === 'dead');
      const now = racoon!.ikev2.ikes.all();
      assert.equal(now.length, 1);
      assert.equal(now[0]!.children.size, 1, 'the child moved to the new IKE SA');
      assert.equal(await pingInner(), 1);
      await swanctl(['--terminate', '--ike', 'uipsec']);
      await waitFor(
        'IKE SA and child gone',
        () => racoon!.ikev2.ikes.all().length === 0 && host!.sad.dump().length === 0,
      );
    },
  );
});
