// fast-check generators of PF_KEY messages for keysock (plausible SA/SPD messages over a small domain,
// mutated copies, random bytes) and views of the SAD/SPD for comparing kernels after a fuzz run.
import fc from 'fast-check';
import * as C from '../../../pfkey/constants.js';
import { encodeMessage, type PfkeyMessage } from '../../../pfkey/index.js';
import { toHex } from '../../../common/bytes.js';
import type { Sad } from '../../../kernel/sad/sad.js';
import type { Spd } from '../../../kernel/spd/spd.js';
import { addr, hexKey, msg, saMsg, spMsg } from './support.js';

const PAIRS: [string, string][] = [
  ['10.0.0.1', '10.0.0.2'],
  ['10.0.0.2', '10.0.0.1'],
  ['fd00::1', 'fd00::2'],
];
const SATYPES = [C.SADB_SATYPE_ESP, C.SADB_SATYPE_AH, C.SADB_X_SATYPE_IPCOMP, C.SADB_SATYPE_UNSPEC, C.SADB_SATYPE_RSVP];
const KINDS = [
  C.SADB_ADD,
  C.SADB_ADD,
  C.SADB_ADD,
  C.SADB_UPDATE,
  C.SADB_GETSPI,
  C.SADB_DELETE,
  C.SADB_GET,
  C.SADB_FLUSH,
  C.SADB_DUMP,
  C.SADB_REGISTER,
  C.SADB_X_PROMISC,
  C.SADB_ACQUIRE,
  C.SADB_X_SPDADD,
  C.SADB_X_SPDADD,
  C.SADB_X_SPDUPDATE,
  C.SADB_X_SPDDELETE,
  C.SADB_X_SPDDELETE2,
  C.SADB_X_SPDGET,
  C.SADB_X_SPDDUMP,
  C.SADB_X_SPDFLUSH,
  C.SADB_EXPIRE,
];

interface Plan {
  kind: number;
  satype: number;
  spi: number;
  pair: number;
  pid: number;
  seq: number;
  alg: number;
  lifetimes: number;
  dir: number;
  policy: number;
  id: number;
  withSa: boolean;
  mode: number;
  natt: boolean;
}

/** Every field of a plan from two random words (much cheaper to generate than a record of 14 arbitraries). */
function planOf(x: number, y: number): Plan {
  const pick = (v: number, n: number): [number, number] => [v % n, Math.floor(v / n)];
  let r = x,
    v: number;
  const take = (n: number) => {
    [v, r] = pick(r, n);
    return v;
  };
  const kind = KINDS[take(KINDS.length)]!,
    satype = SATYPES[take(SATYPES.length)]!,
    spi = 0xf8 + take(24);
  const pair = take(3),
    pid = 1 + take(2),
    seq = take(6),
    alg = take(5),
    lifetimes = take(4);
  r = y;
  const dir = 1 + take(3),
    policy = take(4),
    id = take(13),
    withSa = take(2) === 1,
    mode = take(3),
    natt = take(2) === 1;
  return { kind, satype, spi, pair, pid, seq, alg, lifetimes, dir, policy, id, withSa, mode, natt };
}

const planArb: fc.Arbitrary<Plan> = fc
  .tuple(fc.nat({ max: 0x7fffffff }), fc.nat({ max: 0x7fffffff }))
  .map(([x, y]) => planOf(x, y));

const ALGS = [
  { enc: C.SADB_X_EALG_AESCBC, encKey: hexKey(16, 1), auth: C.SADB_AALG_SHA1HMAC, authKey: hexKey(20, 2) },
  { enc: C.SADB_X_EALG_AESGCM16, encKey: hexKey(20, 3), auth: C.SADB_AALG_NONE, authKey: hexKey(0, 0) },
  { enc: C.SADB_EALG_NULL, encKey: hexKey(0, 0), auth: C.SADB_X_AALG_SHA2_256, authKey: hexKey(32, 4) },
  { enc: C.SADB_X_EALG_AESCTR, encKey: hexKey(36, 5), auth: C.SADB_X_AALG_SHA2_512, authKey: hexKey(64, 6) },
  { enc: C.SADB_X_CALG_DEFLATE, encKey: hexKey(0, 0), auth: C.SADB_AALG_NONE, authKey: hexKey(0, 0) },
];

