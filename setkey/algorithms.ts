// setkey algorithm names (`-E`, `-A`, `-C`): the ones uipsec implements come from pfkey/constants.ts
// (ALGORITHMS: ids and accepted key lengths); the legacy KAME/ipsec-tools names (token.l) are recognised
// here so that they are refused with a clear message instead of a syntax error.
import * as C from '../pfkey/constants.js';
import { ALGORITHMS, type AlgorithmKind, REFUSED_ALGORITHMS } from '../pfkey/algorithms.js';

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
  /** Implemented by uipsec (listed in pfkey ALGORITHMS); legacy names parse but are refused by check.ts. */
  supported: boolean;
  /** Why a legacy name is refused. */
  reason?: string;
  /** Extra sadb_sa_flags the name implies (SADB_X_EXT_DERIV, SADB_X_EXT_IV4B). */
  flags?: number;
  /** des-32iv needs esp-old, des-deriv must not have it (parse.y "algorithm mismatched"). */
  needsOld?: boolean;
  /** Combined mode (RFC 4106/4543/7634): no separate -A. */
  aead?: boolean;
}

const KIND_OF: Record<AlgorithmKind, AlgKind> = { encrypt: 'enc', auth: 'auth', comp: 'comp' };
const range = (min: number, max: number): KeyBits => ({ min, max, step: 8 });

// Names setkey knows but uipsec does not implement; sizes from setkey(8) for the message.
const LEGACY: readonly SetkeyAlg[] = [
  {
    kind: 'enc',
    name: 'simple',
    id: C.SADB_EALG_NULL,
    keyBits: [0],
    noKey: true,
    supported: false,
    reason: 'obsolete spelling of null',
  },
  {
    kind: 'enc',
    name: 'des-deriv',
    id: C.SADB_EALG_DESCBC,
    keyBits: [64],
    noKey: false,
    supported: false,
    flags: C.SADB_X_EXT_DERIV,
    needsOld: false,
    reason: 'KAME derived-IV DES',
  },
  {
    kind: 'enc',
    name: 'des-32iv',
    id: C.SADB_EALG_DESCBC,
    keyBits: [64],
    noKey: false,
    supported: false,
    flags: C.SADB_X_EXT_IV4B,
    needsOld: true,
    reason: 'RFC 1829 4-byte-IV DES',
  },
  {
    kind: 'enc',
    name: '3des-deriv',
    id: C.SADB_EALG_3DESCBC,
    keyBits: [192],
    noKey: false,
    supported: false,
    reason: 'never implemented by KAME',
  },
  {
    kind: 'enc',
    name: 'blowfish-cbc',
    id: C.SADB_X_EALG_BLOWFISHCBC,
    keyBits: range(40, 448),
    noKey: false,
    supported: false,
  },
  {
    kind: 'enc',
    name: 'cast128-cbc',
    id: C.SADB_X_EALG_CAST128CBC,
    keyBits: range(40, 128),
    noKey: false,
    supported: false,
  },
  {
    kind: 'enc',
    name: 'twofish-cbc',
    id: C.SADB_X_EALG_TWOFISHCBC,
    keyBits: range(0, 256),
    noKey: false,
    supported: false,
  },
  {
    kind: 'auth',
    name: 'keyed-md5',
    id: C.SADB_X_AALG_MD5,
    keyBits: [128],
    noKey: false,
    supported: false,
    reason: 'RFC 1828 keyed MD5',
  },
  {
    kind: 'auth',
    name: 'keyed-sha1',
    id: C.SADB_X_AALG_SHA,
    keyBits: [160],
    noKey: false,
    supported: false,
    reason: 'RFC 1852 keyed SHA-1',
  },
  {
    kind: 'auth',
    name: 'hmac-ripemd160',
    id: C.SADB_X_AALG_RIPEMD160HMAC,
    keyBits: [160],
    noKey: false,
    supported: false,
  },
  {
    kind: 'auth',
    name: 'tcp-md5',
    id: C.SADB_X_AALG_TCP_MD5,
    keyBits: range(8, 640),
    noKey: false,
    supported: false,
    reason: 'RFC 2385 TCP-MD5 signatures',
  },
  { kind: 'comp', name: 'oui', id: C.SADB_X_CALG_OUI, keyBits: [0], noKey: true, supported: false },
  { kind: 'comp', name: 'lzs', id: C.SADB_X_CALG_LZS, keyBits: [0], noKey: true, supported: false },
];

