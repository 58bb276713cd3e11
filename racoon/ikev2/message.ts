// A whole IKEv2 message, RFC 7296 §3.1–§3.2: the header and its payload chain. An SK (or SKF) payload stays
// opaque here; racoon/ikev2/sk-protect.ts verifies and decrypts it and decodes the chain inside.
import { ISAKMP_HEADER_LEN } from '../isakmp/constants.js';
import { IKEV2_MAX_MESSAGE_LEN } from './constants.js';
import { invalidSyntax, target, window, type Codec } from './codec.js';
import { decodeIkev2Header, encodeIkev2Header, type Ikev2Header } from './header.js';
import {
  decodePayloadChain,
  encodePayloadChain,
  firstPayloadType,
  payloadChainLength,
  type Ikev2Payload,
} from './payload-chain.js';

/** A decoded message; `ignored` lists unknown non-critical payload types that were skipped (§2.5). */
export interface Ikev2Message {
  header: Ikev2Header;
  payloads: Ikev2Payload[];
  ignored?: number[];
}

/** Decodes a datagram holding exactly one IKEv2 message; the header's Length must match it (§3.1). */
export function decodeIkev2Message(buf: Uint8Array, offset = 0, end?: number): { value: Ikev2Message; next: number } {
  const e = window(buf, offset, end);
  const header = decodeIkev2Header(buf, offset, e).value;
  if (header.length !== e - offset)
    invalidSyntax(`header says ${header.length} bytes, datagram has ${e - offset}`, offset + 24);
  const chain = decodePayloadChain(header.np, buf, offset + ISAKMP_HEADER_LEN, e).value;
  const value: Ikev2Message = { header, payloads: chain.payloads };
  if (chain.ignored.length > 0) value.ignored = chain.ignored;
  return { value, next: e };
}

export function ikev2MessageLength(m: Ikev2Message): number {
  return ISAKMP_HEADER_LEN + payloadChainLength(m.payloads);
}

/** Encodes a message; `header.np` and `header.length` are computed from the payloads. */
export function encodeIkev2Message(m: Ikev2Message, buf?: Uint8Array, offset = 0): Uint8Array {
  const length = ikev2MessageLength(m);
  if (length > IKEV2_MAX_MESSAGE_LEN)
    throw new RangeError(`message of ${length} bytes exceeds ${IKEV2_MAX_MESSAGE_LEN}`);
  const out = target(buf, offset, length);
  encodeIkev2Header({ ...m.header, np: firstPayloadType(m.payloads), length }, out, offset);
  encodePayloadChain(m.payloads, out, offset + ISAKMP_HEADER_LEN);
  return out;
}

export const ikev2Message: Codec<Ikev2Message> = {
  decode: decodeIkev2Message,
  encode: encodeIkev2Message,
  encodedLength: ikev2MessageLength,
};

/** Payloads of one type, typed: `payloadsOf(m.payloads, IKEV2_PAYLOAD_NOTIFY)` gives the Notify bodies. */
export function payloadsOf<T extends Ikev2Payload['type']>(list: readonly Ikev2Payload[], type: T): BodyOf<T>[] {
  const out: BodyOf<T>[] = [];
  for (const p of list) if (p.type === type) out.push(p.body as BodyOf<T>);
  return out;
}

/** The body type of payload type T (distributes over the union, so IDi alone finds the IDi/IDr arm). */
type BodyOf<T extends Ikev2Payload['type']> = Ikev2Payload extends infer P
  ? P extends { type: infer U; body: infer B }
    ? T extends U
      ? B
      : never
    : never
  : never;
