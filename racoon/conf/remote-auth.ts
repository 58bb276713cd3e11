// What a remote section's authentication statements load, once per configuration (racoon cfparse.y does it
// while parsing): certificates and keys through the cert library's RemoteCertSpec, our phase 1 identity
// (`my_identifier`, asn1dn from the certificate, keyid files read) and the `peers_identifier` values as
// matchable specs. Every problem is a ConfigError at the statement's line, for `racoon -C` and the start.
import { readFileSync } from 'node:fs';
import type { ConfigError } from '../../common/errors.js';
import { asn1dnSpec, myAsn1dn, type PeerIdSpec } from '../cert/identity.js';
import { loadRemoteCerts, type RemoteCertSpec, type RemoteCerts } from '../cert/remote.js';
import * as C from '../isakmp/constants.js';
import type { IdSpec, RacoonConf, RemoteConf } from './ast.js';
import { configError } from './diagnostic.js';

/** One remote's loaded authentication material. */
export interface RemoteAuth {
  certs: RemoteCerts;
  /** `my_identifier` when it names a value racoon reads at configuration time (asn1dn, keyid); else undefined. */
  myId?: PeerIdSpec;
  /** `peers_identifier` values (address, fqdn, user_fqdn, keyid, asn1dn with wildcards). */
  peerIds: PeerIdSpec[];
  /** A `peers_identifier` without a value (racoon: "No ID specified in configuration, so it is ok"). */
  peerIdAny: boolean;
  errors: ConfigError[];
}

/** The cert library's view of a remote section (`path certificate` resolves relative file names). */
export function remoteCertSpec(rm: RemoteConf, conf: RacoonConf): RemoteCertSpec {
  const c = rm.certificate;
  const p = rm.peersCert;
  return {
    file: rm.pos.file,
    certDir: conf.paths.certificate?.value,
    certificate:
      c?.type === 'x509'
        ? { type: 'x509', cert: c.certFile, key: c.keyFile, line: c.pos.line }
        : c
          ? { type: 'plain_rsa', key: c.keyFile, line: c.pos.line }
          : undefined,
    ca: rm.caFile ? { file: rm.caFile.file, line: rm.caFile.pos.line } : undefined,
    peersCert:
      p?.type === 'dnssec'
        ? { type: 'dnssec', line: p.pos.line }
        : p
          ? { type: p.type, file: p.file, line: p.pos.line }
          : undefined,
  };
}

const text = (s: string) => new Uint8Array(Buffer.from(s, 'latin1'));

/** An identifier statement as an ID (type, data); undefined when it takes its value at negotiation time. */
function idOf(s: IdSpec, readKeyid: (path: string) => Uint8Array): PeerIdSpec | undefined {
  switch (s.type) {
    case 'address':
      if (!s.addr) return undefined;
      return { idType: s.addr.length === 4 ? C.IPSECDOI_ID_IPV4_ADDR : C.IPSECDOI_ID_IPV6_ADDR, data: s.addr };
    case 'fqdn':
      return { idType: C.IPSECDOI_ID_FQDN, data: text(s.value ?? '') };
    case 'user_fqdn':
      return { idType: C.IPSECDOI_ID_USER_FQDN, data: text(s.value ?? '') };
    case 'keyid':
      // ipsec_doi.c set_identifier_qual: `keyid file` (and the unqualified form) sends the file's bytes.
      return {
        idType: C.IPSECDOI_ID_KEY_ID,
        data: s.keyidKind === 'tag' ? text(s.value ?? '') : readKeyid(s.value ?? ''),
      };
    case 'asn1dn':
      return s.value === undefined ? undefined : asn1dnSpec(s.value);
  }
}

function readKeyidFile(path: string): Uint8Array {
  try {
    return new Uint8Array(readFileSync(path));
  } catch (e) {
    throw new Error(`cannot read keyid file ${path}: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`);
  }
}

/** Loads one remote's certificates, keys and identities; errors are collected, never thrown. */
export function loadRemoteAuth(rm: RemoteConf, conf: RacoonConf, readKeyid = readKeyidFile): RemoteAuth {
  const certs = loadRemoteCerts(remoteCertSpec(rm, conf));
  const errors: ConfigError[] = [...certs.errors];
  const attempt = <T>(s: IdSpec, fn: () => T): T | undefined => {
    try {
      return fn();
    } catch (e) {
      errors.push(configError(`${(e as Error).message}`, s.pos.file, s.pos.line, s.pos.col));
      return undefined;
    }
  };
  let myId: PeerIdSpec | undefined;
  const mine = rm.myIdentifier;
  if (mine) myId = attempt(mine, () => idOf(mine, readKeyid));
  if (mine?.type === 'asn1dn' && mine.value === undefined) {
    // cfparse.y process_rmconf: "ASN1 ID not specified and no CERT defined!"
    if (certs.myCert) myId = myAsn1dn(certs.myCert.cert);
    else if (rm.certificate?.type !== 'x509')
      errors.push(
        configError(
          'my_identifier asn1dn without a value needs certificate_type x509 (its subject is sent)',
          mine.pos.file,
          mine.pos.line,
        ),
      );
  }
  const peerIds: PeerIdSpec[] = [];
  let peerIdAny = false;
  for (const s of rm.peersIdentifiers) {
    const id = attempt(s, () => idOf(s, readKeyid));
    // `peers_identifier asn1dn;` without a value: the subject of peers_certfile (racoon: the received one).
    if (id) peerIds.push(id);
    else if (s.type === 'asn1dn' && certs.peersCert) peerIds.push(myAsn1dn(certs.peersCert));
    else if (s.type === 'address' || s.type === 'asn1dn') peerIdAny = true;
  }
  return { certs, myId, peerIds, peerIdAny, errors };
}

/** Whether a remote uses signatures (some proposal says rsasig) or names certificates at all. */
export function remoteUsesCerts(rm: RemoteConf): boolean {
  return (
    rm.certificate !== undefined ||
    rm.caFile !== undefined ||
    rm.peersCert !== undefined ||
    rm.proposals.some((p) => p.authMethod?.id === C.OAKLEY_ATTR_AUTH_METHOD_RSASIG) ||
    rm.myIdentifier?.type === 'asn1dn' ||
    rm.myIdentifier?.type === 'keyid' ||
    rm.peersIdentifiers.some((s) => s.type === 'asn1dn' || s.type === 'keyid')
  );
}

/** The loaded material of every remote of a configuration, loaded once (racoon reads it at parse time). */
export class RemoteAuthTable {
  private readonly byRemote = new Map<RemoteConf, RemoteAuth>();

  constructor(
    readonly conf: RacoonConf,
    private readonly load: (rm: RemoteConf, conf: RacoonConf) => RemoteAuth = loadRemoteAuth,
  ) {
    for (const rm of conf.remotes) this.byRemote.set(rm, this.load(rm, conf));
  }

  /** The material of a remote section of this configuration. */
  get(rm: RemoteConf): RemoteAuth {
    let a = this.byRemote.get(rm);
    if (!a) {
      a = this.load(rm, this.conf);
      this.byRemote.set(rm, a);
    }
    return a;
  }

  /** Every loading problem, in remote order. */
  errors(): ConfigError[] {
    return [...this.byRemote.values()].flatMap((a) => a.errors);
  }
}
