// What one `remote` section's certificate statements load, as racoon's cfparse.y does at configuration time:
// `certificate_type x509 CERT KEY | plain_rsa KEY`, `ca_type x509 FILE`, `peers_certfile x509 FILE |
// plain_rsa FILE | dnssec`, each file name under `path certificate` unless absolute. Errors are collected
// (one ConfigError per statement, at its line) so that `racoon -C` can report them all.
import type { KeyObject } from 'node:crypto';
import { ConfigError } from '../../common/errors.js';
import { CertLoadError } from './errors.js';
import { loadCertAndKey, loadCertificateFile, nodeKeyFs, resolveCertPath, type KeyFs } from './keys.js';
import { loadPlainRsaFile, type PlainRsaKey } from './plainrsa.js';
import { CertStore } from './store.js';
import type { Certificate } from './x509.js';

export type MyCertSpec =
  { type: 'x509'; cert: string; key: string; line: number } | { type: 'plain_rsa'; key: string; line: number };
export type PeersCertSpec =
  | { type: 'x509'; file: string; line: number }
  | { type: 'plain_rsa'; file: string; line: number }
  | { type: 'dnssec'; line: number };

export interface RemoteCertSpec {
  /** The configuration file, for error positions. */
  file: string;
  /** `path certificate`. */
  certDir?: string;
  certificate?: MyCertSpec;
  ca?: { file: string; line: number };
  peersCert?: PeersCertSpec;
}

export interface RemoteCerts {
  myCert?: { cert: Certificate; chain: Certificate[]; key: KeyObject };
  myPlainRsa?: PlainRsaKey[];
  caCert?: Certificate;
  peersCert?: Certificate;
  peersPlainRsa?: PlainRsaKey[];
  /** The trust store verification uses: `path certificate` as a hashed directory, plus the ca_type file. */
  store: CertStore;
  errors: ConfigError[];
}

function asConfigError(e: unknown, file: string, line: number): ConfigError {
  if (e instanceof ConfigError) return e;
  return new ConfigError(e instanceof CertLoadError || e instanceof Error ? e.message : String(e), file, line);
}

/** Loads the certificates and keys a remote section names; problems become ConfigErrors at their lines. */
export function loadRemoteCerts(spec: RemoteCertSpec, fs: KeyFs = nodeKeyFs): RemoteCerts {
  const out: RemoteCerts = { store: new CertStore(spec.certDir), errors: [] };
  const attempt = (line: number, fn: () => void): void => {
    try {
      fn();
    } catch (e) {
      out.errors.push(asConfigError(e, spec.file, line));
    }
  };
  const c = spec.certificate;
  if (c?.type === 'x509') attempt(c.line, () => (out.myCert = loadCertAndKey(spec.certDir, c.cert, c.key, fs)));
  if (c?.type === 'plain_rsa') {
    attempt(c.line, () => (out.myPlainRsa = loadPlainRsaFile(resolveCertPath(spec.certDir, c.key), true)));
  }
  const ca = spec.ca;
  if (ca) {
    attempt(ca.line, () => {
      const path = resolveCertPath(spec.certDir, ca.file);
      out.caCert = loadCertificateFile(path, fs).cert;
      out.store.addFile(path);
    });
  }
  const p = spec.peersCert;
  if (p?.type === 'x509')
    attempt(p.line, () => (out.peersCert = loadCertificateFile(resolveCertPath(spec.certDir, p.file), fs).cert));
  if (p?.type === 'plain_rsa') {
    attempt(p.line, () => (out.peersPlainRsa = loadPlainRsaFile(resolveCertPath(spec.certDir, p.file), false)));
  }
  if (p?.type === 'dnssec') {
    out.errors.push(
      new ConfigError(
        'peers_certfile dnssec is not supported yet (racoon fetches the peer certificate from DNS CERT records; uipsec has no DNSSEC resolver)',
        spec.file,
        p.line,
      ),
    );
  }
  return out;
}
