// Shared fixtures of the racoon/ikev2 tests: an SA payload and an IKE_SA_INIT request, as values and as bytes
// laid out by hand from the RFC 7296 §3 diagrams.
import { hex } from './support.js';
import * as K from '../../../../racoon/ikev2/constants.js';
import * as T from '../../../../racoon/ikev2/transforms.js';
import * as N from '../../../../racoon/ikev2/notify-types.js';
import type { Ikev2Header } from '../../../../racoon/ikev2/header.js';
import type { Ikev2Payload } from '../../../../racoon/ikev2/payload-chain.js';
import { transform, type Ikev2Sa } from '../../../../racoon/ikev2/payloads/sa.js';
import { ikeNotify } from '../../../../racoon/ikev2/payloads/notify.js';

export const SA_BYTES = hex(`
  02 00 00 2c  01 01 00 04              # proposal 1 (more follow): IKE, no SPI, 4 transforms
  03 00 00 0c  01 00 00 0c  80 0e 01 00 # ENCR_AES_CBC, Key Length 256 (TV)
  03 00 00 08  02 00 00 05              # PRF_HMAC_SHA2_256
  03 00 00 08  03 00 00 0c              # AUTH_HMAC_SHA2_256_128
  00 00 00 08  04 00 00 13              # D-H 19 (last transform)
  00 00 00 20  02 03 04 02  de ad be ef # proposal 2 (last): ESP, SPI deadbeef, 2 transforms
  03 00 00 0c  01 00 00 14  80 0e 00 80 # ENCR_AES_GCM_16, Key Length 128
  00 00 00 08  05 00 00 00              # no ESN`);

export const SA_VALUE: Ikev2Sa = {
  proposals: [
    {
      num: 1,
      protocol: K.IKEV2_PROTO_IKE,
      spi: new Uint8Array(0),
      transforms: [
        transform(T.IKEV2_TRANSFORM_ENCR, T.IKEV2_ENCR_AES_CBC, 256),
        transform(T.IKEV2_TRANSFORM_PRF, T.IKEV2_PRF_HMAC_SHA2_256),
        transform(T.IKEV2_TRANSFORM_INTEG, T.IKEV2_AUTH_HMAC_SHA2_256_128),
        transform(T.IKEV2_TRANSFORM_DH, T.IKEV2_DH_ECP_256),
      ],
    },
    {
      num: 2,
      protocol: K.IKEV2_PROTO_ESP,
      spi: hex('deadbeef'),
      transforms: [
        transform(T.IKEV2_TRANSFORM_ENCR, T.IKEV2_ENCR_AES_GCM_16, 128),
        transform(T.IKEV2_TRANSFORM_ESN, T.IKEV2_ESN_NONE),
      ],
    },
  ],
};

export const INIT_HEADER: Ikev2Header = {
  spiI: hex('0123456789abcdef'),
  spiR: new Uint8Array(8),
  np: K.IKEV2_PAYLOAD_SA,
  majorVersion: 2,
  minorVersion: 0,
  exchangeType: K.IKEV2_EXCHANGE_IKE_SA_INIT,
  flags: K.IKEV2_FLAG_INITIATOR,
  messageId: 0,
  length: 0,
};

export const KE_DATA = Uint8Array.from({ length: 64 }, (_, i) => 255 - i);
export const NI = Uint8Array.from({ length: 32 }, (_, i) => i);
export const INIT_PAYLOADS: Ikev2Payload[] = [
  { type: K.IKEV2_PAYLOAD_SA, body: SA_VALUE },
  { type: K.IKEV2_PAYLOAD_KE, body: { group: 19, data: KE_DATA } },
  { type: K.IKEV2_PAYLOAD_NONCE, body: NI },
  { type: K.IKEV2_PAYLOAD_NOTIFY, body: ikeNotify(N.IKEV2_N_NAT_DETECTION_SOURCE_IP, new Uint8Array(20).fill(0x51)) },
  {
    type: K.IKEV2_PAYLOAD_NOTIFY,
    body: ikeNotify(N.IKEV2_N_NAT_DETECTION_DESTINATION_IP, new Uint8Array(20).fill(0x52)),
  },
  { type: K.IKEV2_PAYLOAD_NOTIFY, body: ikeNotify(N.IKEV2_N_IKEV2_FRAGMENTATION_SUPPORTED) },
  { type: K.IKEV2_PAYLOAD_VENDOR, body: hex('882fe56d6fd20dbc2251613b2ebe5beb') },
];

export function gen(np: number, body: Uint8Array, critical = false): Uint8Array {
  const out = new Uint8Array(4 + body.length);
  out[0] = np;
  out[1] = critical ? 0x80 : 0;
  out[2] = (out.length >> 8) & 0xff;
  out[3] = out.length & 0xff;
  out.set(body, 4);
  return out;
}

export function message(h: Partial<Ikev2Header>, np: number, ...payloads: Uint8Array[]): Uint8Array {
  const body = Buffer.concat(payloads);
  const out = new Uint8Array(28 + body.length);
  out.set(h.spiI ?? INIT_HEADER.spiI, 0);
  out.set(h.spiR ?? INIT_HEADER.spiR, 8);
  out[16] = np;
  out[17] = 0x20;
  out[18] = h.exchangeType ?? 34;
  out[19] = h.flags ?? 0x08;
  new DataView(out.buffer).setUint32(20, h.messageId ?? 0);
  new DataView(out.buffer).setUint32(24, out.length);
  out.set(body, 28);
  return out;
}

export const INIT_BYTES = message(
  {},
  33,
  gen(34, SA_BYTES),
  gen(40, Buffer.concat([hex('00130000'), KE_DATA])),
  gen(41, NI),
  gen(41, Buffer.concat([hex('00004004'), new Uint8Array(20).fill(0x51)])),
  gen(41, Buffer.concat([hex('00004005'), new Uint8Array(20).fill(0x52)])),
  gen(43, hex('0000402e')),
  gen(0, hex('882fe56d6fd20dbc2251613b2ebe5beb')),
);
