// Interop: racoon main mode with RSA signatures and X.509 certificates (RFC 2409 §5.1), and aggressive mode with a
// pre-shared key (§5.4, charon's second address OUT_AGG), against strongSwan 5.9's charon (IKEv1, x509/pem/pkcs1
// plugins, ESP in userspace with kernel-libipsec), tunnel mode with forced UDP encapsulation, each side as
// initiator and as responder, a ping through the tunnel each time. The PKI (root CA >
// intermediate CA > two RSA hosts, CRLs) is made by `openssl ca` at test time; racoon reads the CAs and CRLs from
// an `openssl rehash` directory (`path certificate`), charon gets both CAs in its x509ca directory.
//
//   root netns (this process)                                  netns uipsec-ssc-<pid>
//   uipsec Host: OUT_U (NattSocket on OUT_U:4500), inner IN_U;   charon OUT_S (veth), inner IN_S (lo)
//   racoon on OUT_U:500, CN=uipsec                  <== veth ==>  CN=strongswan
//
// The outer addresses are derived from the pid (100.64.0.0/10) so that two runs on one machine do not collide.
// Needs root, `ip`, `unshare`, `openssl`, /dev/net/tun and strongswan, strongswan-swanctl,
// libcharon-extra-plugins; skipped with the reason otherwise.
import { strict as assert } from 'node:assert';
import { execFile, execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { promisify } from 'node:util';
import { createSocket, type Socket } from 'node:dgram';
import { chmodSync, copyFileSync, existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
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
import * as C from '../../../racoon/isakmp/constants.js';
import { opensslAvailable, TestPki } from '../../support/pki.js';

const CHARON = '/usr/lib/ipsec/charon';
const SWANCTL = '/usr/sbin/swanctl';
const NET = `100.${64 + ((process.pid >> 8) % 64)}.${process.pid % 256}`;
const OUT_U = `${NET}.1`,
  OUT_S = `${NET}.2`,
  OUT_AGG = `${NET}.3`,
  IN_U = '10.92.1.1',
  IN_S = '10.92.2.1',
  IN_AGG = '10.92.3.1';
const SECRET = 'agg-interop-secret-41c7';
const NS = `uipsec-ssc-${process.pid}`;
const VETH = `uvc${process.pid % 100000}`;
const CA_EXT = ['basicConstraints=critical,CA:TRUE', 'keyUsage=critical,keyCertSign,cRLSign'];
const ip = (s: string) => parseAddr(s)!;
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

function whyNot(): string | undefined {
  if (process.getuid?.() !== 0) return 'needs root (network namespaces)';
  if (!existsSync(CHARON) || !existsSync(SWANCTL))
    return 'strongSwan is not installed (apt: strongswan strongswan-swanctl libcharon-extra-plugins)';
  if (!existsSync('/usr/lib/ipsec/plugins/libstrongswan-kernel-libipsec.so'))
    return 'kernel-libipsec plugin missing (apt: libcharon-extra-plugins)';
  if (!existsSync('/dev/net/tun')) return 'no /dev/net/tun for libipsec';
  if (!opensslAvailable()) return 'the openssl command is not installed';
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

function makePki(): TestPki {
  const pki = new TestPki();
  pki.issue('root', { key: 'rsa:2048', subj: '/C=JP/O=KAME/CN=root', ext: CA_EXT });
  pki.issue('inter', { key: 'rsa:2048', subj: '/C=JP/O=KAME/CN=inter', issuer: 'root', ca: true, ext: CA_EXT });
  for (const h of ['uipsec', 'strongswan']) {
    pki.issue(h, { key: 'rsa:2048', subj: `/C=JP/O=KAME/CN=${h}`, issuer: 'inter' });
    chmodSync(pki.get(h).key, 0o600);
  }
  const crls = [pki.crl('root', 'root.crl'), pki.crl('inter', 'inter.crl')];
  pki.hashDir('certs', [pki.get('root').cert, pki.get('inter').cert, ...crls]);
  return pki;
}

function charonConf(pki: TestPki): { strongswan: string; swanctl: string } {
  const strongswan = `charon {
  load = random nonce aes sha1 sha2 md5 hmac kdf gmp pem pkcs1 pkcs8 x509 pubkey constraints revocation kernel-libipsec kernel-netlink socket-default vici
  # strongSwan answers aggressive mode with a PSK only when told to (the same exposure racoon warns of).
  i_dont_care_about_security_and_use_aggressive_mode_psk = yes
  port = 500
  port_nat_t = 4500
  filelog { f { path = ${pki.path('charon.log')}
    default = 1
    ike = 2
    cfg = 2
    knl = 1
    flush_line = yes } }
  plugins { vici { socket = unix://${pki.path('charon.vici')} } }
}
`;
  const swanctl = `connections {
  uipsec {
    version = 1
    local_addrs = ${OUT_S}
    remote_addrs = ${OUT_U}
    proposals = aes128-sha256-modp2048
    encap = yes
    local { auth = pubkey
      certs = strongswan.pem }
    remote { auth = pubkey
      id = "C=JP, O=KAME, CN=uipsec" }
    children { net {
      local_ts = 10.92.2.0/24
      remote_ts = 10.92.1.0/24
      esp_proposals = aes128-sha256
      mode = tunnel } }
  }
  agg {
    version = 1
    aggressive = yes
    local_addrs = ${OUT_AGG}
    remote_addrs = ${OUT_U}
    proposals = aes128-sha256-modp2048
    encap = yes
    local { auth = psk
      id = ${OUT_AGG} }
    remote { auth = psk
      id = ${OUT_U} }
    children { agg-net {
      local_ts = 10.92.3.0/24
      remote_ts = 10.92.1.0/24
      esp_proposals = aes128-sha256
      mode = tunnel } }
  }
}
secrets { ike-agg { id-1 = ${OUT_U}
  id-2 = ${OUT_AGG}
  secret = "${SECRET}" } }
`;
  return { strongswan, swanctl };
}

function racoonConfText(pki: TestPki): string {
  return `path certificate "${pki.path('certs')}";
remote ${OUT_S} {
  exchange_mode main;
  nat_traversal force;
  certificate_type x509 "${pki.get('uipsec').cert}" "${pki.get('uipsec').key}";
  ca_type x509 "${pki.get('inter').cert}";
  my_identifier asn1dn;
  peers_identifier asn1dn "C=JP, O=KAME, CN=strongswan";
  verify_identifier on;
  proposal { encryption_algorithm aes 128; hash_algorithm sha256; authentication_method rsasig; dh_group modp2048; }
}
remote ${OUT_AGG} {
  exchange_mode aggressive;
  nat_traversal force;
  my_identifier address;
  proposal { encryption_algorithm aes 128; hash_algorithm sha256; authentication_method pre_shared_key; dh_group modp2048; }
}
sainfo anonymous { lifetime time 2 hour; # strongSwan proposes 3960 s; proposal_check strict refuses a longer one
  encryption_algorithm aes 128; authentication_algorithm hmac_sha256; compression_algorithm deflate; }
`;
}

describe('interop: racoon <-> strongSwan 5.9, main mode with RSA signatures and a CA chain, aggressive mode PSK (tunnel, NAT-T, libipsec)', function () {
  const reason = whyNot();
  let pki: TestPki | undefined;
  let charon: ChildProcess | undefined;
  let host: Host | undefined,
    natt: NattSocket | undefined,
    ike500: Socket | undefined,
    racoon: Racoon | undefined,
    keysock: KeySock | undefined,
    client: PfkeyClient | undefined;
  const log: string[] = [];
  // swanctl reads its credentials from SWANCTL_DIR: x509/ (ours), x509ca/ (trusted CAs), private/ (our key).
  const env = () => ({
    ...process.env,
    STRONGSWAN_CONF: pki!.path('strongswan.conf'),
    SWANCTL_DIR: pki!.path('swanctl'),
  });
  const uri = () => `unix://${pki!.path('charon.vici')}`;
  const swanctl = (args: string[]) =>
    execFileSync('ip', ['netns', 'exec', NS, SWANCTL, ...args, '--uri', uri()], { env: env(), stdio: 'pipe' });
  const charonLog = () => (existsSync(pki!.path('charon.log')) ? readFileSync(pki!.path('charon.log'), 'utf8') : '');
  const diag = () => `${log.slice(-30).join('\n')}\n--- charon ---\n${charonLog().slice(-4000)}`;

  async function startCharon(): Promise<void> {
    const c = charonConf(pki!);
    writeFileSync(pki!.path('strongswan.conf'), c.strongswan);
    const d = pki!.path('swanctl');
    for (const sub of ['x509', 'x509ca', 'private']) mkdirSync(join(d, sub), { recursive: true });
    writeFileSync(join(d, 'swanctl.conf'), c.swanctl);
    copyFileSync(pki!.get('strongswan').cert, join(d, 'x509', 'strongswan.pem'));
    copyFileSync(pki!.get('strongswan').key, join(d, 'private', 'strongswan.key'));
    for (const ca of ['root', 'inter']) copyFileSync(pki!.get(ca).cert, join(d, 'x509ca', `${ca}.pem`));
    charon = spawn(
      'ip',
      ['netns', 'exec', NS, 'unshare', '-m', 'sh', '-c', `mount -t tmpfs none /run && exec ${CHARON}`],
      { env: env(), stdio: 'ignore' },
    );
    for (let i = 0; i < 200 && !existsSync(pki!.path('charon.vici')); i++) {
      if (charon.exitCode !== null) throw new Error('charon exited');
      await sleep(50);
    }
    swanctl(['--load-all']);
  }

  async function startRacoon(): Promise<void> {
    host = new Host({ name: 'u', clock: systemClock });
    natt = await NattSocket.open({ bind: { host: OUT_U, port: 4500 } });
    host.addInterface('natt0', natt, [`${OUT_U}/24`]);
    host.addInterface('in0', new MemWire().attach('in0', [ip(IN_U)]), [`${IN_U}/24`]);
    for (const [net, peer] of [
      ['10.92.2.0/24', OUT_S],
      ['10.92.3.0/24', OUT_AGG],
    ] as const) {
      host.addRoute(net, 'in0');
      const req = [
        { proto: 'esp' as const, mode: 'tunnel' as const, level: 'require' as const, src: OUT_U, dst: peer },
      ];
      host.spd.addPolicy({ src: '10.92.1.0/24', dst: net, dir: 'out', action: 'ipsec', requests: req });
      host.spd.addPolicy({
        src: net,
        dst: '10.92.1.0/24',
        dir: 'in',
        action: 'ipsec',
        requests: [{ ...req[0]!, src: peer, dst: OUT_U }],
      });
    }
    keysock = new KeySock(host);
    client = new PfkeyClient(new InprocTransport(keysock));
    ike500 = createSocket('udp4');
    await new Promise<void>((r) => ike500!.bind(500, OUT_U, () => r()));
    const conf = parseRacoonConf(racoonConfText(pki!), 'interop-certs.conf');
    assert.deepEqual(conf.errors, []);
    racoon = new Racoon({
      conf: conf.conf,
      psk: parsePskText(`${OUT_AGG} ${SECRET}\n`, 'psk'),
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
  }

  before(async function () {
    if (reason) {
      this.skip();
      return;
    }
    pki = makePki();
    sh(['ip', 'netns', 'add', NS]);
    sh(['ip', 'link', 'add', VETH, 'type', 'veth', 'peer', 'name', `${VETH}p`]);
    sh(['ip', 'link', 'set', `${VETH}p`, 'netns', NS]);
    sh(['ip', 'addr', 'add', `${OUT_U}/24`, 'dev', VETH]);
    sh(['ip', 'link', 'set', VETH, 'up']);
    for (const c of [
      ['ip', 'link', 'set', 'lo', 'up'],
      ['ip', 'addr', 'add', `${OUT_S}/24`, 'dev', `${VETH}p`],
      ['ip', 'link', 'set', `${VETH}p`, 'up'],
      ['ip', 'addr', 'add', `${OUT_AGG}/24`, 'dev', `${VETH}p`],
      ['ip', 'addr', 'add', `${IN_S}/32`, 'dev', 'lo'],
      ['ip', 'addr', 'add', `${IN_AGG}/32`, 'dev', 'lo'],
    ])
      sh(['ip', 'netns', 'exec', NS, ...c]);
    await startCharon();
    await startRacoon();
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
    pki?.cleanup();
  });

  async function pingInner(to = IN_S): Promise<number> {
    // Retried: the first packets go to ACQUIRE / wait for the SAs.
    for (let i = 0; i < 40; i++) {
      const r = await host!.ping(to, { count: 1, intervalMs: 0, timeoutMs: 500 });
      if (r.length) return r.length;
    }
    return 0;
  }

  it(
    reason
      ? `skipped: ${reason}`
      : 'racoon initiates: CERT + SIG each way, both chains verified, the ping is answered through the tunnel',
    async function () {
      if (reason) this.skip();
      assert.equal(await pingInner(), 1, diag());
      assert.ok(
        log.some((l) => /CERT validated/.test(l)),
        diag(),
      );
      assert.ok(log.some((l) => /ISAKMP-SA established/.test(l)));
      const cl = charonLog();
      assert.match(cl, /using trusted intermediate ca certificate "C=JP, O=KAME, CN=inter"/, diag());
      assert.match(cl, /authentication of 'C=JP, O=KAME, CN=uipsec' with RSA.* successful/, diag());
    },
  );

  it(
    reason ? `skipped: ${reason}` : 'strongSwan initiates (swanctl --initiate), racoon responds; traffic flows',
    async function () {
      if (reason) this.skip();
      swanctl(['--terminate', '--ike', 'uipsec']);
      for (let i = 0; i < 100 && host!.sad.dump().length > 0; i++) await sleep(50);
      const before = [...racoon!.ph2s].filter((p) => p.side === 'responder').length;
      try {
        // Asynchronously: swanctl returns only when the exchange with our racoon (in this event loop) is done.
        await promisify(execFile)(
          'ip',
          ['netns', 'exec', NS, SWANCTL, '--initiate', '--child', 'net', '--timeout', '20', '--uri', uri()],
          { env: env() },
        );
      } catch {
        assert.fail(`swanctl --initiate failed\n${diag()}`);
      }
      const after = [...racoon!.ph2s].filter((p) => p.side === 'responder' && p.state === 'established').length;
      assert.ok(after > before, diag());
      assert.equal(await pingInner(), 1);
    },
  );

  it(
    reason
      ? `skipped: ${reason}`
      : 'aggressive mode with a pre-shared key, racoon initiating: three messages, then the ping is answered',
    async function () {
      if (reason) this.skip();
      assert.equal(await pingInner(IN_AGG), 1, diag());
      assert.ok(
        log.some((l) => /begin Aggressive mode/.test(l)),
        diag(),
      );
      assert.match(charonLog(), /IKE_SA agg\[\d+\] established/, diag());
    },
  );

  it(
    reason ? `skipped: ${reason}` : 'aggressive mode with a pre-shared key, strongSwan initiating; traffic flows',
    async function () {
      if (reason) this.skip();
      swanctl(['--terminate', '--ike', 'agg']);
      for (let i = 0; i < 100 && host!.sad.dump().some((sa) => formatAddr(sa.src) === OUT_AGG); i++) await sleep(50);
      try {
        await promisify(execFile)(
          'ip',
          ['netns', 'exec', NS, SWANCTL, '--initiate', '--child', 'agg-net', '--timeout', '20', '--uri', uri()],
          { env: env() },
        );
      } catch {
        assert.fail(`swanctl --initiate failed\n${diag()}`);
      }
      // racoon answered an aggressive mode phase 1 from charon's second address.
      const answered = [...racoon!.ph1s.values()].filter(
        (p) =>
          p.side === 'responder' &&
          p.etype === C.ISAKMP_ETYPE_AGG &&
          p.state === 'established' &&
          formatAddr(p.remote.addr) === OUT_AGG,
      );
      assert.equal(answered.length, 1, diag());
      assert.equal(await pingInner(IN_AGG), 1, diag());
    },
  );
});
