// IKEv2 identities (RFC 7296 §3.5) from racoon.conf: `my_identifier` as the IDi/IDr we send (our address when
// none is written, as racoon does), `peers_identifier` + `verify_identifier` checked against the peer's, and the
// text psk.txt is searched by (an address, an FQDN, user@FQDN or a key id tag); asn1dn identities come from
// the certificate library (conf/remote-auth.ts loads them, cert/identity.ts matches them).
import { addrEqual, formatAddr } from '../../common/inet.js';
import type { IdSpec, RemoteConf } from '../conf/ast.js';
import type { Endpoint } from '../engine/datagram.js';
import {
  IKEV2_ID_DER_ASN1_DN,
  IKEV2_ID_FQDN,
  IKEV2_ID_IPV4_ADDR,
  IKEV2_ID_IPV6_ADDR,
  IKEV2_ID_KEY_ID,
  IKEV2_ID_RFC822_ADDR,
} from './constants.js';
import type { Ikev2Id } from './payloads/id.js';
import { matchPeersIdentifier, type PeerIdSpec } from '../cert/identity.js';

const LOADED_KINDS: ReadonlySet<number> = new Set([IKEV2_ID_DER_ASN1_DN, IKEV2_ID_KEY_ID]);

const text = (s: string) => new TextEncoder().encode(s);

function addressId(addr: Uint8Array): Ikev2Id {
  return { idType: addr.length === 4 ? IKEV2_ID_IPV4_ADDR : IKEV2_ID_IPV6_ADDR, data: addr };
}

/** An identifier spec as an ID payload body; undefined for the kinds that need certificates (asn1dn, keyid file). */
export function idOfSpec(spec: IdSpec, local: Endpoint): Ikev2Id | undefined {
  switch (spec.type) {
    case 'address':
      return addressId(spec.addr ?? local.addr);
    case 'fqdn':
      return { idType: IKEV2_ID_FQDN, data: text(spec.value!) };
    case 'user_fqdn':
      return { idType: IKEV2_ID_RFC822_ADDR, data: text(spec.value!) };
    case 'keyid':
      return spec.keyidKind === 'tag' ? { idType: IKEV2_ID_KEY_ID, data: text(spec.value!) } : undefined;
    default:
      return undefined;
  }
}

/**
 * The identity this end sends to a peer (IDi or IDr). `loaded` is what conf/remote-auth.ts read at configuration
 * time for the kinds idOfSpec cannot make: `asn1dn` (our certificate's subject, or the DN written) and `keyid file`.
 */
export function myIdentity(rm: RemoteConf, local: Endpoint, loaded?: PeerIdSpec): Ikev2Id {
  const spec = rm.myIdentifier && idOfSpec(rm.myIdentifier, local);
  if (spec) return spec;
  return loaded ? { idType: loaded.idType, data: loaded.data } : addressId(local.addr);
}

function sameId(a: Ikev2Id, b: Ikev2Id): boolean {
  return a.idType === b.idType && Buffer.compare(a.data, b.data) === 0;
}

/**
 * Whether the peer's identity is acceptable: any when verify_identifier is off (racoon's default), else one of
 * the peers_identifier lines (an `address` line without an address names the peer's own address).
 */
export function peerIdentityAccepted(
  rm: RemoteConf,
  id: Ikev2Id,
  remote: Endpoint,
  dns: readonly PeerIdSpec[] = [],
): boolean {
  if (!rm.verifyIdentifier) return true;
  // asn1dn lines (racoon's `*` wildcards per RDN) and keyid files are matched as loaded at configuration time
  // (conf/remote-auth.ts), by the certificate library, as for IKEv1.
  const loaded = dns.filter((d) => d.idType === id.idType && LOADED_KINDS.has(d.idType));
  if (loaded.length && matchPeersIdentifier(loaded, id.idType, id.data, true).ok) return true;
  return rm.peersIdentifiers.some((spec) => {
    if (spec.type === 'address' && !spec.addr)
      return (id.idType === IKEV2_ID_IPV4_ADDR || id.idType === IKEV2_ID_IPV6_ADDR) && addrEqual(id.data, remote.addr);
    const want = idOfSpec(spec, remote);
    return want !== undefined && sameId(want, id);
  });
}

/** The psk.txt keys to try for a peer, in order: its identity as text, then the address it speaks from. */
export function pskKeys(id: Ikev2Id | undefined, remote: Endpoint): string[] {
  const out: string[] = [];
  if (id) {
    if (id.idType === IKEV2_ID_IPV4_ADDR || id.idType === IKEV2_ID_IPV6_ADDR) out.push(formatAddr(id.data));
    else if (id.idType === IKEV2_ID_FQDN || id.idType === IKEV2_ID_RFC822_ADDR || id.idType === IKEV2_ID_KEY_ID)
      out.push(Buffer.from(id.data).toString('latin1'));
  }
  const addr = formatAddr(remote.addr);
  if (!out.includes(addr)) out.push(addr);
  return out;
}