function build(p: Plan): PfkeyMessage {
  const [src, dst] = PAIRS[p.pair]!;
  const sa = { spi: p.spi, replay: 0, state: 0, auth: 0, encrypt: 0, flags: 0 };
  const addrs = { addressSrc: addr(src), addressDst: addr(dst) };
  const lt = (s: number) => ({ allocations: 0, bytes: 0n, addtime: BigInt(s), usetime: 0n });
  switch (p.kind) {
    case C.SADB_ADD:
    case C.SADB_UPDATE: {
      const a = ALGS[p.alg]!;
      const extra: PfkeyMessage['ext'] = {};
      if (p.lifetimes & 1) extra.lifetimeHard = lt(100);
      if (p.lifetimes & 2) extra.lifetimeSoft = lt(80);
      if (p.natt) Object.assign(extra, { natTType: { type: 2 }, natTSport: { port: 4500 }, natTDport: { port: 4500 } });
      const m = saMsg({
        type: p.kind,
        satype: p.satype,
        spi: p.spi,
        src,
        dst,
        pid: p.pid,
        seq: p.seq,
        mode: p.mode,
        ...a,
        extra,
      });
      if (p.satype === C.SADB_X_SATYPE_IPCOMP) delete m.ext.keyEncrypt;
      return m;
    }
    case C.SADB_GETSPI:
      return msg(p.kind, p.satype, { ...addrs, spirange: { min: p.spi, max: p.spi } }, p.seq, p.pid);
    case C.SADB_DELETE:
      return msg(p.kind, p.satype, p.withSa ? { sa, ...addrs } : addrs, p.seq, p.pid);
    case C.SADB_GET:
    case C.SADB_EXPIRE:
      return msg(p.kind, p.satype, { sa, ...addrs }, p.seq, p.pid);
    case C.SADB_FLUSH:
    case C.SADB_DUMP:
    case C.SADB_REGISTER:
      return msg(p.kind, p.satype, {}, p.seq, p.pid);
    case C.SADB_X_PROMISC:
      return msg(p.kind, p.alg % 3, {}, p.seq, p.pid);
    case C.SADB_ACQUIRE:
      return msg(p.kind, p.satype, { ...addrs, proposal: { replay: 32, combs: [] } }, p.seq + 1, p.pid);
    case C.SADB_X_SPDDELETE2:
    case C.SADB_X_SPDGET:
      return msg(
        p.kind,
        0,
        { policy: { type: 2, dir: p.dir, scope: 0, id: p.id, priority: 0, requests: [] } },
        p.seq,
        p.pid,
      );
    case C.SADB_X_SPDDUMP:
    case C.SADB_X_SPDFLUSH:
      return msg(p.kind, 0, {}, p.seq, p.pid);
    default:
      return spMsg({
        type: p.kind,
        src,
        dst,
        dir: p.dir,
        policy: p.policy,
        mode: p.mode === 2 ? 2 : 1,
        tunnel: p.mode === 2 ? [src, dst] : undefined,
        seq: p.seq,
        pid: p.pid,
      });
  }
}

/**
 * Plausible messages come from a pool of distinct encoded plans built once from a fixed seed (building and
 * encoding costs ~50 µs a message, fast-check picking from the pool ~2 µs); the sequences, the mutations
 * and the random messages stay fully fast-check's. The pool is never mutated (mutated() copies).
 */
const POOL_SIZE = 6000;
let pool: Uint8Array[] | undefined;
function planPool(): Uint8Array[] {
  pool ??= fc.sample(planArb, { seed: 0x706f6f6c, numRuns: POOL_SIZE }).map((p) => encodeMessage(build(p)));
  return pool;
}

export const plausible: fc.Arbitrary<Uint8Array> = fc
  .integer({ min: 0, max: POOL_SIZE - 1 })
  .map((i) => planPool()[i]!);

export const mutated = fc
  .tuple(
    plausible,
    fc.array(fc.tuple(fc.nat(), fc.integer({ min: 0, max: 255 })), { minLength: 1, maxLength: 3 }),
    fc.option(fc.nat(), { nil: undefined }),
  )
  .map(([b, edits, cut]) => {
    const out = new Uint8Array(b);
    for (const [pos, v] of edits) out[pos % out.length] = v;
    return cut === undefined || cut % 4 !== 0 ? out : out.subarray(0, cut % out.length);
  });
export const garbage = fc.uint8Array({ minLength: 0, maxLength: 80 });
export const messageArb = fc.oneof(
  { arbitrary: plausible, weight: 5 },
  { arbitrary: mutated, weight: 4 },
  { arbitrary: garbage, weight: 1 },
);

/** Everything PF_KEY can observe of the SAD (plus the key bytes), in dump order. */
export function sadState(sad: Sad): string {
  return sad
    .dump()
    .map((s) =>
      [
        s.proto,
        s.spi,
        s.state,
        s.mode,
        s.reqid,
        toHex(s.src),
        toHex(s.dst),
        s.encAlg?.name,
        s.authAlg?.name,
        s.compAlg?.name,
        s.encKey && toHex(s.encKey),
        s.authKey && toHex(s.authKey),
        s.replayBits,
        s.esn,
        s.ownerPid,
        JSON.stringify([s.hard, s.soft, s.natt ? [s.natt.sport, s.natt.dport] : 0]),
      ].join(','),
    )
    .join('\n');
}

/** A cheaper per-step view: identity, state and parameters of every SA (key bytes only in sadState). */
export function sadFingerprint(sad: Sad): string {
  let out = '';
  for (const s of sad.dump())
    out += `${s.proto}${s.spi}${s.state}${s.mode}${s.reqid}${s.src[3]}${s.encKey?.length}${s.authKey?.length}${s.replayBits}${s.ownerPid}${s.hard.addtimeSec}${s.soft.addtimeSec};`;
  return out;
}

export function spdState(spd: Spd): string {
  return spd
    .dump()
    .map((p) =>
      JSON.stringify({
        ...p,
        selector: { ...p.selector, src: toHex(p.selector.src.addr), dst: toHex(p.selector.dst.addr) },
        requests: p.requests.map((r) => ({ ...r, src: r.src && toHex(r.src), dst: r.dst && toHex(r.dst) })),
      }),
    )
    .join('\n');
}
