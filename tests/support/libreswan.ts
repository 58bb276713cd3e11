// Libreswan's pluto (4.10, Debian) as a second independent IKEv2 implementation for interop tests. Its package
// conflicts with strongSwan's, so .ci/run unpacks the .deb with `dpkg -x` into LIBRESWAN_ROOT instead of
// installing it. pluto runs in a network namespace inside its own mount namespace, where the unpacked
// usr/libexec is bound over /usr/libexec (pluto execs its helper `addconn` from that compiled-in path) and /run
// is a tmpfs (its dump directory); every other file (ipsec.conf, ipsec.secrets, the NSS database, the control
// socket) is in the instance's directory. Connections are loaded with `addconn`, driven with `whack`.
//
// pluto installs SAs in the kernel through XFRM netlink: this kernel has XFRM but no ESP (`ip xfrm state add
// ... proto esp` fails: "Requested type not found"), so pluto negotiates fully and then fails to install the
// child's SAs. What a test can show is the negotiation: pluto's log and our own SAD.
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { NsProc } from '../os/netns.js';
import { nsExec, onExitCleanup } from './interop-net.js';

export const LIBRESWAN_ROOT = process.env['UIPSEC_LIBRESWAN_ROOT'] ?? '/opt/uipsec-libreswan';
const LIBEXEC = join(LIBRESWAN_ROOT, 'usr/libexec/ipsec');

/** Why pluto cannot run here (say it in the skipped test's title), or undefined. */
export function libreswanSkipReason(): string | undefined {
  if (process.platform !== 'linux') return 'needs Linux (network namespaces)';
  if (process.getuid?.() !== 0) return 'needs root (network namespaces, mount namespaces)';
  if (!existsSync(join(LIBEXEC, 'pluto')))
    return `Libreswan not unpacked in ${LIBRESWAN_ROOT} (.ci/run: apt-get download libreswan; dpkg -x)`;
  if (spawnSync('certutil', ['-H']).error) return 'certutil not installed (apt: libnss3-tools)';
  const ldd = spawnSync('ldd', [join(LIBEXEC, 'pluto')], { encoding: 'utf8' });
  if (/not found/.test(ldd.stdout ?? ''))
    return `pluto's libraries missing: ${/\S+ => not found/.exec(ldd.stdout)?.[0]}`;
  return undefined;
}

/** One pluto in a namespace; `dir` holds ipsec.conf, ipsec.secrets, nss/, run/pluto.ctl and pluto.log. */
export class Pluto {
  private readonly forget: () => void;

  private constructor(
    readonly ns: string,
    readonly dir: string,
    readonly proc: NsProc,
  ) {
    this.forget = onExitCleanup(() => proc.child.kill('SIGKILL'));
  }

  /** Writes the files, makes an empty NSS database, starts pluto, loads the connections and secrets (bounded). */
  static async start(o: { ns: string; dir: string; conf: string; secrets: string }): Promise<Pluto> {
    mkdirSync(join(o.dir, 'run'), { recursive: true });
    mkdirSync(join(o.dir, 'nss'), { recursive: true });
    writeFileSync(join(o.dir, 'ipsec.conf'), o.conf);
    writeFileSync(join(o.dir, 'ipsec.secrets'), o.secrets, { mode: 0o600 });
    const nss = spawnSync('certutil', ['-N', '-d', `sql:${join(o.dir, 'nss')}`, '--empty-password'], {
      encoding: 'utf8',
      timeout: 30_000,
    });
    if (nss.status !== 0) throw new Error(`certutil -N: ${nss.stderr}`);
    const args = [
      '--nofork',
      '--stderrlog',
      '--no-dnssec',
      ...['--config', join(o.dir, 'ipsec.conf'), '--secretsfile', join(o.dir, 'ipsec.secrets')],
      ...['--rundir', join(o.dir, 'run'), '--nssdir', join(o.dir, 'nss'), '--ipsecdir', o.dir],
    ];
    const sh =
      `mount --bind '${join(LIBRESWAN_ROOT, 'usr/libexec')}' /usr/libexec && mount -t tmpfs uipsec-run /run && ` +
      `mkdir -p /run/pluto && exec '${join(LIBEXEC, 'pluto')}' ${args.map((a) => `'${a}'`).join(' ')}`;
    const p = new Pluto(o.ns, o.dir, new NsProc(`pluto ${o.ns}`, o.ns, ['unshare', '-m', 'sh', '-c', sh]));
    try {
      const end = Date.now() + 30_000;
      while (!existsSync(p.ctl)) {
        if (!p.proc.running || Date.now() > end) throw new Error(`pluto did not start:\n${p.proc.out.slice(-3000)}`);
        await new Promise((r) => setTimeout(r, 100));
      }
      const add = await nsExec(o.ns, [join(LIBEXEC, 'addconn'), '--ctlsocket', p.ctl, '--config', p.conf, '--autoall']);
      if (add.code !== 0) throw new Error(`addconn: ${add.out}${add.err}`);
      const sec = await p.whack(['--rereadsecrets']);
      if (sec.code !== 0) throw new Error(`whack --rereadsecrets: ${sec.out}`);
    } catch (e) {
      await p.stop();
      throw e;
    }
    return p;
  }

  get ctl(): string {
    return join(this.dir, 'run', 'pluto.ctl');
  }

  get conf(): string {
    return join(this.dir, 'ipsec.conf');
  }

  /** `whack --ctlsocket CTL ARGS` in the namespace, bounded. */
  async whack(args: string[], ms = 60_000): Promise<{ code: number | null; out: string }> {
    const r = await nsExec(this.ns, [join(LIBEXEC, 'whack'), '--ctlsocket', this.ctl, ...args], ms);
    return { code: r.code, out: r.out + r.err };
  }

  /** pluto's log so far (stderr). */
  log(): string {
    return this.proc.out;
  }

  /** `whack --showstates`: the IKE and Child SA states pluto holds now. */
  async states(): Promise<string> {
    return (await this.whack(['--showstates'])).out;
  }

  /** SIGTERM, SIGKILL after 10 s. Idempotent. */
  async stop(): Promise<void> {
    await this.proc.stop('SIGTERM', 10_000);
    this.forget();
  }
}
