// The strongSwan side of interop tests: one charon (strongSwan 5.9, Debian) per network namespace, ESP in
// userland through kernel-libipsec, configured with swanctl over its own VICI socket. Shared by every interop
// test (IKEv1 PSK/certificates/aggressive mode, DPD, fragmentation, NAT, IKEv2) and by bench/dataplane.
//
//   const why = strongswanSkipReason() ?? iperfSkipReason();   // put it in the test title and this.skip()
//   const net = makeInteropNet('v1psk', { clients: true });   // namespaces uipsec-v1psk-<pid>-u/-s(-cu/-cs)
//   const charon = await Charon.start({ ns: net.s, logLevels: { ike: 2 } });
//   await charon.load({
//     connections: [{ name: 'gw', version: 1, localAddrs: [net.addrS], remoteAddrs: [net.addrU],
//       local: { auth: 'psk', id: net.addrS }, remote: { auth: 'psk', id: net.addrU },
//       children: [{ name: 'net', localTs: [net.innerNetS], remoteTs: [net.innerNetU] }] }],
//     secrets: [{ type: 'ike', ids: [net.addrU, net.addrS], secret: 'xyz' }] });
//   const node = await UipsecNode.start({ ns: net.u, dir, setkey: tunnelPolicies(net),
//     racoon: { conf: `remote ${net.addrS} { ... }\nsainfo anonymous { ... }`, psk: `${net.addrS}\txyz\n` } });
//   const r = await charon.initiate({ child: 'net' });         // { ok, code, out }: never throws
//   const sas = await charon.listSas();                        // sas[0].state, sas[0].children[0].packetsIn ...
//   await charon.waitLog(/CHILD_SA net\{\d+\} established/);
//   await runIperf({ serverNs: net.hostS, serverAddr: net.innerS, clientNs: net.hostU, clientAddr: net.innerU });
//   // after(): await node.stop(); await charon.stop(); net.destroy();   (bounded, idempotent, also at exit)
//
// The uipsec side (uipsecd --tun and racoon as the docs start them) is tests/support/uipsec-node.ts; the
// topology (namespaces, veth, inner addresses, cleanup at exit) tests/support/interop-net.ts; tshark on a veth
// tests/support/capture.ts; iperf3 tests/support/iperf.ts. What kernel-libipsec can do here: tunnel mode, ESP
// only, always in UDP (`encap = yes`, the default of swanctlConf); AES-CBC with HMAC-SHA1/SHA2/MD5/XCBC and
// MODP groups with CHARON_PLUGINS, plus ECP, 3DES, AES-GCM, ChaCha20-Poly1305 and Curve25519 with
// CHARON_SUITE_PLUGINS (Debian's libstrongswan-standard-plugins and -extra-plugins); inner
// addresses must differ from the IKE addresses. Each instance gets a private /run (`unshare -m` + tmpfs:
// charon's pid file path is fixed) and its own directory holding strongswan.conf, swanctl/ (SWANCTL_DIR:
// x509/, x509ca/, private/, ... — copy certificates and keys there, or name absolute paths), the VICI socket
// and charon.log. Log level 4 on `ike`/`chd` writes the derived keys to charon.log (for tshark decryption).
import { execFile, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { NsProc } from '../os/netns.js';
import { onExitCleanup, procCpuSeconds } from './interop-net.js';
import {
  CHARON_PLUGINS,
  parseListSas,
  strongswanConf,
  swanctlConf,
  type SwanctlConf,
  type SwanIkeSa,
  type SwanLogGroup,
} from './swanctl-conf.js';

export * from './swanctl-conf.js';

export const CHARON = '/usr/lib/ipsec/charon';
export const SWANCTL = '/usr/sbin/swanctl';
const LIBIPSEC = '/usr/lib/ipsec/plugins/libstrongswan-kernel-libipsec.so';
const KDF = '/usr/lib/ipsec/plugins/libstrongswan-kdf.so';
const SWANCTL_SUBDIRS = ['x509', 'x509ca', 'x509crl', 'x509aa', 'x509ac', 'x509ocsp', 'pubkey', 'private'];
const SWANCTL_KEY_SUBDIRS = ['rsa', 'ecdsa', 'bliss', 'pkcs8', 'pkcs12'];

/** Why charon cannot run here (say it in the skipped test's title), or undefined. */
export function strongswanSkipReason(): string | undefined {
  if (process.platform !== 'linux') return 'needs Linux (network namespaces, TUN)';
  if (process.getuid?.() !== 0) return 'needs root (network namespaces, TUN devices)';
  if (!existsSync(CHARON) || !existsSync(SWANCTL))
    return 'strongSwan is not installed (apt: strongswan strongswan-swanctl strongswan-charon)';
  if (!existsSync(LIBIPSEC)) return 'kernel-libipsec plugin missing (apt: libcharon-extra-plugins)';
  if (!existsSync(KDF)) return 'strongSwan kdf plugin missing (needed for IKEv1)';
  if (!existsSync('/dev/net/tun')) return 'no /dev/net/tun (libipsec and uipsecd --tun need it)';
  for (const t of [
    ['ip', '-V'],
    ['unshare', '--version'],
  ] as const) {
    if (spawnSync(t[0], [t[1]]).error) return `${t[0]} not installed`;
  }
  return undefined;
}

export interface CharonOptions {
  /** The network namespace charon runs in (one instance per namespace: libipsec's TUN is `ipsec0`). */
  ns: string;
  /** Working directory; made under the system tmpdir when absent, and then removed by stop(). */
  dir?: string;
  label?: string;
  /** Plugins to load; default CHARON_PLUGINS. */
  plugins?: string[];
  /** Log levels per subsystem (default 1; `{ ike: 2, knl: 2 }` shows the exchanges and the routes). */
  logLevels?: Partial<Record<SwanLogGroup | 'default', number>>;
  /** Raw lines inside `charon { }` of strongswan.conf (`retransmit_tries = 2`, `fragment_size = 576`...). */
  charonSettings?: string;
  /** Bound on the start (the VICI socket appearing); default 30 s. */
  startMs?: number;
}

/** The outcome of one swanctl command. */
export interface SwanctlResult {
  ok: boolean;
  code: number | null;
  out: string;
}

/** One charon process in a namespace, controlled with swanctl. */
export class Charon {
  private stopped = false;
  private readonly forget: () => void;

  private constructor(
    readonly ns: string,
    /** Holds strongswan.conf, swanctl/ (SWANCTL_DIR), charon.vici and charon.log. */
    readonly dir: string,
    private readonly ownDir: boolean,
    readonly proc: NsProc,
  ) {
    this.forget = onExitCleanup(() => proc.child.kill('SIGKILL'));
  }

  /** Starts charon in `o.ns` with a private /run and waits (bounded) for its VICI socket. */
  static async start(o: CharonOptions): Promise<Charon> {
    const ownDir = o.dir === undefined;
    const dir = o.dir ?? mkdtempSync(join(tmpdir(), 'uipsec-charon-'));
    for (const d of [...SWANCTL_SUBDIRS, ...SWANCTL_KEY_SUBDIRS])
      mkdirSync(join(dir, 'swanctl', d), { recursive: true });
    const conf = strongswanConf({
      plugins: o.plugins ?? CHARON_PLUGINS,
      logFile: join(dir, 'charon.log'),
      logLevels: o.logLevels ?? { ike: 2, knl: 2, cfg: 2 },
      viciSocket: join(dir, 'charon.vici'),
      charonSettings: o.charonSettings,
    });
    writeFileSync(join(dir, 'strongswan.conf'), conf);
    // `ip netns exec`, `unshare` and `sh -c '... && exec'` each exec: the child's pid is charon's.
    const cmd = `mount -t tmpfs uipsec-run /run && exec env STRONGSWAN_CONF='${join(dir, 'strongswan.conf')}' ${CHARON}`;
    const proc = new NsProc(o.label ?? `charon ${o.ns}`, o.ns, ['unshare', '-m', 'sh', '-c', cmd]);
    const c = new Charon(o.ns, dir, ownDir, proc);
    const end = Date.now() + (o.startMs ?? 30_000);
    while (!existsSync(join(dir, 'charon.vici'))) {
      if (!proc.running || Date.now() > end) {
        const why = proc.running ? 'no VICI socket in time' : 'charon exited';
        await c.stop();
        throw new Error(`${why}:\n${proc.out.slice(-2000)}\n${c.log().slice(-2000)}`);
      }
      await new Promise((r) => setTimeout(r, 50));
    }
    return c;
  }

  /** charon's pid (for /proc/<pid>/stat). */
  get pid(): number {
    return this.proc.child.pid ?? -1;
  }

  get swanctlDir(): string {
    return join(this.dir, 'swanctl');
  }

  /** Runs swanctl against this instance (from the root namespace: VICI is a Unix socket), bounded. */
  swanctl(args: string[], timeoutMs = 60_000): Promise<SwanctlResult> {
    const env = {
      ...process.env,
      STRONGSWAN_CONF: join(this.dir, 'strongswan.conf'),
      SWANCTL_DIR: this.swanctlDir,
    };
    const full = [...args, '--uri', `unix://${join(this.dir, 'charon.vici')}`];
    return new Promise((resolve) => {
      execFile(SWANCTL, full, { env, timeout: timeoutMs, maxBuffer: 8 << 20 }, (err, stdout, stderr) => {
        const code = err ? (typeof err.code === 'number' ? err.code : null) : 0;
        resolve({ ok: !err, code, out: `${stdout}${stderr}` });
      });
    });
  }

  /** Writes swanctl/swanctl.conf (from an object or as text) and loads everything (`--load-all`); throws on failure. */
  async load(conf: SwanctlConf | string): Promise<string> {
    writeFileSync(join(this.swanctlDir, 'swanctl.conf'), typeof conf === 'string' ? conf : swanctlConf(conf));
    const r = await this.swanctl(['--load-all', '--noprompt']);
    if (!r.ok || /failed|error/i.test(r.out.replace(/^opening directory.*$/gm, '')))
      throw new Error(`swanctl --load-all failed:\n${r.out}\n${this.log().slice(-2000)}`);
    return r.out;
  }

  /** `swanctl --initiate` of a child (with its IKE_SA) or of an IKE_SA alone; resolves when swanctl returns. */
  initiate(o: { child?: string; ike?: string; timeoutSec?: number }): Promise<SwanctlResult> {
    const t = o.timeoutSec ?? 30;
    const what = o.child !== undefined ? ['--child', o.child] : [];
    if (o.ike !== undefined) what.push('--ike', o.ike);
    return this.swanctl(['--initiate', ...what, '--timeout', String(t)], (t + 10) * 1000);
  }

  /** `swanctl --terminate` of an IKE_SA (with its children) or a child, by name or unique id. */
  terminate(o: {
    ike?: string;
    child?: string;
    ikeId?: number;
    childId?: number;
    timeoutSec?: number;
  }): Promise<SwanctlResult> {
    const t = o.timeoutSec ?? 10;
    const a: string[] = [];
    if (o.ike !== undefined) a.push('--ike', o.ike);
    if (o.child !== undefined) a.push('--child', o.child);
    if (o.ikeId !== undefined) a.push('--ike-id', String(o.ikeId));
    if (o.childId !== undefined) a.push('--child-id', String(o.childId));
    return this.swanctl(['--terminate', ...a, '--timeout', String(t)], (t + 10) * 1000);
  }

  /** The IKE_SAs and CHILD_SAs charon holds now (`swanctl --list-sas`, parsed). */
  async listSas(): Promise<SwanIkeSa[]> {
    const r = await this.swanctl(['--list-sas', '--pretty']);
    if (!r.ok) throw new Error(`swanctl --list-sas failed: ${r.out}`);
    return parseListSas(r.out);
  }

  /** Polls listSas() until `pred` holds (every 250 ms, at most `ms`); returns the last listing, or throws. */
  async waitSas(pred: (sas: SwanIkeSa[]) => boolean, ms = 30_000): Promise<SwanIkeSa[]> {
    const end = Date.now() + ms;
    for (;;) {
      const sas = await this.listSas();
      if (pred(sas)) return sas;
      if (Date.now() > end) throw new Error(`charon: SAs not as expected within ${ms} ms: ${JSON.stringify(sas)}`);
      await new Promise((r) => setTimeout(r, 250));
    }
  }

  /** The whole charon.log so far ('' before the first line). */
  log(): string {
    const f = join(this.dir, 'charon.log');
    return existsSync(f) ? readFileSync(f, 'utf8') : '';
  }

  /** Waits until charon.log matches (polled every 100 ms, at most `ms`); throws with the log's tail otherwise. */
  async waitLog(re: RegExp, ms = 30_000): Promise<void> {
    const end = Date.now() + ms;
    while (!re.test(this.log())) {
      if (!this.proc.running) throw new Error(`charon ended before logging ${re}:\n${this.log().slice(-3000)}`);
      if (Date.now() > end) throw new Error(`charon: no ${re} within ${ms} ms:\n${this.log().slice(-3000)}`);
      await new Promise((r) => setTimeout(r, 100));
    }
  }

  /** User + system CPU seconds charon has used so far (/proc/<pid>/stat). */
  cpuSeconds(): number {
    return procCpuSeconds(this.pid);
  }

  /** SIGTERM (SIGKILL after 10 s), then the directory if start() made it. Idempotent. */
  async stop(): Promise<void> {
    if (this.stopped) return;
    this.stopped = true;
    await this.proc.stop('SIGTERM', 10_000);
    this.forget();
    if (this.ownDir) rmSync(this.dir, { recursive: true, force: true });
  }
}
