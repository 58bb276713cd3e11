// The sadb_msg header and whole PF_KEY v2 messages (RFC 2367 §2.2-2.3): strict decode into a typed object
// and encode back. Validation follows KAME key_parse/key_align/key_validate_ext: version, total length,
// message type, then each extension's length, type and uniqueness before any field is interpreted.
//  +---------------+---------------+---------------+---------------+
//  |    version    |  msg_type     |   errno       |   satype      |
//  +---------------+---------------+---------------+---------------+
//  |              len (8-byte units)|          reserved             |
//  +-------------------------------+-------------------------------+
//  |                              seq                              |
//  +---------------------------------------------------------------+
//  |                              pid                              |
//  +---------------------------------------------------------------+
import * as C from './constants.js';
import { SADB_EXT_NAMES, nameOf } from './names.js';
import { invalid } from './errors.js';
import { SADB_EXT, SADB_MSG, getField, setField, viewOf } from './layout.js';
import type { ExtCodec } from './ext/codec.js';
import { type SadbSa, saCodec } from './ext/sa.js';
import { type SadbLifetime, lifetimeCodec } from './ext/lifetime.js';
import { type SadbAddress, addressCodec } from './ext/address.js';
import { type SadbKey, keyCodec } from './ext/key.js';
import { type SadbIdent, identityCodec } from './ext/identity.js';
import { type SadbSens, sensitivityCodec } from './ext/sensitivity.js';
import { type SadbProp, proposalCodec } from './ext/proposal.js';
import { type SadbSupported, supportedCodec } from './ext/supported.js';
import { type SadbSpirange, spirangeCodec } from './ext/spirange.js';
import { type SadbXKmprivate, kmprivateCodec } from './ext/x-kmprivate.js';
import { type SadbXPolicy, policyCodec } from './ext/x-policy.js';
import { type SadbXSa2, sa2Codec } from './ext/x-sa2.js';
import {
  type SadbXNatTFrag,
  type SadbXNatTPort,
  type SadbXNatTType,
  natTFragCodec,
  natTPortCodec,
  natTTypeCodec,
} from './ext/x-nat-t.js';
import { type SadbXSaReplay, saReplayCodec } from './ext/x-sa-replay.js';

/** struct sadb_msg (len is derived on encode). */
export interface SadbMsg {
  version: number;
  type: number;
  errno: number;
  satype: number;
  reserved: number; // KAME returns the SA refcount here in dumps
  seq: number;
  pid: number;
}

/** The extensions of one message, each at most once (RFC 2367 §2.3). */
export interface PfkeyExts {
  sa?: SadbSa;
  lifetimeCurrent?: SadbLifetime;
  lifetimeHard?: SadbLifetime;
  lifetimeSoft?: SadbLifetime;
  addressSrc?: SadbAddress;
  addressDst?: SadbAddress;
  addressProxy?: SadbAddress;
  keyAuth?: SadbKey;
  keyEncrypt?: SadbKey;
  identitySrc?: SadbIdent;
  identityDst?: SadbIdent;
  sensitivity?: SadbSens;
  proposal?: SadbProp;
  supportedAuth?: SadbSupported;
  supportedEncrypt?: SadbSupported;
  spirange?: SadbSpirange;
  kmprivate?: SadbXKmprivate;
  policy?: SadbXPolicy;
  sa2?: SadbXSa2;
  natTType?: SadbXNatTType;
  natTSport?: SadbXNatTPort;
  natTDport?: SadbXNatTPort;
  natTOai?: SadbAddress;
  natTOar?: SadbAddress;
  natTFrag?: SadbXNatTFrag;
  saReplay?: SadbXSaReplay;
  newAddressSrc?: SadbAddress;
  newAddressDst?: SadbAddress;
}

export type ExtName = keyof PfkeyExts;

/** A decoded PF_KEY message. `extOrder` (ext type numbers) records/chooses the wire order of extensions. */
export interface PfkeyMessage {
  msg: SadbMsg;
  ext: PfkeyExts;
  extOrder?: number[];
}

type ExtTable = { [K in ExtName]-?: { type: number; codec: ExtCodec<NonNullable<PfkeyExts[K]>> } };