function buildTables(): Record<AlgKind, Map<string, SetkeyAlg>> {
  const t: Record<AlgKind, Map<string, SetkeyAlg>> = { enc: new Map(), auth: new Map(), comp: new Map() };
  for (const a of ALGORITHMS) {
    const kind = KIND_OF[a.kind];
    const noKey = a.keyBits.length === 1 && a.keyBits[0] === 0;
    t[kind].set(a.name, {
      kind,
      name: a.name,
      id: a.id,
      keyBits: a.keyBits,
      noKey,
      supported: true,
      aead: kind === 'enc' && a.icvBits > 0,
    });
  }
  for (const a of LEGACY) {
    const refused = REFUSED_ALGORITHMS.get(a.name);
    if (!t[a.kind].has(a.name)) t[a.kind].set(a.name, refused ? { ...a, reason: refused.reason } : a);
  }
  return t;
}

const TABLES = buildTables();

export function lookupAlg(kind: AlgKind, name: string): SetkeyAlg | undefined {
  return TABLES[kind].get(name);
}

/** Names of the algorithms of a kind that uipsec implements, for error messages. */
export function supportedAlgNames(kind: AlgKind): string[] {
  return [...TABLES[kind].values()].filter((a) => a.supported).map((a) => a.name);
}

/** Edit distance with transpositions (optimal string alignment), for "did you mean". */
function editDistance(a: string, b: string): number {
  const d: number[][] = Array.from({ length: a.length + 1 }, (_, i) => [i, ...Array<number>(b.length).fill(0)]);
  for (let j = 1; j <= b.length; j++) d[0]![j] = j;
  for (let i = 1; i <= a.length; i++)
    for (let j = 1; j <= b.length; j++) {
      const cost = a[i - 1] === b[j - 1] ? 0 : 1;
      let v = Math.min(d[i - 1]![j]! + 1, d[i]![j - 1]! + 1, d[i - 1]![j - 1]! + cost);
      if (i > 1 && j > 1 && a[i - 1] === b[j - 2] && a[i - 2] === b[j - 1]) v = Math.min(v, d[i - 2]![j - 2]! + 1);
      d[i]![j] = v;
    }
  return d[a.length]![b.length]!;
}

/**
 * The supported name closest to a misspelt one (`aes-cbcc`, `AES_CBC`, `hmac-sha265`), or undefined when none
 * is close: case and '_' for '-' are forgiven, then up to two edits (one for names of five letters or less).
 */
export function suggestAlg(kind: AlgKind, name: string): string | undefined {
  const want = name.toLowerCase().replace(/_/g, '-').slice(0, 64);
  let best: { name: string; d: number } | undefined;
  for (const n of supportedAlgNames(kind)) {
    const d = editDistance(want, n);
    if (d <= (n.length <= 5 ? 1 : 2) && (!best || d < best.d)) best = { name: n, d };
  }
  return best?.name;
}

function isRange(spec: KeyBits): spec is { min: number; max: number; step: number } {
  return !Array.isArray(spec);
}

export function keyBitsAllowed(spec: KeyBits, bits: number): boolean {
  if (!isRange(spec)) return spec.includes(bits);
  return bits >= spec.min && bits <= spec.max && (bits - spec.min) % spec.step === 0;
}

/** "128, 192 or 256 bits" / "40 to 448 bits" for messages. */
export function describeKeyBits(spec: KeyBits): string {
  if (isRange(spec)) return `${spec.min} to ${spec.max} bits`;
  if (spec.length === 1) return `${spec[0]} bits`;
  return `${spec.slice(0, -1).join(', ')} or ${spec[spec.length - 1]} bits`;
}
