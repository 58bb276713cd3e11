// FreeRADIUS 3 (Debian's freeradius) as the independent RADIUS server of the XAuth tests: a minimal
// configuration written to a temporary directory (one client with the shared secret and
// require_message_authenticator, pap + a users file, accounting to a detail file), started in the foreground on
// 127.0.0.1 — on loopback of the root namespace at a free port, or inside a test's own network namespace.
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync, copyFileSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export interface RadiusUser {
  name: string;
  password: string;
  /** Reply attributes, e.g. 'Framed-IP-Address = 10.77.0.77'. */
  reply?: string[];
}

/** Why FreeRADIUS cannot run here, or undefined. */
export function freeradiusSkipReason(): string | undefined {
  const r = spawnSync('freeradius', ['-v'], { encoding: 'utf8' });
  if (r.error) return 'freeradius not installed (apt-get install freeradius)';
  if (!existsSync('/etc/freeradius/3.0/dictionary')) return 'freeradius 3.0 dictionary missing';
  return undefined;
}

function radiusdConf(dir: string, port: number, secret: string): string {
  return `prefix = /usr
exec_prefix = /usr
sysconfdir = /etc
localstatedir = /var
sbindir = /usr/sbin
logdir = ${dir}/log
raddbdir = ${dir}
radacctdir = ${dir}/acct
name = freeradius
confdir = \${raddbdir}
modconfdir = \${confdir}
run_dir = ${dir}/run
db_dir = \${raddbdir}
libdir = /usr/lib/freeradius
pidfile = \${run_dir}/radiusd.pid
max_request_time = 30
cleanup_delay = 5
max_requests = 1024
hostname_lookups = no
log {
  destination = stdout
  auth = yes
}
security {
  allow_core_dumps = no
  max_attributes = 200
  reject_delay = 0
  status_server = no
}
thread pool {
  start_servers = 1
  max_servers = 2
  min_spare_servers = 1
  max_spare_servers = 2
  max_requests_per_server = 0
}
client uipsec {
  ipaddr = 127.0.0.1
  secret = "${secret}"
  require_message_authenticator = yes
}
modules {
  pap {
  }
  files {
    filename = \${confdir}/users
    acctusersfile = \${confdir}/acct_users
  }
  detail {
    filename = \${radacctdir}/detail
    permissions = 0600
  }
}
server default {
  listen {
    type = auth
    ipaddr = 127.0.0.1
    port = ${port}
  }
  listen {
    type = acct
    ipaddr = 127.0.0.1
    port = ${port + 1}
  }
  authorize {
    files
    pap
  }
  authenticate {
    Auth-Type PAP {
      pap
    }
  }
  accounting {
    detail
  }
}
`;
}

function usersFile(users: RadiusUser[]): string {
  return users
    .map((u) => {
      const reply = (u.reply ?? []).map((r) => `      ${r}`).join(',\n');
      return `${u.name} Cleartext-Password := "${u.password}"\n${reply}\n`;
    })
    .join('\n');
}

/** A FreeRADIUS in the foreground: auth on `port`, accounting on `port + 1`. */
export class FreeRadius {
  readonly dir: string;
  private child?: ChildProcess;
  out = '';

  constructor(
    readonly port: number,
    readonly secret: string,
    users: RadiusUser[],
  ) {
    this.dir = mkdtempSync(join(tmpdir(), 'uipsec-freeradius-'));
    for (const d of ['log', 'run', 'acct']) mkdirSync(join(this.dir, d));
    copyFileSync('/etc/freeradius/3.0/dictionary', join(this.dir, 'dictionary'));
    writeFileSync(join(this.dir, 'radiusd.conf'), radiusdConf(this.dir, port, secret), { mode: 0o600 });
    writeFileSync(join(this.dir, 'users'), usersFile(users), { mode: 0o600 });
    writeFileSync(join(this.dir, 'acct_users'), '');
  }

  /** Starts it (inside `ns` when given) and waits, bounded, for "Ready to process requests". */
  async start(ns?: string): Promise<void> {
    const cmd = ['freeradius', '-f', '-d', this.dir, '-l', 'stdout'];
    const [bin, ...args] = ns ? ['ip', 'netns', 'exec', ns, ...cmd] : cmd;
    const child = spawn(bin!, args, { stdio: ['ignore', 'pipe', 'pipe'] });
    this.child = child;
    child.stdout.on('data', (d: Buffer) => (this.out += d.toString()));
    child.stderr.on('data', (d: Buffer) => (this.out += d.toString()));
    for (let i = 0; i < 100 && !this.out.includes('Ready to process requests'); i++) {
      if (child.exitCode !== null) break;
      await new Promise((r) => setTimeout(r, 100));
    }
    if (!this.out.includes('Ready to process requests')) {
      await this.stop();
      throw new Error(`freeradius did not start:\n${this.out}`);
    }
  }

  /** The accounting detail file (RFC 2866 records as FreeRADIUS writes them). */
  detail(): string {
    const f = join(this.dir, 'acct', 'detail');
    return existsSync(f) ? readFileSync(f, 'utf8') : '';
  }

  async stop(): Promise<void> {
    const c = this.child;
    if (c && c.exitCode === null && c.signalCode === null) {
      const done = new Promise((r) => c.once('exit', r));
      c.kill('SIGTERM');
      const t = setTimeout(() => c.kill('SIGKILL'), 5000);
      await done;
      clearTimeout(t);
    }
    rmSync(this.dir, { recursive: true, force: true });
  }
}
