// The trust store racoon's eay_check_x509cert builds for each verification: the `ca_type x509` file (and any
// other CA file given) plus `path certificate` read as an OpenSSL hashed directory (X509_LOOKUP_hash_dir):
// `<hash>.<n>` holds certificates and `<hash>.r<n>` CRLs, found by the X509_NAME_hash of the subject/issuer.
// racoon makes a fresh store per negotiation, so a CRL dropped into the directory counts from the next one;
// here files are re-read when their stat changes, which keeps that behaviour without reparsing every time.
import { statSync, type Stats } from 'node:fs';
import { FileReadError, readCertBytes } from '../../common/bounded-file.js';
import { join } from 'node:path';
import { decodeCrls, type Crl } from './crl.js';
import { CertLoadError } from './errors.js';
import { nameEquals, nameHash, type Name } from './name.js';
import { isPem } from './pem.js';
import { decodeCertificates, type Certificate } from './x509.js';

/** Where certificates and CRLs come from during chain building. */
export interface CertSource {
  /** Trusted certificates whose subject is `name`. */
  certsBySubject(name: Name): Certificate[];
  /** CRLs whose issuer is `name`. */
  crlsByIssuer(name: Name): Crl[];
}

/** The filesystem calls the store makes (injectable for tests). */
export interface StoreFs {
  stat(path: string): Pick<Stats, 'mtimeMs' | 'size' | 'ino'> | undefined;
  read(path: string): Uint8Array;
}

export const nodeStoreFs: StoreFs = {
  stat: (p) => statSync(p, { throwIfNoEntry: false }),
  read: readCertBytes, // regular files of at most 16 MiB (issue 11 item 13)
};

/** OpenSSL tries `<hash>.0`, `.1`, ... until one is missing; bounded here. */
export const HASH_DIR_MAX_SUFFIX = 64;

interface Cached<T> {
  key: string;
  items: T[];
}

/** Certificates and CRLs of one PEM file (any mix) or one DER certificate or CRL. */
export function readCertFile(data: Uint8Array, file: string): { certs: Certificate[]; crls: Crl[] } {
  try {
    if (isPem(data)) return { certs: decodeCertificates(data), crls: decodeCrls(data) };
    try {
      return { certs: decodeCertificates(data), crls: [] };
    } catch {
      return { certs: [], crls: decodeCrls(data) };
    }
  } catch (e) {
    throw new CertLoadError(`not a certificate or CRL (${(e as Error).message})`, file);
  }
}

/** A trust store: certificates and CRLs added in memory (CA files) plus an optional hashed directory. */
export class CertStore implements CertSource {
  private certs: Certificate[] = [];
  private crls: Crl[] = [];
  private cache = new Map<string, Cached<Certificate | Crl>>();
  /** Problems met while reading the hashed directory (unreadable or misnamed files); they are skipped. */
  readonly warnings: string[] = [];

  constructor(
    readonly hashDir?: string,
    private readonly fs: StoreFs = nodeStoreFs,
  ) {}

  /** Adds every certificate and CRL of a CA file (X509_LOOKUP_load_file: PEM, several objects). */
  addFile(path: string): void {
    let data: Uint8Array;
    try {
      data = this.fs.read(path);
    } catch (e) {
      const why = e instanceof FileReadError ? e.reason : ((e as NodeJS.ErrnoException).code ?? (e as Error).message);
      throw new CertLoadError(`cannot read: ${why}`, path);
    }
    const { certs, crls } = readCertFile(data, path);
    if (!certs.length && !crls.length) throw new CertLoadError('no certificate or CRL in the file', path);
    this.certs.push(...certs);
    this.crls.push(...crls);
  }

  addCertificate(c: Certificate): void {
    this.certs.push(c);
  }

  addCrl(c: Crl): void {
    this.crls.push(c);
  }

  certsBySubject(name: Name): Certificate[] {
    const fromDir = this.fromDir(name, '', (c: Certificate) => c.subject) as Certificate[];
    return [...this.certs.filter((c) => nameEquals(c.subject, name)), ...fromDir];
  }

  crlsByIssuer(name: Name): Crl[] {
    const fromDir = this.fromDir(name, 'r', (c: Crl) => c.issuer) as Crl[];
    return [...this.crls.filter((c) => nameEquals(c.issuer, name)), ...fromDir];
  }

  private fromDir<T extends Certificate | Crl>(name: Name, kind: '' | 'r', nameOf: (x: T) => Name): T[] {
    if (!this.hashDir) return [];
    const h = nameHash(name);
    const out: T[] = [];
    for (let i = 0; i < HASH_DIR_MAX_SUFFIX; i++) {
      const path = join(this.hashDir, `${h}.${kind}${i}`);
      const items = this.load(path, kind) as T[] | undefined;
      if (!items) break;
      out.push(...items.filter((x) => nameEquals(nameOf(x), name)));
    }
    return out;
  }

  private load(path: string, kind: '' | 'r'): Array<Certificate | Crl> | undefined {
    const st = this.fs.stat(path);
    if (!st) return undefined;
    const key = `${st.mtimeMs}:${st.size}:${st.ino}`;
    const hit = this.cache.get(path);
    if (hit && hit.key === key) return hit.items;
    let items: Array<Certificate | Crl> = [];
    try {
      const r = readCertFile(this.fs.read(path), path);
      items = kind === 'r' ? r.crls : r.certs;
    } catch (e) {
      this.warnings.push(`${path}: ${(e as Error).message}`);
    }
    this.cache.set(path, { key, items });
    return items;
  }
}
