// The seam of IKE_AUTH authentication (RFC 7296 §2.15): what a shared key (auth.ts) and certificates
// (cert-auth.ts) each provide, so that the exchanges do not depend on the method.
import type { Ikev2Payload } from './payload-chain.js';
import type { Ikev2Auth } from './payloads/auth.js';

/** How one end proves itself and checks the other (strongSwan `authenticator_t`). */
export interface Authenticator {
  /** Payloads that go before AUTH: CERT and CERTREQ for signatures, none for a shared key. */
  payloads(): Ikev2Payload[];
  /** Our AUTH over our octets; undefined when we have no credential for this peer. */
  sign(octets: Uint8Array): Ikev2Auth | undefined;
  /** Whether the peer's AUTH over its octets is good (its CERTs, if any, are among `peer`). */
  verify(auth: Ikev2Auth, octets: Uint8Array, peer: readonly Ikev2Payload[]): boolean;
}