/** Extension name -> wire type and codec. */
export const EXT_TABLE: Readonly<ExtTable> = Object.freeze({
  sa: { type: C.SADB_EXT_SA, codec: saCodec },
  lifetimeCurrent: { type: C.SADB_EXT_LIFETIME_CURRENT, codec: lifetimeCodec },
  lifetimeHard: { type: C.SADB_EXT_LIFETIME_HARD, codec: lifetimeCodec },
  lifetimeSoft: { type: C.SADB_EXT_LIFETIME_SOFT, codec: lifetimeCodec },
  addressSrc: { type: C.SADB_EXT_ADDRESS_SRC, codec: addressCodec },
  addressDst: { type: C.SADB_EXT_ADDRESS_DST, codec: addressCodec },
  addressProxy: { type: C.SADB_EXT_ADDRESS_PROXY, codec: addressCodec },
  keyAuth: { type: C.SADB_EXT_KEY_AUTH, codec: keyCodec },
  keyEncrypt: { type: C.SADB_EXT_KEY_ENCRYPT, codec: keyCodec },
  identitySrc: { type: C.SADB_EXT_IDENTITY_SRC, codec: identityCodec },
  identityDst: { type: C.SADB_EXT_IDENTITY_DST, codec: identityCodec },
  sensitivity: { type: C.SADB_EXT_SENSITIVITY, codec: sensitivityCodec },
  proposal: { type: C.SADB_EXT_PROPOSAL, codec: proposalCodec },
  supportedAuth: { type: C.SADB_EXT_SUPPORTED_AUTH, codec: supportedCodec },
  supportedEncrypt: { type: C.SADB_EXT_SUPPORTED_ENCRYPT, codec: supportedCodec },
  spirange: { type: C.SADB_EXT_SPIRANGE, codec: spirangeCodec },
  kmprivate: { type: C.SADB_X_EXT_KMPRIVATE, codec: kmprivateCodec },
  policy: { type: C.SADB_X_EXT_POLICY, codec: policyCodec },
  sa2: { type: C.SADB_X_EXT_SA2, codec: sa2Codec },
  natTType: { type: C.SADB_X_EXT_NAT_T_TYPE, codec: natTTypeCodec },
  natTSport: { type: C.SADB_X_EXT_NAT_T_SPORT, codec: natTPortCodec },
  natTDport: { type: C.SADB_X_EXT_NAT_T_DPORT, codec: natTPortCodec },
  natTOai: { type: C.SADB_X_EXT_NAT_T_OAI, codec: addressCodec },
  natTOar: { type: C.SADB_X_EXT_NAT_T_OAR, codec: addressCodec },
  natTFrag: { type: C.SADB_X_EXT_NAT_T_FRAG, codec: natTFragCodec },
  saReplay: { type: C.SADB_X_EXT_SA_REPLAY, codec: saReplayCodec },
  newAddressSrc: { type: C.SADB_X_EXT_NEW_ADDRESS_SRC, codec: addressCodec },
  newAddressDst: { type: C.SADB_X_EXT_NEW_ADDRESS_DST, codec: addressCodec },
});

const NAME_BY_TYPE: readonly (ExtName | undefined)[] = (() => {
  const t: (ExtName | undefined)[] = new Array(C.SADB_EXT_MAX + 1).fill(undefined);
  for (const name of Object.keys(EXT_TABLE) as ExtName[]) t[EXT_TABLE[name].type] = name;
  return t;
})();

/** The extension name for a wire type, or undefined for unknown types. */
export function extNameOf(type: number): ExtName | undefined {
  return NAME_BY_TYPE[type];
}

// --- header ---

/** Validates and decodes the 16-byte header at `off` (version, type; not the total length). */
export function decodeSadbMsg(buf: Uint8Array, off = 0): { value: SadbMsg; lenBytes: number; next: number } {
  if (buf.length - off < SADB_MSG.size) invalid(`sadb_msg: ${buf.length - off} bytes, need ${SADB_MSG.size}`, off);
  const dv = viewOf(buf);
  const f = SADB_MSG.fields;
  const value: SadbMsg = {
    version: getField(dv, off, f.version),
    type: getField(dv, off, f.type),
    errno: getField(dv, off, f.errno),
    satype: getField(dv, off, f.satype),
    reserved: getField(dv, off, f.reserved),
    seq: getField(dv, off, f.seq),
    pid: getField(dv, off, f.pid),
  };
  if (value.version !== C.PF_KEY_V2) invalid(`sadb_msg_version ${value.version}, must be ${C.PF_KEY_V2}`, off);
  if (value.type === C.SADB_RESERVED || value.type > C.SADB_DECODE_MAX)
    invalid(`sadb_msg_type ${value.type} unknown`, off);
  const lenBytes = getField(dv, off, f.len) * 8;
  if (lenBytes < SADB_MSG.size) invalid(`sadb_msg_len ${lenBytes / 8} shorter than the header`, off);
  return { value, lenBytes, next: off + SADB_MSG.size };
}

function encodeSadbMsg(m: SadbMsg, dv: DataView, lenBytes: number): void {
  const f = SADB_MSG.fields;
  setField(dv, 0, f.version, m.version, 'sadb_msg_version');
  setField(dv, 0, f.type, m.type, 'sadb_msg_type');
  setField(dv, 0, f.errno, m.errno, 'sadb_msg_errno');
  setField(dv, 0, f.satype, m.satype, 'sadb_msg_satype');
  setField(dv, 0, f.len, lenBytes / 8, 'sadb_msg_len');
  setField(dv, 0, f.reserved, m.reserved, 'sadb_msg_reserved');
  setField(dv, 0, f.seq, m.seq, 'sadb_msg_seq');
  setField(dv, 0, f.pid, m.pid, 'sadb_msg_pid');
}

