// Certificate chain verifications per second, as an IKE responder does one per negotiation: the peer's
// certificate (and intermediate) arrive as DER, the trust store (root, CRLs) is already loaded. Compared in the
// same run with Node's own crypto.X509Certificate (parse + checkIssued + verify: the baseline), node-forge's
// verifyCertificateChain (already a dependency; RSA only), and the floor of the signature checks alone.
// Chains: RSA-2048 root > intermediate > host, and ECDSA P-256 root > host, made by `openssl` at start.
import { X509Certificate, verify } from 'node:crypto';
import { readFileSync } from 'node:fs';
import forge from 'node-forge';
import { decodeCrl } from '../racoon/cert/crl.js';
import { SIGNATURE_ALGORITHMS } from '../racoon/cert/oid.js';
import { readPemBlocks } from '../racoon/cert/pem.js';
import { CertStore } from '../racoon/cert/store.js';
import { verifyCertificate } from '../racoon/cert/verify.js';
import { decodeCertificate, publicKeyOf } from '../racoon/cert/x509.js';
import { TestPki, opensslAvailable } from '../tests/support/pki.js';
import { compare, fmtRate, measure, loadNow, writeBenchJson, type BenchChart } from './harness.js';

function makeChains(pki: TestPki): Record<string, string[]> {
  const ca = ['basicConstraints=critical,CA:TRUE', 'keyUsage=critical,keyCertSign,cRLSign'];
  pki.issue('root', { key: 'rsa:2048', subj: '/C=JP/O=KAME/CN=Bench Root', ext: ca, ca: true });
  pki.issue('int', { key: 'rsa:2048', subj: '/C=JP/O=KAME/CN=Bench Int', issuer: 'root', ext: ca, ca: true });
  pki.issue('host', { key: 'rsa:2048', subj: '/C=JP/O=KAME/CN=host', issuer: 'int', ext: ['subjectAltName=DNS:host'] });
  pki.issue('eroot', { key: 'ec:P-256', subj: '/CN=Bench EC Root', ext: ca, ca: true });
  pki.issue('ehost', { key: 'ec:P-256', subj: '/CN=ehost', issuer: 'eroot' });
  pki.crl('root', 'root.crl');
  pki.crl('int', 'int.crl');
  pki.crl('eroot', 'eroot.crl');
  const f = (n: string) => pki.get(n).cert;
  return {
    'RSA-2048, 3 certificates': [f('host'), f('int'), f('root')],
    'ECDSA P-256, 2 certificates': [f('ehost'), f('eroot')],
  };
}

export default function run(): void {
  if (!opensslAvailable()) {
    console.log('skipped: openssl not installed');
    return;
  }
  const load0 = loadNow();
  const series = ['Node X509Certificate (baseline)', 'racoon/cert with CRLs', 'signature checks alone', 'node-forge'];
  const rows: BenchChart['rows'] = [];
  const pki = new TestPki();
  try {
    const chains = makeChains(pki);
    const now = Date.UTC(2030, 0, 1);
    for (const [label, files] of Object.entries(chains)) {
      const ders = files.map((f) => new Uint8Array(readPemBlocks(readFileSync(f, 'utf8'))[0]!.der));
      const root = decodeCertificate(ders[ders.length - 1]!);
      const store = new CertStore();
      store.addCertificate(root);
      const crlNames = label.startsWith('RSA') ? ['root.crl', 'int.crl'] : ['eroot.crl'];
      for (const n of crlNames) store.addCrl(decodeCrl(readPemBlocks(readFileSync(pki.path(n), 'utf8'))[0]!.der));
      const peer = ders.slice(0, -1);
      const ours = (): void => {
        const [leaf, ...inter] = peer.map((d) => decodeCertificate(d));
        verifyCertificate(leaf!, store, { now, untrusted: inter });
      };
      const nodeRoot = new X509Certificate(ders[ders.length - 1]!);
      const baseline = (): void => {
        const c = [...peer.map((d) => new X509Certificate(d)), nodeRoot];
        for (let i = 0; i + 1 < c.length; i++)
          if (!c[i]!.checkIssued(c[i + 1]!) || !c[i]!.verify(c[i + 1]!.publicKey)) throw new Error('baseline');
      };
      const parsed = peer.map((d) => decodeCertificate(d));
      const keys = [...parsed.slice(1), root].map((c) => publicKeyOf(c));
      const floor = (): void => {
        parsed.forEach((c, i) => {
          if (!verify(SIGNATURE_ALGORITHMS.get(c.sigAlg.oid)!.digest, c.tbs, keys[i]!, c.signature))
            throw new Error('floor');
        });
      };
      const [a, b] = compare(baseline, ours, 1, 3, 700);
      const fl = measure(floor, 1, 700);
      console.log(`${label}:`);
      console.log(`  Node X509Certificate parse+verify (baseline)  ${fmtRate(a)}`);
      console.log(
        `  racoon/cert verifyCertificate, CRLs checked   ${fmtRate(b)}  (${(b.opsPerSec / a.opsPerSec).toFixed(2)}x baseline)`,
      );
      console.log(
        `  floor: the signature checks alone             ${fmtRate(fl)}  (${(fl.opsPerSec / a.opsPerSec).toFixed(2)}x baseline)`,
      );
      rows.push({ label, values: [a.opsPerSec, b.opsPerSec, fl.opsPerSec, null] });
      if (label.startsWith('RSA')) {
        const pems = files.map((f) => readFileSync(f, 'utf8'));
        const caStore = forge.pki.createCaStore([forge.pki.certificateFromPem(pems[pems.length - 1]!)]);
        const viaForge = (): void => {
          const c = pems.slice(0, -1).map((p) => forge.pki.certificateFromPem(p));
          if (!forge.pki.verifyCertificateChain(caStore, c)) throw new Error('forge');
        };
        const fr = measure(viaForge, 1, 1500);
        console.log(
          `  node-forge verifyCertificateChain             ${fmtRate(fr)}  (${(fr.opsPerSec / a.opsPerSec).toFixed(2)}x baseline)`,
        );
        rows[rows.length - 1]!.values[3] = fr.opsPerSec;
      }
    }
    const title = 'Certificate chain verifications, as an IKE responder does one per negotiation';
    const unit = 'chains verified per second, higher is better';
    writeBenchJson('cert', [{ title, unit, series, rows, note: 'node-forge: RSA only' }], { loadStart: load0 });
  } finally {
    pki.cleanup();
  }
}
