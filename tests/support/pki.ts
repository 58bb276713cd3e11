// A throwaway PKI made with the `openssl` command at test time (CAs, intermediates, hosts, CRLs, revocations)
// in a temporary directory; nothing generated is committed. `openssl ca` is used so that start and end dates
// can be chosen, and so that revocation lists come from an independent implementation.
import { execFileSync, spawnSync } from 'node:child_process';
import { chmodSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync, copyFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export function opensslAvailable(): boolean {
  return spawnSync('openssl', ['version'], { encoding: 'utf8' }).status === 0;
}

/** `rsa:2048`, `rsa:3072`, `rsa-pss:2048` (an id-RSASSA-PSS key), `ec:P-256`, `ec:P-384`, `ed25519`. */
export type KeySpec = string;

export interface IssueOptions {
  key?: KeySpec;
  subj: string;
  /** The issuing CA's name; omitted = self-signed. */
  issuer?: string;
  /** openssl ca dates, YYYYMMDDHHMMSSZ. */
  start?: string;
  end?: string;
  /** Extension lines (openssl x509v3_config), e.g. `basicConstraints=critical,CA:TRUE`. */
  ext?: string[];
  /** Make this a CA with its own database (for issuing and CRLs). */
  ca?: boolean;
}

export interface Issued {
  name: string;
  cert: string;
  key: string;
}

const CA_CNF = (dir: string): string => `
[ ca ]
default_ca = CA_default
[ CA_default ]
dir = ${dir}
database = $dir/index.txt
new_certs_dir = $dir/newcerts
serial = $dir/serial
crlnumber = $dir/crlnumber
default_md = sha256
policy = policy_any
unique_subject = no
copy_extensions = none
default_crl_days = 10000
[ policy_any ]
countryName = optional
stateOrProvinceName = optional
localityName = optional
organizationName = optional
organizationalUnitName = optional
commonName = optional
emailAddress = optional
`;

let serialBase = 0x1000;

export class TestPki {
  readonly dir: string;
  private issued = new Map<string, Issued>();

  constructor() {
    this.dir = mkdtempSync(join(tmpdir(), 'uipsec-pki-'));
  }

  run(args: string[], input?: string): string {
    return execFileSync('openssl', args, { cwd: this.dir, encoding: 'utf8', input, stdio: ['pipe', 'pipe', 'pipe'] });
  }

  path(name: string): string {
    return join(this.dir, name);
  }

  get(name: string): Issued {
    const i = this.issued.get(name);
    if (!i) throw new Error(`no certificate ${name}`);
    return i;
  }

  genKey(file: string, spec: KeySpec): void {
    const [alg, p] = spec.split(':');
    const opts =
      alg === 'rsa' || alg === 'rsa-pss'
        ? ['-algorithm', alg.toUpperCase(), '-pkeyopt', `rsa_keygen_bits:${p}`]
        : alg === 'ec'
          ? ['-algorithm', 'EC', '-pkeyopt', `ec_paramgen_curve:${p}`]
          : ['-algorithm', spec.toUpperCase()];
    this.run(['genpkey', ...opts, '-out', file]);
  }

  private caDir(name: string): string {
    return this.path(`ca-${name}`);
  }

  private makeDb(name: string): void {
    const d = this.caDir(name);
    mkdirSync(join(d, 'newcerts'), { recursive: true });
    writeFileSync(join(d, 'index.txt'), '');
    writeFileSync(join(d, 'serial'), (serialBase += 0x100).toString(16).padStart(6, '0') + '\n');
    writeFileSync(join(d, 'crlnumber'), '01\n');
    writeFileSync(join(d, 'ca.cnf'), CA_CNF(d));
  }

  /** Issues a certificate (and its key) named `name` with `openssl ca`. */
  issue(name: string, o: IssueOptions): Issued {
    const key = this.path(`${name}.key`);
    const cert = this.path(`${name}.pem`);
    const csr = this.path(`${name}.csr`);
    this.genKey(key, o.key ?? 'ec:P-256');
    this.run(['req', '-new', '-key', key, '-subj', o.subj, '-out', csr, '-utf8']);
    if (o.ca || !o.issuer) this.makeDb(name);
    const signer = o.issuer ?? name;
    const ext = this.path(`${name}.ext`);
    writeFileSync(ext, `[ext]\n${(o.ext ?? []).join('\n')}\n`);
    const cnf = join(this.caDir(signer), 'ca.cnf');
    const args = ['ca', '-batch', '-config', cnf, '-in', csr, '-out', cert, '-notext', '-preserveDN', '-utf8'];
    args.push('-startdate', o.start ?? '20200101000000Z', '-enddate', o.end ?? '20391231000000Z');
    args.push('-extfile', ext, '-extensions', 'ext');
    if (o.issuer) args.push('-cert', this.get(o.issuer).cert, '-keyfile', this.get(o.issuer).key);
    else args.push('-selfsign', '-keyfile', key);
    this.run(args);
    const i = { name, cert, key };
    this.issued.set(name, i);
    return i;
  }

  /** Revokes `name` in its issuer's database. */
  revoke(issuer: string, name: string, reason = 'keyCompromise'): void {
    const c = this.get(issuer);
    const cnf = join(this.caDir(issuer), 'ca.cnf');
    this.run([
      'ca',
      '-config',
      cnf,
      '-cert',
      c.cert,
      '-keyfile',
      c.key,
      '-revoke',
      this.get(name).cert,
      '-crl_reason',
      reason,
    ]);
  }

  /** Writes the CA's current CRL (PEM) and returns its path. */
  crl(issuer: string, file: string, validity: string[] = ['-crldays', '10000']): string {
    const c = this.get(issuer);
    const cnf = join(this.caDir(issuer), 'ca.cnf');
    const out = this.path(file);
    this.run(['ca', '-gencrl', '-config', cnf, '-cert', c.cert, '-keyfile', c.key, '-out', out, ...validity]);
    return out;
  }

  /** A hashed directory (`openssl rehash`) holding copies of `files`. */
  hashDir(dirName: string, files: string[]): string {
    const d = this.path(dirName);
    rmSync(d, { recursive: true, force: true });
    mkdirSync(d);
    for (const f of files) copyFileSync(f, join(d, f.split('/').pop()!));
    this.run(['rehash', d]);
    return d;
  }

  /** Concatenates files into one (a CA bundle or an untrusted list). */
  bundle(file: string, files: string[]): string {
    const out = this.path(file);
    writeFileSync(out, files.map((f) => readFileSync(f, 'utf8')).join(''));
    return out;
  }

  /**
   * `openssl verify` on the same inputs: OK, or its first "error N at D depth lookup: reason" line.
   * `attime` is seconds since the epoch.
   */
  opensslVerify(
    leaf: string,
    o: { capath?: string; cafile?: string; untrusted?: string; attime: number; crlAll?: boolean },
  ) {
    const args = ['verify', '-attime', String(o.attime)];
    if (o.capath) args.push('-CApath', o.capath);
    if (o.cafile) args.push('-CAfile', o.cafile);
    if (!o.cafile) args.push('-no-CAfile');
    args.push('-no-CAstore');
    if (!o.capath) args.push('-no-CApath');
    if (o.untrusted) args.push('-untrusted', o.untrusted);
    if (o.crlAll) args.push('-crl_check_all');
    args.push(leaf);
    const r = spawnSync('openssl', args, { cwd: this.dir, encoding: 'utf8' });
    const m = /error (\d+) at (\d+) depth lookup: (.*)/.exec(r.stdout + r.stderr);
    if (r.status === 0 && !m) return { ok: true as const };
    if (!m) throw new Error(`openssl verify: ${r.stdout}${r.stderr}`);
    return { ok: false as const, code: Number(m[1]), depth: Number(m[2]), reason: m[3]!.trim() };
  }

  cleanup(): void {
    rmSync(this.dir, { recursive: true, force: true });
  }
}

/** A plainrsa-gen style private key file from `openssl rsa -text`, and its `: PUB 0s...` public line. */
export function plainRsaFromOpenssl(pki: TestPki, keyFile: string): { priv: string; pub: string } {
  const text = pki.run(['rsa', '-in', keyFile, '-noout', '-text']);
  const field = (name: string): string => {
    const m = new RegExp(`^${name}:\\s*\\n((?:\\s+[0-9a-f:]+\\n)+)`, 'm').exec(text);
    if (m) return m[1]!.replace(/[\s:]/g, '').replace(/^00(?=[89a-f])/, '');
    const one = new RegExp(`^${name}: (\\d+)`, 'm').exec(text);
    return BigInt(one![1]!).toString(16);
  };
  const n = field('modulus');
  const e = field('publicExponent');
  const eb = Buffer.from(e.length % 2 ? '0' + e : e, 'hex');
  const pub = '0s' + Buffer.concat([Buffer.from([eb.length]), eb, Buffer.from(n, 'hex')]).toString('base64');
  const lines = [
    ['Modulus', 'modulus'],
    ['PublicExponent', 'publicExponent'],
    ['PrivateExponent', 'privateExponent'],
    ['Prime1', 'prime1'],
    ['Prime2', 'prime2'],
    ['Exponent1', 'exponent1'],
    ['Exponent2', 'exponent2'],
    ['Coefficient', 'coefficient'],
  ].map(([ours, theirs]) => `\t${ours}: 0x${field(theirs!)}`);
  const priv = [`# : PUB ${pub}`, ': RSA\t{', '\t# RSA 2048 bits', `\t# pubkey=${pub}`, ...lines, '  }', ''].join('\n');
  return { priv, pub };
}

/** Extensions of a CA certificate. */
export const CA_EXT = ['basicConstraints=critical,CA:TRUE', 'keyUsage=critical,keyCertSign,cRLSign'];

/** CRL dates that cover ike-lab's clock (2023) and today. */
export const LAB_CRL_DATES = ['-crl_lastupdate', '20200101000000Z', '-crl_nextupdate', '20391231000000Z'];

/**
 * The exchange tests' PKI: root > inter (RSA-2048, `/C=JP/O=KAME/CN=...`) > each host (its key 0600, as racoon's
 * safefile wants), `revoked` hosts revoked by inter, and `certs/` an `openssl rehash` directory with both CAs
 * and both CRLs.
 */
export function kamePki(hosts: ReadonlyArray<readonly [string, KeySpec]>, revoked: readonly string[] = []): TestPki {
  const pki = new TestPki();
  pki.issue('root', { key: 'rsa:2048', subj: '/C=JP/O=KAME/CN=root', ext: CA_EXT });
  pki.issue('inter', { key: 'rsa:2048', subj: '/C=JP/O=KAME/CN=inter', issuer: 'root', ca: true, ext: CA_EXT });
  for (const [h, key] of hosts) {
    pki.issue(h, { key, subj: `/C=JP/O=KAME/CN=${h}`, issuer: 'inter' });
    chmodSync(pki.get(h).key, 0o600);
  }
  for (const h of revoked) pki.revoke('inter', h);
  const crls = [pki.crl('root', 'root.crl', LAB_CRL_DATES), pki.crl('inter', 'inter.crl', LAB_CRL_DATES)];
  pki.hashDir('certs', [pki.get('root').cert, pki.get('inter').cert, ...crls]);
  return pki;
}
