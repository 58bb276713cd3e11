// The XAuth authentication methods of phase 1 (draft-beaulieu-ike-xauth-02 §5): XAUTH_PSKEY and XAUTH_RSASIG
// authenticate the hosts exactly as pre-shared keys and RSA signatures do, and then require the XAuth exchange.
// Hybrid RSA (draft-ietf-ipsec-isakmp-hybrid-auth-05 §3.2) keys SKEYID as signatures do, but only the XAuth
// server signs; the client proves itself with a HASH and then with its XAuth login.
// The `_I` value says the initiator is the XAuth client; racoon.conf's `xauth_*_server` names the `_R` value,
// which racoon switches to `_I` when it compares a received proposal (remoteconf.c isakmpsa_switch_authmethod).
import * as C from '../../isakmp/constants.js';

const SWITCH: ReadonlyMap<number, number> = new Map([
  [C.OAKLEY_ATTR_AUTH_METHOD_XAUTH_PSKEY_R, C.OAKLEY_ATTR_AUTH_METHOD_XAUTH_PSKEY_I],
  [C.OAKLEY_ATTR_AUTH_METHOD_XAUTH_RSASIG_R, C.OAKLEY_ATTR_AUTH_METHOD_XAUTH_RSASIG_I],
  [C.OAKLEY_ATTR_AUTH_METHOD_HYBRID_RSA_R, C.OAKLEY_ATTR_AUTH_METHOD_HYBRID_RSA_I],
]);

const HYBRID = new Set([C.OAKLEY_ATTR_AUTH_METHOD_HYBRID_RSA_I, C.OAKLEY_ATTR_AUTH_METHOD_HYBRID_RSA_R]);

/** The XAuth methods by the host authentication underneath. */
const BASE: ReadonlyMap<number, number> = new Map([
  [C.OAKLEY_ATTR_AUTH_METHOD_XAUTH_PSKEY_I, C.OAKLEY_ATTR_AUTH_METHOD_PSKEY],
  [C.OAKLEY_ATTR_AUTH_METHOD_XAUTH_PSKEY_R, C.OAKLEY_ATTR_AUTH_METHOD_PSKEY],
  [C.OAKLEY_ATTR_AUTH_METHOD_XAUTH_RSASIG_I, C.OAKLEY_ATTR_AUTH_METHOD_RSASIG],
  [C.OAKLEY_ATTR_AUTH_METHOD_XAUTH_RSASIG_R, C.OAKLEY_ATTR_AUTH_METHOD_RSASIG],
  [C.OAKLEY_ATTR_AUTH_METHOD_HYBRID_RSA_I, C.OAKLEY_ATTR_AUTH_METHOD_RSASIG],
  [C.OAKLEY_ATTR_AUTH_METHOD_HYBRID_RSA_R, C.OAKLEY_ATTR_AUTH_METHOD_RSASIG],
]);

/** Whether a configured method accepts a method received on the wire (as is, or switched from `_R`). */
export function authMethodMatches(configured: number, wire: number): boolean {
  return wire === configured || wire === SWITCH.get(configured);
}

/** The host authentication of a method: PSKEY or RSASIG for the XAuth methods, the method itself otherwise. */
export function baseAuthMethod(m: number): number {
  return BASE.get(m) ?? m;
}

export function isXauthMethod(m: number): boolean {
  return BASE.has(m);
}

/** Which XAuth end this host is for a negotiated method and phase 1 side; undefined without XAuth. */
export function xauthRole(m: number, side: 'initiator' | 'responder'): 'server' | 'client' | undefined {
  if (!BASE.has(m)) return undefined;
  const initiatorIsClient = !SWITCH.has(m); // the `_I` values
  return (side === 'initiator') === initiatorIsClient ? 'client' : 'server';
}

/**
 * Whether this end (`me`) or the peer signs its phase 1 proof: both under RSA signatures (XAuth or not), neither
 * under pre-shared keys, and under hybrid RSA only the XAuth server (the client sends HASH).
 */
export function signs(m: number, side: 'initiator' | 'responder', who: 'me' | 'peer'): boolean {
  if (baseAuthMethod(m) !== C.OAKLEY_ATTR_AUTH_METHOD_RSASIG) return false;
  if (!HYBRID.has(m)) return true;
  return (xauthRole(m, side) === 'server') === (who === 'me');
}
