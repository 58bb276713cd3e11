// setkey algorithm names (`-E`, `-A`, `-C`) with their PF_KEY ids and the key lengths setkey accepts.
// Names from ipsec-tools token.l plus the FreeBSD/NetBSD additions; ids per KAME/FreeBSD pfkeyv2.h;
// key sizes per setkey(8) and NetBSD tests/net/ipsec/algorithms.sh. See docs/setkey.md.
// TODO(integration): take ids and sizes from pfkey/constants.ts once it exists (one home for wire numbers).

export type AlgKind = 'enc' | 'auth' | 'comp';

/** Allowed key lengths in bits: a list, or a range with a step. */
export type KeyBits = readonly number[] | { min: number; max: number; step: number };

export interface SetkeyAlg {
  kind: AlgKind;
  name: string;
  /** sadb_sa_encrypt / sadb_sa_auth value. */
  id: number;
  keyBits: KeyBits;
  /** Takes no key token (`-E null`, `-A null`, `-C deflate`). */
  noKey: boolean;
  /** Implemented by uipsec's kernel; legacy names parse but are refused by check. */
  supported: boolean;
  /** Extra sadb_sa_flags the name implies (SADB_X_EXT_DERIV, SADB_X_EXT_IV4B). */
  flags?: number;
  /** Only valid with esp-old (des-32iv) or only without (des-deriv). */
  needsOld?: boolean;
  obsolete?: boolean;
  aead?: boolean;
}

export const SADB_X_EXT_OLD = 0x0001;
export const SADB_X_EXT_IV4B = 0x0010;
export const SADB_X_EXT_DERIV = 0x0020;
export const SADB_X_EXT_CYCSEQ = 0x0040;
export const SADB_X_EXT_RAWCPI = 0x0080;
export const SADB_X_EXT_PRAND = 0x0100;
export const SADB_X_EXT_PZERO = 0x0200;
export const SADB_X_EXT_PSEQ = 0x0000;

const r = (min: number, max: number, step = 8): KeyBits => ({ min, max, step });
type Row = [name: string, id: number, bits: KeyBits, supported: boolean, extra?: Partial<SetkeyAlg>];

const ENC: Row[] = [
  ['des-cbc', 2, [64], true],
  ['3des-cbc', 3, [192], true],
  ['null', 11, [0], true, { noKey: true }],
  ['simple', 11, [0], false, { noKey: true, obsolete: true }],
  ['blowfish-cbc', 7, r(40, 448), true],
  ['cast128-cbc', 6, r(40, 128), true],
  ['des-deriv', 2, [64], false, { flags: SADB_X_EXT_DERIV, needsOld: false }],
  ['des-32iv', 2, [64], false, { flags: SADB_X_EXT_IV4B, needsOld: true }],
  ['3des-deriv', 3, [192], false],
  ['rijndael-cbc', 12, [128, 192, 256], true],
  ['aes-cbc', 12, [128, 192, 256], true],
  ['twofish-cbc', 253, r(0, 256), false],
  ['aes-ctr', 13, [160, 224, 288], true],
  ['camellia-cbc', 22, [128, 192, 256], true],
  ['aes-gcm-16', 20, [160, 224, 288], true, { aead: true }],
  ['aes-gmac', 23, [160, 224, 288], true, { aead: true }],
  ['chacha20-poly1305', 24, [288], true, { aead: true }],
];

const AUTH: Row[] = [
  ['hmac-md5', 2, [128], true],
  ['hmac-sha1', 3, [160], true],
  ['keyed-md5', 249, [128], false],
  ['keyed-sha1', 250, [160], false],
  ['hmac-sha256', 5, [256], true],
  ['hmac-sha2-256', 5, [256], true],
  ['hmac-sha384', 6, [384], true],
  ['hmac-sha2-384', 6, [384], true],
  ['hmac-sha512', 7, [512], true],
  ['hmac-sha2-512', 7, [512], true],
  ['hmac-ripemd160', 8, [160], true],
  ['aes-xcbc-mac', 9, [128], true],
  ['tcp-md5', 252, r(8, 640), true],
  ['null', 251, [0], true, { noKey: true }],
];

const COMP: Row[] = [
  ['oui', 1, [0], false, { noKey: true }],
  ['deflate', 2, [0], true, { noKey: true }],
  ['lzs', 3, [0], false, { noKey: true }],
];

function build(kind: AlgKind, rows: Row[]): ReadonlyMap<string, SetkeyAlg> {
  const m = new Map<string, SetkeyAlg>();
  for (const [name, id, keyBits, supported, extra] of rows) m.set(name, { kind, name, id, keyBits, supported, noKey: false, ...extra });
  return m;
}

const TABLES: Record<AlgKind, ReadonlyMap<string, SetkeyAlg>> = {
  enc: build('enc', ENC),
  auth: build('auth', AUTH),
  comp: build('comp', COMP),
};

export function lookupAlg(kind: AlgKind, name: string): SetkeyAlg | undefined {
  return TABLES[kind].get(name);
}

/** Names of the algorithms of a kind that uipsec implements, for error messages. */
export function supportedAlgNames(kind: AlgKind): string[] {
  return [...TABLES[kind].values()].filter((a) => a.supported).map((a) => a.name);
}

export function keyBitsAllowed(spec: KeyBits, bits: number): boolean {
  if (Array.isArray(spec)) return spec.includes(bits);
  const { min, max, step } = spec as { min: number; max: number; step: number };
  return bits >= min && bits <= max && (bits - min) % step === 0;
}

/** "128, 192 or 256 bits" / "40 to 448 bits" for messages. */
export function describeKeyBits(spec: KeyBits): string {
  if (!Array.isArray(spec)) {
    const { min, max } = spec as { min: number; max: number };
    return `${min} to ${max} bits`;
  }
  const list = spec as readonly number[];
  if (list.length === 1) return `${list[0]} bits`;
  return `${list.slice(0, -1).join(', ')} or ${list[list.length - 1]} bits`;
}
