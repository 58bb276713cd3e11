// A naive reference validator for PF_KEY messages: written straight from the rules in
// docs/pfkey.md with Buffer reads, sharing no code with pfkey/. It only answers "ok" or the errno, in the
// same order of checks, so the fuzz suite can compare it with decodeMessage on every input.

type Verdict = 'ok' | 'EINVAL' | 'EAFNOSUPPORT';

class Refused extends Error {
  constructor(readonly verdict: Verdict) {
    super(verdict);
  }
}

const bad = (v: Verdict = 'EINVAL'): never => {
  throw new Refused(v);
};
const align8 = (n: number) => Math.ceil(n / 8) * 8;

// Extension types with one fixed size (bytes).
const FIXED: Record<number, number> = { 1: 16, 2: 32, 3: 32, 4: 32, 16: 16, 19: 16, 20: 8, 21: 8, 22: 8, 25: 8, 26: 8 };
const ADDRESS_TYPES = new Set([5, 6, 7, 23, 24, 27, 28]);

/** sa_len of a valid BSD sockaddr at `off` with `avail` bytes, or throws. */
function sockaddr(b: Buffer, off: number, avail: number): { len: number; family: number } {
  if (avail < 2) bad();
  const len = b[off]!;
  const family = b[off + 1]!;
  if (family === 2) {
    if (len !== 16) bad();
  } else if (family === 28) {
    if (len !== 28) bad();
  } else bad('EAFNOSUPPORT');
  if (len > avail) bad();
  return { len, family };
}

function policy(b: Buffer, p: number, elen: number): void {
  if (elen < 16) bad();
  const end = p + elen;
  for (let q = p + 16; q < end;) {
    const rl = b.readUInt16LE(q);
    if (rl < 8 || rl % 8 !== 0 || rl > end - q) bad();
    if (rl > 8) {
      const s = sockaddr(b, q + 8, rl - 8);
      const d = sockaddr(b, q + 8 + s.len, q + rl - (q + 8 + s.len));
      if (s.family !== d.family) bad();
      if (align8(8 + 2 * s.len) !== rl) bad();
    }
    q += rl;
  }
}

function extension(b: Buffer, p: number, type: number, elen: number): void {
  if (FIXED[type] !== undefined) {
    if (elen !== FIXED[type]) bad();
    return;
  }
  if (ADDRESS_TYPES.has(type)) {
    if (elen < 16) bad();
    if (8 + align8(sockaddr(b, p + 8, elen - 8).len) !== elen) bad();
    return;
  }
  switch (type) {
    case 8:
    case 9:
      if (8 + align8(Math.ceil(b.readUInt16LE(p + 4) / 8)) !== elen) bad();
      return;
    case 10:
    case 11:
      if (elen < 16) bad();
      if (b.readUInt16LE(p + 4) === 4 && 16 + align8(sockaddr(b, p + 16, elen - 16).len) !== elen) bad();
      return;
    case 12:
      if (elen < 16 || 16 + 8 * (b[p + 9]! + b[p + 11]!) !== elen) bad();
      return;
    case 13:
      if ((elen - 8) % 72 !== 0) bad();
      return;
    case 18:
      policy(b, p, elen);
      return;
    default:
      return; // 14, 15 (supported), 17 (kmprivate): any multiple of 8 from 8 up
  }
}

/** "ok" if the message is well-formed, else the errno a strict decoder must give. */
export function oracleVerdict(bytes: Uint8Array): Verdict {
  const b = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  try {
    if (b.length < 16 || b[0] !== 2 || b[1] === 0 || b[1]! > 24) bad();
    const len = b.readUInt16LE(4) * 8;
    if (len < 16 || len !== b.length) bad();
    const seen = new Set<number>();
    for (let p = 16; p < b.length;) {
      const elen = b.readUInt16LE(p) * 8;
      const type = b.readUInt16LE(p + 2);
      if (elen === 0 || elen > b.length - p) bad();
      if (type === 0 || type > 28 || seen.has(type)) bad();
      seen.add(type);
      extension(b, p, type, elen);
      p += elen;
    }
    return 'ok';
  } catch (e) {
    if (e instanceof Refused) return e.verdict;
    throw e;
  }
}
