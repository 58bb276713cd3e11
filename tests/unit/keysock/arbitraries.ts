// fast-check generators of PF_KEY messages for keysock (plausible SA/SPD messages over a small domain,
// mutated copies, random bytes) and views of the SAD/SPD for comparing kernels after a fuzz run.
import fc from 'fast-check';
import * as C from '../../../pfkey/constants.js';
import { encodeMessage, type PfkeyMessage } from '../../../pfkey/index.js';
import { toHex } from '../../../common/bytes.js';
import type { Sad } from '../../../kernel/sad.js';
import type { Spd } from '../../../kernel/spd.js';
import { addr, hexKey, msg, saMsg, spMsg } from './support.js';

const PAIRS: [string, string][] = [['10.0.0.1', '10.0.0.2'], ['10.0.0.2', '10.0.0.1'], ['fd00::1', 'fd00::2']];
const SATYPES = [C.SADB_SATYPE_ESP, C.SADB_SATYPE_AH, C.SADB_X_SATYPE_IPCOMP, C.SADB_SATYPE_UNSPEC, C.SADB_SATYPE_RSVP];
const KINDS = [
  C.SADB_ADD, C.SADB_ADD, C.SADB_ADD, C.SADB_UPDATE, C.SADB_GETSPI, C.SADB_DELETE, C.SADB_GET, C.SADB_FLUSH, C.SADB_DUMP,
  C.SADB_REGISTER, C.SADB_X_PROMISC, C.SADB_ACQUIRE, C.SADB_X_SPDADD, C.SADB_X_SPDADD, C.SADB_X_SPDUPDATE,
  C.SADB_X_SPDDELETE, C.SADB_X_SPDDELETE2, C.SADB_X_SPDGET, C.SADB_X_SPDDUMP, C.SADB_X_SPDFLUSH, C.SADB_EXPIRE,
];

interface Plan {
  kind: number; satype: number; spi: number; pair: number; pid: number; seq: number; alg: number;
  lifetimes: number; dir: number; policy: number; id: number; withSa: boolean; mode: number; natt: boolean;
}

const planArb: fc.Arbitrary<Plan> = fc.record({
  kind: fc.constantFrom(...KINDS), satype: fc.constantFrom(...SATYPES), spi: fc.integer({ min: 0xf8, max: 0x10f }),
  pair: fc.integer({ min: 0, max: 2 }), pid: fc.constantFrom(1, 2), seq: fc.integer({ min: 0, max: 5 }),
  alg: fc.integer({ min: 0, max: 4 }), lifetimes: fc.integer({ min: 0, max: 3 }), dir: fc.constantFrom(1, 2, 3),
  policy: fc.constantFrom(0, 1, 2, 3), id: fc.integer({ min: 0, max: 12 }), withSa: fc.boolean(),
  mode: fc.constantFrom(0, 1, 2), natt: fc.boolean(),
}, { noNullPrototype: true });

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
    case C.SADB_ADD: case C.SADB_UPDATE: {
      const a = ALGS[p.alg]!;
      const extra: PfkeyMessage['ext'] = {};
      if (p.lifetimes & 1) extra.lifetimeHard = lt(100);
      if (p.lifetimes & 2) extra.lifetimeSoft = lt(80);
      if (p.natt) Object.assign(extra, { natTType: { type: 2 }, natTSport: { port: 4500 }, natTDport: { port: 4500 } });
      const m = saMsg({ type: p.kind, satype: p.satype, spi: p.spi, src, dst, pid: p.pid, seq: p.seq, mode: p.mode, ...a, extra });
      if (p.satype === C.SADB_X_SATYPE_IPCOMP) delete m.ext.keyEncrypt;
      return m;
    }
    case C.SADB_GETSPI:
      return msg(p.kind, p.satype, { ...addrs, spirange: { min: p.spi, max: p.spi } }, p.seq, p.pid);
    case C.SADB_DELETE: return msg(p.kind, p.satype, p.withSa ? { sa, ...addrs } : addrs, p.seq, p.pid);
    case C.SADB_GET: case C.SADB_EXPIRE: return msg(p.kind, p.satype, { sa, ...addrs }, p.seq, p.pid);
    case C.SADB_FLUSH: case C.SADB_DUMP: case C.SADB_REGISTER: return msg(p.kind, p.satype, {}, p.seq, p.pid);
    case C.SADB_X_PROMISC: return msg(p.kind, p.alg % 3, {}, p.seq, p.pid);
    case C.SADB_ACQUIRE: return msg(p.kind, p.satype, { ...addrs, proposal: { replay: 32, combs: [] } }, p.seq + 1, p.pid);
    case C.SADB_X_SPDDELETE2: case C.SADB_X_SPDGET:
      return msg(p.kind, 0, { policy: { type: 2, dir: p.dir, scope: 0, id: p.id, priority: 0, requests: [] } }, p.seq, p.pid);
    case C.SADB_X_SPDDUMP: case C.SADB_X_SPDFLUSH: return msg(p.kind, 0, {}, p.seq, p.pid);
    default:
      return spMsg({ type: p.kind, src, dst, dir: p.dir, policy: p.policy, mode: p.mode === 2 ? 2 : 1, tunnel: p.mode === 2 ? [src, dst] : undefined, seq: p.seq, pid: p.pid });
  }
}

export const plausible = planArb.map((p) => encodeMessage(build(p)));
export const mutated = fc.tuple(plausible, fc.array(fc.tuple(fc.nat(), fc.integer({ min: 0, max: 255 })), { minLength: 1, maxLength: 3 }), fc.option(fc.nat(), { nil: undefined }))
  .map(([b, edits, cut]) => {
    const out = new Uint8Array(b);
    for (const [pos, v] of edits) out[pos % out.length] = v;
    return cut === undefined || cut % 4 !== 0 ? out : out.subarray(0, cut % out.length);
  });
export const garbage = fc.uint8Array({ minLength: 0, maxLength: 80 });
export const messageArb = fc.oneof({ arbitrary: plausible, weight: 5 }, { arbitrary: mutated, weight: 4 }, { arbitrary: garbage, weight: 1 });

/** Everything PF_KEY can observe of the SAD (plus the key bytes), in dump order. */
export function sadState(sad: Sad): string {
  return sad.dump().map((s) => [
    s.proto, s.spi, s.state, s.mode, s.reqid, toHex(s.src), toHex(s.dst), s.encAlg?.name, s.authAlg?.name, s.compAlg?.name,
    s.encKey && toHex(s.encKey), s.authKey && toHex(s.authKey), s.replayBits, s.esn, s.ownerPid,
    JSON.stringify([s.hard, s.soft, s.natt ? [s.natt.sport, s.natt.dport] : 0]),
  ].join(',')).join('\n');
}

/** A cheaper per-step view: identity, state and parameters of every SA (key bytes only in sadState). */
export function sadFingerprint(sad: Sad): string {
  let out = '';
  for (const s of sad.dump()) out += `${s.proto}${s.spi}${s.state}${s.mode}${s.reqid}${s.src[3]}${s.encKey?.length}${s.authKey?.length}${s.replayBits}${s.ownerPid}${s.hard.addtimeSec}${s.soft.addtimeSec};`;
  return out;
}

export function spdState(spd: Spd): string {
  return spd.dump().map((p) => JSON.stringify({ ...p, selector: { ...p.selector, src: toHex(p.selector.src.addr), dst: toHex(p.selector.dst.addr) }, requests: p.requests.map((r) => ({ ...r, src: r.src && toHex(r.src), dst: r.dst && toHex(r.dst) })) })).join('\n');
}