// --- whole messages ---

function decodeExt(dv: DataView, p: number, end: number, ext: Record<string, unknown>, order: number[]): number {
  const extLen = getField(dv, p, SADB_EXT.fields.len) * 8;
  const type = getField(dv, p, SADB_EXT.fields.type);
  if (extLen === 0) invalid(`extension type ${type} has length 0`, p);
  if (extLen > end - p) invalid(`extension type ${type} (${extLen} bytes) runs past the message end`, p);
  const name = extNameOf(type);
  if (name === undefined) invalid(`unknown extension type ${type}`, p);
  if (ext[name] !== undefined) invalid(`duplicate extension ${nameOf(SADB_EXT_NAMES, type)}`, p);
  const codec = EXT_TABLE[name].codec as ExtCodec<unknown>;
  ext[name] = codec.decode(dv, p, extLen).value;
  order.push(type);
  return p + extLen;
}

/**
 * Decodes one complete message. Throws PfkeyError (errno EINVAL, or EAFNOSUPPORT for a sockaddr of an
 * unknown family) on any malformation; never reads outside `buf`.
 */
export function decodeMessage(buf: Uint8Array): PfkeyMessage {
  const { value: msg, lenBytes } = decodeSadbMsg(buf, 0);
  if (lenBytes !== buf.length) invalid(`sadb_msg_len says ${lenBytes} bytes, message has ${buf.length}`, 0);
  const dv = viewOf(buf);
  const ext: Record<string, unknown> = {};
  const extOrder: number[] = [];
  for (let p = SADB_MSG.size; p < buf.length;) p = decodeExt(dv, p, buf.length, ext, extOrder);
  return { msg, ext: ext as PfkeyExts, extOrder };
}

const NAMES_BY_TYPE_ORDER: readonly ExtName[] = NAME_BY_TYPE.filter((n): n is ExtName => n !== undefined);

/** The present extensions in wire order: `extOrder` first, then the rest by ascending type. */
function orderedExts(m: PfkeyMessage): ExtName[] {
  const out: ExtName[] = [];
  const add = (n: ExtName | undefined) => {
    if (n !== undefined && m.ext[n] !== undefined && !out.includes(n)) out.push(n);
  };
  if (m.extOrder) for (const t of m.extOrder) add(NAME_BY_TYPE[t]);
  for (const n of NAMES_BY_TYPE_ORDER) add(n);
  return out;
}

function extCodec(name: ExtName): { type: number; codec: ExtCodec<unknown> } {
  return EXT_TABLE[name] as { type: number; codec: ExtCodec<unknown> };
}

/** Bytes the encoded message will take. */
export function messageLength(m: PfkeyMessage): number {
  return orderedExts(m).reduce((n, name) => n + extCodec(name).codec.encodedLength(m.ext[name]), SADB_MSG.size);
}

/** Encodes a message; sadb_msg_len is computed. Throws PfkeyError(EINVAL) for values that do not fit. */
export function encodeMessage(m: PfkeyMessage): Uint8Array {
  const names = orderedExts(m);
  const total = names.reduce((n, name) => n + extCodec(name).codec.encodedLength(m.ext[name]), SADB_MSG.size);
  if (total / 8 > 0xffff) invalid(`message of ${total} bytes exceeds sadb_msg_len`);
  const out = new Uint8Array(total);
  const dv = viewOf(out);
  let p = SADB_MSG.size;
  for (const name of names) {
    const { type, codec } = extCodec(name);
    p = codec.encode(m.ext[name], dv, p, type);
  }
  encodeSadbMsg(m.msg, dv, total); // last, so an extension's own error is the one reported
  return out;
}

/** A fresh header with version 2 and zero errno/reserved. */
export function makeSadbMsg(type: number, satype: number, seq = 0, pid = 0): SadbMsg {
  return { version: C.PF_KEY_V2, type, errno: 0, satype, reserved: 0, seq, pid };
}

/**
 * The kernel's error reply (key_senderror): the original message bytes with sadb_msg_errno set.
 * Works on any buffer of at least a header, even one that failed to decode.
 */
export function withErrno(original: Uint8Array, errno: number): Uint8Array {
  const out = new Uint8Array(original); // a copy even when given a Buffer (whose slice is a view)
  if (out.length >= SADB_MSG.size) setField(viewOf(out), 0, SADB_MSG.fields.errno, errno, 'sadb_msg_errno');
  return out;
}
