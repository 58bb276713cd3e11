// Messages of one IKE SA (RFC 7296 §3.1, §3.14): the header with its SPIs and I/R flags, SK protection with the
// direction's keys (SK_ei/SK_ai for what the original initiator sends), and the opening of a received one.
import type { Rng } from '../../common/rng.js';
import { IKEV2_FLAG_INITIATOR, IKEV2_FLAG_RESPONSE, IKEV2_MAJOR_VERSION, IKEV2_MINOR_VERSION } from './constants.js';
import type { Ikev2Header } from './header.js';
import type { Ikev2Message } from './message.js';
import { encodeIkev2Message } from './message.js';
import type { Ikev2Payload } from './payload-chain.js';
import type { IkeSa } from './records.js';
import { openSk, sealSk, type OpenSkResult, type SkKeys } from './sk-protect.js';
import type { IkeSaKeys } from './keys.js';
import type { IkeSuite } from './records.js';

/** The header of a message this end sends on `sa` (§3.1: I set by the original initiator, R on responses). */
export function headerFor(sa: IkeSa, exchangeType: number, messageId: number, response: boolean): Ikev2Header {
  return {
    spiI: sa.spiI,
    spiR: sa.spiR,
    np: 0,
    majorVersion: IKEV2_MAJOR_VERSION,
    minorVersion: IKEV2_MINOR_VERSION,
    exchangeType,
    flags: (sa.initiator ? IKEV2_FLAG_INITIATOR : 0) | (response ? IKEV2_FLAG_RESPONSE : 0),
    messageId,
    length: 0,
  };
}

/** Each direction's SK keys once SKEYSEED is known: what we send, what we receive (§2.14). */
export function skKeysOf(suite: IkeSuite, keys: IkeSaKeys, initiator: boolean): { out: SkKeys; in: SkKeys } {
  const dir = (e: Uint8Array, a: Uint8Array): SkKeys => ({
    encr: suite.encr,
    encKey: e,
    ...(suite.integ ? { integ: suite.integ, integKey: a } : {}),
  });
  const i = dir(keys.ei, keys.ai);
  const r = dir(keys.er, keys.ar);
  return initiator ? { out: i, in: r } : { out: r, in: i };
}

/** A clear message (IKE_SA_INIT). */
export function clearMessage(
  sa: IkeSa,
  exchangeType: number,
  messageId: number,
  response: boolean,
  payloads: Ikev2Payload[],
): Uint8Array {
  return encodeIkev2Message({ header: headerFor(sa, exchangeType, messageId, response), payloads });
}

/** HDR, SK {payloads} under this end's keys. */
export function sealMessage(
  sa: IkeSa,
  exchangeType: number,
  messageId: number,
  response: boolean,
  payloads: Ikev2Payload[],
  rng: Rng,
): Uint8Array {
  return sealSk(headerFor(sa, exchangeType, messageId, response), [], payloads, sa.skOut!, rng);
}

/** The payloads inside a received message's SK, checked with the peer's keys. */
export function openMessage(sa: IkeSa, raw: Uint8Array, msg: Ikev2Message): OpenSkResult {
  return openSk(raw, msg, sa.skIn!);
}
