// Public surface of PF_KEY v2 ('uipsec/pfkey'): numbers, layouts, message/extension codecs, checks, stream
// framing, and the key manager's side: PfkeyClient over an in-process or Unix-socket transport.
export * from './constants.js';
export * from './errors.js';
export * from './layout.js';
export * from './sockaddr.js';
export * from './msg.js';
export * from './check.js';
export * from './stream.js';
export * from './replay-window.js';
export * from './client.js';
export * from './transport-inproc.js';
export * from './transport-unix.js';
export type { ExtCodec } from './ext/codec.js';
export type { SadbSa } from './ext/sa.js';
export type { SadbLifetime } from './ext/lifetime.js';
export type { SadbAddress } from './ext/address.js';
export type { SadbKey } from './ext/key.js';
export type { SadbIdent } from './ext/identity.js';
export type { SadbSens } from './ext/sensitivity.js';
export type { SadbComb, SadbProp } from './ext/proposal.js';
export type { SadbAlg, SadbSupported } from './ext/supported.js';
export type { SadbSpirange } from './ext/spirange.js';
export type { SadbXKmprivate } from './ext/x-kmprivate.js';
export type { SadbXIpsecrequest, SadbXPolicy } from './ext/x-policy.js';
export type { SadbXSa2 } from './ext/x-sa2.js';
export type { SadbXNatTFrag, SadbXNatTPort, SadbXNatTType } from './ext/x-nat-t.js';
export type { SadbXSaReplay } from './ext/x-sa-replay.js';
