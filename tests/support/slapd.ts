// OpenLDAP's slapd (Debian's slapd package) as the independent directory of the XAuth LDAP tests: a
// slapd.conf and an LDIF written to a temporary directory, loaded with slapadd, served in the foreground on
// 127.0.0.1 — at a free port on loopback, or inside a test's own network namespace.
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export const LDAP_SUFFIX = 'dc=example,dc=org';
export const LDAP_PEOPLE = `ou=people,${LDAP_SUFFIX}`;
export const LDAP_ADMIN = `cn=admin,${LDAP_SUFFIX}`;

export interface LdapUser {
  uid: string;
  password: string;
  /** ipHostNumber (nis.schema ipHost): the address a test reads with attr_addr. */
  address?: string;
}

/** Why slapd cannot run here, or undefined. */
export function slapdSkipReason(): string | undefined {
  for (const b of ['/usr/sbin/slapd', '/usr/sbin/slapadd'])
    if (!existsSync(b)) return 'slapd not installed (apt-get install slapd)';
  if (!existsSync('/usr/lib/ldap/back_mdb.so')) return 'slapd back_mdb module missing';
  return undefined;
}

function ldif(users: LdapUser[], groups: Record<string, string[]>): string {
  const out = [
    `dn: ${LDAP_SUFFIX}\nobjectClass: dcObject\nobjectClass: organization\no: Example\ndc: example\n`,
    `dn: ${LDAP_PEOPLE}\nobjectClass: organizationalUnit\nou: people\n`,
    `dn: ou=groups,${LDAP_SUFFIX}\nobjectClass: organizationalUnit\nou: groups\n`,
  ];
  for (const u of users) {
    const host = u.address ? `objectClass: ipHost\nipHostNumber: ${u.address}\n` : '';
    out.push(
      `dn: uid=${u.uid},${LDAP_PEOPLE}\nobjectClass: inetOrgPerson\n${host}uid: ${u.uid}\ncn: ${u.uid}\n` +
        `sn: ${u.uid}\nuserPassword: ${u.password}\n`,
    );
  }
  for (const [g, members] of Object.entries(groups))
    out.push(
      `dn: cn=${g},ou=groups,${LDAP_SUFFIX}\nobjectClass: groupOfNames\ncn: ${g}\n` +
        members.map((m) => `member: uid=${m},${LDAP_PEOPLE}\n`).join(''),
    );
  return out.join('\n');
}

/** A slapd with the users and groups given; the admin (rootdn) password is `adminPw`. */
export class Slapd {
  readonly dir: string;
  private child?: ChildProcess;
  out = '';

  constructor(
    readonly port: number,
    readonly adminPw: string,
    users: LdapUser[],
    groups: Record<string, string[]> = {},
  ) {
    this.dir = mkdtempSync(join(tmpdir(), 'uipsec-slapd-'));
    mkdirSync(join(this.dir, 'db'));
    const conf = [
      ...['core', 'cosine', 'inetorgperson', 'nis'].map((s) => `include /etc/ldap/schema/${s}.schema`),
      `pidfile ${this.dir}/slapd.pid`,
      'modulepath /usr/lib/ldap',
      'moduleload back_mdb',
      'database mdb',
      'maxsize 10485760',
      `suffix "${LDAP_SUFFIX}"`,
      `rootdn "${LDAP_ADMIN}"`,
      `rootpw ${adminPw}`,
      `directory ${this.dir}/db`,
      'access to attrs=userPassword by anonymous auth by * none',
      'access to * by * read',
    ].join('\n');
    writeFileSync(join(this.dir, 'slapd.conf'), conf + '\n', { mode: 0o600 });
    writeFileSync(join(this.dir, 'data.ldif'), ldif(users, groups), { mode: 0o600 });
    const r = spawnSync('slapadd', ['-f', join(this.dir, 'slapd.conf'), '-l', join(this.dir, 'data.ldif')], {
      encoding: 'utf8',
      timeout: 30_000,
    });
    if (r.status !== 0) throw new Error(`slapadd: ${r.stderr}`);
  }

  /** Starts it (inside `ns` when given) and waits, bounded, until it accepts connections. */
  async start(ns?: string): Promise<void> {
    const cmd = ['slapd', '-f', join(this.dir, 'slapd.conf'), '-h', `ldap://127.0.0.1:${this.port}/`, '-d', '0'];
    const [bin, ...args] = ns ? ['ip', 'netns', 'exec', ns, ...cmd] : cmd;
    const child = spawn(bin!, args, { stdio: ['ignore', 'pipe', 'pipe'] });
    this.child = child;
    child.stdout.on('data', (d: Buffer) => (this.out += d.toString()));
    child.stderr.on('data', (d: Buffer) => (this.out += d.toString()));
    const probe = ['ldapsearch', '-x', '-H', `ldap://127.0.0.1:${this.port}`, '-b', LDAP_SUFFIX, '-s', 'base', 'dn'];
    for (let i = 0; i < 50; i++) {
      if (child.exitCode !== null) break;
      const [pb, ...pa] = ns ? ['ip', 'netns', 'exec', ns, ...probe] : probe;
      if (spawnSync(pb!, pa, { timeout: 5000 }).status === 0) return;
      await new Promise((r) => setTimeout(r, 100));
    }
    await this.stop();
    throw new Error(`slapd did not start:\n${this.out}`);
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
