// Loading what `certificate_type x509 CERTFILE KEYFILE`, `ca_type x509 FILE` and `peers_certfile x509 FILE`
// name (racoon cfparse.y load_x509, crypto_openssl.c eay_get_x509cert / eay_get_pkcs1privkey), with file
// names resolved against `path certificate` (localconf.c getpathname). Keys: PEM or DER, PKCS#8, PKCS#1
// (RSA) or SEC1 (EC); encrypted keys are refused, since racoon reads keys without a passphrase.
import { createPrivateKey, createPublicKey, type KeyObject } from 'node:crypto';
import { statSync } from 'node:fs';
import { FileReadError, readCertBytes } from '../../common/bounded-file.js';
import { isAbsolute, join } from 'node:path';
import type { PskStat } from '../psk.js';
import { checkPskMode } from '../psk.js';
import { CertLoadError } from './errors.js';
import { isPem, readPemBlocks } from './pem.js';
import { decodeCertificates, type Certificate } from './x509.js';

/** The filesystem calls key loading makes (injectable for tests). */
export interface KeyFs {
  read(path: string): Uint8Array;
  stat(path: string): PskStat;
}

export const nodeKeyFs: KeyFs = { read: readCertBytes, stat: (p) => statSync(p) }; // regular, ≤ 16 MiB

/** getpathname: a relative name is looked up under `path certificate`; an absolute one is used as is. */
export function resolveCertPath(certDir: string | undefined, name: string): string {
  if (isAbsolute(name) || !certDir) return name;
  return join(certDir, name);
}

function readFile(fs: KeyFs, path: string): Uint8Array {
  try {
    return fs.read(path);
  } catch (e) {
    const why = e instanceof FileReadError ? e.reason : ((e as NodeJS.ErrnoException).code ?? (e as Error).message);
    throw new CertLoadError(`cannot read: ${why}`, path);
  }
}

/** A certificate file: the first certificate is ours (PEM_read_X509); any others are its chain. */
export interface CertificateFile {
  cert: Certificate;
  chain: Certificate[];
}

export function loadCertificateFile(path: string, fs: KeyFs = nodeKeyFs): CertificateFile {
  let certs: Certificate[];
  try {
    certs = decodeCertificates(readFile(fs, path));
  } catch (e) {
    if (e instanceof CertLoadError) throw e;
    throw new CertLoadError(`not a certificate: ${(e as Error).message}`, path);
  }
  const [cert, ...chain] = certs;
  if (!cert) throw new CertLoadError('no certificate in the file', path);
  return { cert, chain };
}

const ENCRYPTED =
  'encrypted private keys are not supported (racoon reads keys without a passphrase): ' +
  'decrypt it with `openssl pkey -in KEY -out KEY.plain` and keep the result mode 600';

const PEM_KEY_TYPES: Record<string, 'pkcs8' | 'pkcs1' | 'sec1'> = {
  'PRIVATE KEY': 'pkcs8',
  'RSA PRIVATE KEY': 'pkcs1',
  'EC PRIVATE KEY': 'sec1',
};

function keyFromDer(der: Buffer, types: ReadonlyArray<'pkcs8' | 'pkcs1' | 'sec1'>, path: string): KeyObject {
  for (const type of types) {
    try {
      return createPrivateKey({ key: der, format: 'der', type });
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code === 'ERR_MISSING_PASSPHRASE') throw new CertLoadError(ENCRYPTED, path);
    }
  }
  throw new CertLoadError('not a private key (PKCS#8, PKCS#1 RSA or SEC1 EC, PEM or DER)', path);
}

/** Parses private key bytes; the error never includes any of the file's content. */
export function parsePrivateKey(data: Uint8Array, path: string): KeyObject {
  let key: KeyObject;
  if (isPem(data)) {
    const blocks = readPemBlocks(Buffer.from(data).toString('latin1'));
    if (blocks.some((b) => b.label === 'ENCRYPTED PRIVATE KEY' || /ENCRYPTED/.test(b.headers['Proc-Type'] ?? ''))) {
      throw new CertLoadError(ENCRYPTED, path);
    }
    const b = blocks.find((x) => PEM_KEY_TYPES[x.label]);
    if (!b) throw new CertLoadError('no private key block (PRIVATE KEY, RSA PRIVATE KEY or EC PRIVATE KEY)', path);
    key = keyFromDer(Buffer.from(b.der), [PEM_KEY_TYPES[b.label]!], path);
  } else {
    key = keyFromDer(Buffer.from(data), ['pkcs8', 'pkcs1', 'sec1'], path);
  }
  const t = key.asymmetricKeyType;
  // rsa-pss: an RSA key restricted to RSASSA-PSS (RFC 4055), usable with IKEv2's RFC 7427 signatures only.
  if (t !== 'rsa' && t !== 'rsa-pss' && t !== 'ec' && t !== 'ed25519' && t !== 'ed448') {
    throw new CertLoadError(`${t ?? 'unknown'} keys are not supported (RSA, RSA-PSS, ECDSA, EdDSA)`, path);
  }
  return key;
}

/** Reads a private key after racoon's permission check (no group/other access; plainrsa and psk.txt alike). */
export function loadPrivateKey(path: string, fs: KeyFs = nodeKeyFs, myUid = process.getuid?.()): KeyObject {
  let st: PskStat;
  try {
    st = fs.stat(path);
  } catch (e) {
    throw new CertLoadError(`cannot stat: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`, path);
  }
  const bad = checkPskMode(st, path, myUid);
  if (bad) throw new CertLoadError(bad.message.replace(`${path}:0: `, ''), path);
  const data = readFile(fs, path);
  try {
    return parsePrivateKey(data, path);
  } finally {
    data.fill(0);
  }
}

/** True when `key` is the private half of the certificate's public key. */
export function keyMatchesCertificate(key: KeyObject, cert: Certificate): boolean {
  const spki = createPublicKey(key).export({ format: 'der', type: 'spki' });
  return Buffer.compare(spki, Buffer.from(cert.spki)) === 0;
}

/** `certificate_type x509 CERTFILE KEYFILE`: both files, and the key must belong to the certificate. */
export function loadCertAndKey(
  certDir: string | undefined,
  certName: string,
  keyName: string,
  fs: KeyFs = nodeKeyFs,
): CertificateFile & { key: KeyObject } {
  const cf = loadCertificateFile(resolveCertPath(certDir, certName), fs);
  const keyPath = resolveCertPath(certDir, keyName);
  const key = loadPrivateKey(keyPath, fs);
  if (!keyMatchesCertificate(key, cf.cert)) {
    throw new CertLoadError(`the private key does not belong to the certificate ${certName}`, keyPath);
  }
  return { ...cf, key };
}
