// `setkey -D --json` / `setkey -DP --json` (beyond ipsec-tools): one object per SA or policy with the fields
// `-D`/`-DP` print, named after them, as plain JSON values (addresses as text, keys as hex, names where the
// text form prints names). See docs/setkey.md for the field list.
import type { LifetimeView, PolicyView, SaView, U64 } from './view.js';
import { DUMP_NAMES, formatInetAddr } from './print.js';
import { protoName } from './netdb.js';
import * as C from '../pfkey/constants.js';

function name(table: readonly string[] | Readonly<Record<number, string>>, v: number): string | number {
  return (table as Record<number, string>)[v] ?? v;
}

/** A u64 as a JSON number when exact, else as a decimal string. */
function num(v: U64): number | string {
  const n = Number(v);
  return Number.isSafeInteger(n) ? n : v.toString();
}

function hex(b: Uint8Array): string {
  return Buffer.from(b).toString('hex');
}

export interface LifetimeJson {
  allocations: number;
  bytes: number | string;
  addtime: number | string;
  usetime: number | string;
}

function lifetime(l: LifetimeView | undefined): LifetimeJson | undefined {
  return l && { allocations: l.allocations, bytes: num(l.bytes), addtime: num(l.addtime), usetime: num(l.usetime) };
}

/**
 * One SA: the values of pfkey_sadump's lines. `keys` says whether the key bytes are included: setkey -D
 * shows them (it is the key tool); every other tool shows only the algorithm unless asked (issue 11 item 9).
 */
export function saToJson(sa: SaView, opts: { keys: boolean }): Record<string, unknown> {
  const o: Record<string, unknown> = {
    src: formatInetAddr(sa.src.addr),
    dst: formatInetAddr(sa.dst.addr),
    srcPort: sa.src.port,
    dstPort: sa.dst.port,
    satype: name(DUMP_NAMES.satype, sa.satype),
    mode: name(DUMP_NAMES.mode, sa.mode),
    spi: sa.spi >>> 0,
    reqid: sa.reqid >>> 0,
  };
  if (sa.natt && sa.natt.type !== 0) {
    o.natt = {
      type: sa.natt.type,
      sport: sa.natt.sport ?? null,
      dport: sa.natt.dport ?? null,
      oa: sa.natt.oa ? formatInetAddr(sa.natt.oa) : null,
    };
  }
  if (sa.satype === C.SADB_X_SATYPE_IPCOMP) o.compression = name(DUMP_NAMES.comp, sa.encAlg);
  else if (sa.satype === C.SADB_SATYPE_ESP && sa.encKey)
    o.encryption = { alg: name(DUMP_NAMES.enc, sa.encAlg), ...(opts.keys ? { key: hex(sa.encKey) } : {}) };
  if (sa.authKey)
    o.authentication = { alg: name(DUMP_NAMES.auth, sa.authAlg), ...(opts.keys ? { key: hex(sa.authKey) } : {}) };
  Object.assign(o, {
    seq: sa.seq >>> 0,
    replay: sa.replay,
    flags: sa.flags >>> 0,
    state: name(DUMP_NAMES.state, sa.state),
  });
  if (sa.current)
    o.lifetime = { current: lifetime(sa.current), hard: lifetime(sa.hard) ?? null, soft: lifetime(sa.soft) ?? null };
  return Object.assign(o, { sadbSeq: sa.msgSeq >>> 0, pid: sa.pid >>> 0, refcnt: sa.refcnt });
}

function reqToJson(r: PolicyView['requests'][number]): Record<string, unknown> {
  const o: Record<string, unknown> = { proto: name(DUMP_NAMES.reqProto, r.proto), mode: name(DUMP_NAMES.mode, r.mode) };
  if (r.src && r.dst)
    Object.assign(o, {
      src: formatInetAddr(r.src.addr),
      srcPort: r.src.port,
      dst: formatInetAddr(r.dst.addr),
      dstPort: r.dst.port,
    });
  return Object.assign(o, { level: name(DUMP_NAMES.level, r.level), reqid: r.reqid >>> 0 });
}

/** One policy: the values of pfkey_spdump's lines (`upper` is the protocol name, or its number as -DP prints it). */
export function policyToJson(pv: PolicyView): Record<string, unknown> {
  const o: Record<string, unknown> = {};
  if (pv.src && pv.dst) {
    Object.assign(o, {
      src: formatInetAddr(pv.src.addr),
      srcPrefix: pv.src.prefixLen,
      srcPort: pv.src.port,
      dst: formatInetAddr(pv.dst.addr),
      dstPrefix: pv.dst.prefixLen,
      dstPort: pv.dst.port,
    });
  }
  if (pv.tag !== undefined) o.tag = pv.tag;
  Object.assign(o, {
    upper: protoName(pv.upperProto) ?? pv.upperProto,
    upperProto: pv.upperProto,
    dir: name(DUMP_NAMES.dir, pv.dir),
    priority: pv.priority >>> 0,
    action: name(DUMP_NAMES.policyType, pv.type),
    requests: pv.type === C.IPSEC_POLICY_IPSEC ? pv.requests.map(reqToJson) : [],
  });
  if (pv.current) Object.assign(o, { created: num(pv.current.addtime), lastused: num(pv.current.usetime) });
  if (pv.hard) Object.assign(o, { lifetime: num(pv.hard.addtime), validtime: num(pv.hard.usetime) });
  return Object.assign(o, { spid: pv.id >>> 0, seq: pv.msgSeq >>> 0, pid: pv.pid >>> 0, refcnt: pv.refcnt });
}
