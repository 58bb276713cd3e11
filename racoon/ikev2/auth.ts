// IKE_AUTH authentication (RFC 7296 §2.15): the AUTH payload over each end's signed octets. One seam, the
// Authenticator, so that certificates (RSA/ECDSA and RFC 7427 signatures, with CERT and CERTREQ payloads) plug
// in beside the shared key without the exchanges changing (cert-auth.ts).
import type { PskFile } from '../psk.js';
import { lookupPsk } from '../psk.js';
import type { RemoteConf } from '../conf/ast.js';
import type { EngineCtx } from '../engine/context.js';
import type { Endpoint } from '../engine/datagram.js';
import { OAKLEY_ATTR_AUTH_METHOD_RSASIG } from '../isakmp/constants.js';
import { certAuthenticator } from './cert-auth.js';
import { IKEV2_AUTH_METHOD_SHARED_KEY_MIC, IKEV2_ID_KEY_ID } from './constants.js';
import type { PeerIdSpec } from '../cert/identity.js';
import { idOfSpec, pskKeys } from './identity.js';
import type { Authenticator } from './authenticator.js';
import type { Ikev2Id } from './payloads/id.js';
import type { IkeSa } from './records.js';
import { sharedKeyAuth, signedOctets, verifySharedKeyAuth } from './signed-octets.js';

export type { Authenticator };

/** The shared key for a peer: psk.txt by its identity, else by its address (racoon getpsk). */
export function pskFor(psk: PskFile, id: Ikev2Id | undefined, remote: Endpoint): Uint8Array | undefined {
  for (const k of pskKeys(id, remote)) {
    const key = lookupPsk(psk, k);
    if (key) return key;
  }
  return undefined;
}

/** Shared-key authentication (§2.15 "Key Pad for IKEv2"): the same psk.txt entry for both directions. */
export function pskAuthenticator(sa: IkeSa, psk: PskFile, loaded: readonly PeerIdSpec[] = []): Authenticator {
  const prf = sa.suite!.prf;
  return {
    payloads: () => [],
    sign(octets) {
      // The initiator signs before it sees IDr: the identity it expects then names the key.
      // A `keyid file` has no spec value: its bytes were read at configuration time (conf/remote-auth.ts).
      const first = sa.rmconf.peersIdentifiers[0];
      const fromFile = first?.type === 'keyid' ? loaded.find((d) => d.idType === IKEV2_ID_KEY_ID) : undefined;
      const expected = sa.peerId ?? (first ? (idOfSpec(first, sa.remote) ?? fromFile) : undefined);
      const key = pskFor(psk, expected, sa.remote);
      return key ? { method: IKEV2_AUTH_METHOD_SHARED_KEY_MIC, data: sharedKeyAuth(prf, key, octets) } : undefined;
    },
    verify(auth, octets) {
      const key = pskFor(psk, sa.peerId, sa.remote);
      return (
        auth.method === IKEV2_AUTH_METHOD_SHARED_KEY_MIC && !!key && verifySharedKeyAuth(prf, key, octets, auth.data)
      );
    },
  };
}

/** Our signed octets (§2.15): initiator RealMessage1 | Nr | prf(SK_pi, IDi), responder RealMessage2 | Ni | prf(SK_pr, IDr). */
export function ownOctets(sa: IkeSa): Uint8Array {
  const k = sa.keys!;
  return sa.initiator
    ? signedOctets(sa.suite!.prf, sa.initRequest!, sa.nr!, k.pi, sa.myId!)
    : signedOctets(sa.suite!.prf, sa.initResponse!, sa.ni!, k.pr, sa.myId!);
}

/** The octets the peer signed, with its identity. */
export function peerOctets(sa: IkeSa, peerId: Ikev2Id): Uint8Array {
  const k = sa.keys!;
  return sa.initiator
    ? signedOctets(sa.suite!.prf, sa.initResponse!, sa.ni!, k.pr, peerId)
    : signedOctets(sa.suite!.prf, sa.initRequest!, sa.nr!, k.pi, peerId);
}

/** Whether a remote authenticates with signatures (its first proposal says `authentication_method rsasig`). */
export function usesCertificates(rm: RemoteConf): boolean {
  return rm.proposals[0]?.authMethod?.id === OAKLEY_ATTR_AUTH_METHOD_RSASIG;
}

/** The method a remote authenticates with: its first proposal's authentication_method (psk or rsasig). */
export function authenticatorFor(sa: IkeSa, ctx: EngineCtx): Authenticator {
  return usesCertificates(sa.rmconf)
    ? certAuthenticator(sa, ctx)
    : pskAuthenticator(sa, ctx.psk, ctx.auth.get(sa.rmconf).peerIds);
}
