// Small helpers the exchanges share to read and write payload lists: the notify payload of a type, the first
// error notify (RFC 7296 §3.10.1), the single payload of a type, and the payload constructors used everywhere.
import { IKEV2_PAYLOAD_NOTIFY, nameOf } from './constants.js';
import { IKEV2_N_NAMES, isErrorNotify } from './notify-types.js';
import type { Ikev2Payload } from './payload-chain.js';
import { payloadsOf } from './message.js';
import { ikeNotify, type Ikev2Notify } from './payloads/notify.js';

/** A Notify payload about the IKE SA or the exchange (§3.10: no protocol, no SPI). */
export function notifyPayload(notifyType: number, data?: Uint8Array): Ikev2Payload {
  return { type: IKEV2_PAYLOAD_NOTIFY, body: ikeNotify(notifyType, data) };
}

export function notifiesOf(list: readonly Ikev2Payload[]): Ikev2Notify[] {
  return payloadsOf(list, IKEV2_PAYLOAD_NOTIFY);
}

export function findNotify(list: readonly Ikev2Payload[], notifyType: number): Ikev2Notify | undefined {
  return notifiesOf(list).find((n) => n.notifyType === notifyType);
}

/** The first error notification of a message, if any (§2.21: a response carrying one refuses the request). */
export function firstError(list: readonly Ikev2Payload[]): Ikev2Notify | undefined {
  return notifiesOf(list).find((n) => isErrorNotify(n.notifyType));
}

export function notifyName(notifyType: number): string {
  return nameOf(IKEV2_N_NAMES, notifyType);
}

/** The single payload of a type (the chain decoder already refused duplicates, §3.2). */
export function single<T extends Ikev2Payload['type']>(list: readonly Ikev2Payload[], type: T) {
  return payloadsOf(list, type)[0];
}

/** An exchange failure that the responder answers with a notification (§2.21). */
export class ExchangeError extends Error {
  constructor(
    readonly notifyType: number,
    message: string,
    readonly notifyData?: Uint8Array,
  ) {
    super(`${notifyName(notifyType)}: ${message}`);
    this.name = 'ExchangeError';
  }
}
