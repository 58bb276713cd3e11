// The text of `setkey -D`, `-DP` and `-D -l`, byte for byte as ipsec-tools 0.8.2 prints it
// (libipsec pfkey_dump.c pfkey_sadump1/pfkey_spdump1, ipsec_dump_policy.c, setkey.c shortdump),
// from the neutral views of view.ts. Times are formatted like ctime() in the zone given (UTC by default).
import type { LifetimeView, PolicyView, RequestView, SaView, U64 } from './view.js';
import { protoName, protoHasTypeCode, IPPROTO_GRE } from './netdb.js';
import { PRIORITY_DEFAULT, PRIORITY_HIGH, PRIORITY_LOW } from '../pfkey/constants.js';
import * as C from '../pfkey/constants.js';

export interface PrintOptions {
  /** Seconds since the epoch: the `current:` time and the base of `diff:`. */
  nowSec: number;
  /** Offset of local time from UTC in seconds, for ctime()-style times (default 0 = UTC). */
  utcOffsetSec?: number;
  /** `-p`: print ports on SA addresses and on tunnel endpoints. */
  withPorts?: boolean;
  /** `-a`: also print DEAD SAs (setkey filters them otherwise). */
  all?: boolean;
}

// Name tables of pfkey_dump.c; index = wire value. Unknown values print as decimal.
const SATYPE = [
  'unspec',
  'unknown',
  'ah',
  'esp',
  'unknown',
  'rsvp',
  'ospfv2',
  'ripv2',
  'mip',
  'ipcomp',
  'policy',
  'tcp',
];
const MODE = ['any', 'transport', 'tunnel'];
const STATE = ['larval', 'mature', 'dying', 'dead'];
const ENC_NAMES: Record<number, string> = {
  [C.SADB_EALG_NONE]: 'none',
  [C.SADB_EALG_DESCBC]: 'des-cbc',
  [C.SADB_EALG_3DESCBC]: '3des-cbc',
  [C.SADB_EALG_NULL]: 'null',
  [C.SADB_X_EALG_CAST128CBC]: 'cast128-cbc',
  [C.SADB_X_EALG_BLOWFISHCBC]: 'blowfish-cbc',
  [C.SADB_X_EALG_AESCBC]: 'aes-cbc',
  [C.SADB_X_EALG_TWOFISHCBC]: 'twofish-cbc',
  [C.SADB_X_EALG_AESCTR]: 'aes-ctr',
  [C.SADB_X_EALG_CAMELLIACBC]: 'camellia-cbc',
  // ipsec-tools 0.8.2 has no names for these; NetBSD/FreeBSD libipsec print them so
  [C.SADB_X_EALG_AESGCM16]: 'aes-gcm-16',
  [C.SADB_X_EALG_AESGMAC]: 'aes-gmac',
  [C.SADB_X_EALG_CHACHA20POLY1305]: 'chacha20-poly1305',
};
const AUTH_NAMES: Record<number, string> = {
  [C.SADB_AALG_NONE]: 'none',
  [C.SADB_AALG_MD5HMAC]: 'hmac-md5',
  [C.SADB_AALG_SHA1HMAC]: 'hmac-sha1',
  [C.SADB_X_AALG_MD5]: 'md5',
  [C.SADB_X_AALG_SHA]: 'sha',
  [C.SADB_X_AALG_NULL]: 'null',
  [C.SADB_X_AALG_TCP_MD5]: 'tcp-md5',
  [C.SADB_X_AALG_SHA2_256]: 'hmac-sha256',
  [C.SADB_X_AALG_SHA2_384]: 'hmac-sha384',
  [C.SADB_X_AALG_SHA2_512]: 'hmac-sha512',
  [C.SADB_X_AALG_RIPEMD160HMAC]: 'hmac-ripemd160',
  [C.SADB_X_AALG_AES_XCBC_MAC]: 'aes-xcbc-mac',
};
const COMP_NAMES: Record<number, string> = {
  [C.SADB_X_CALG_NONE]: 'none',
  [C.SADB_X_CALG_OUI]: 'oui',
  [C.SADB_X_CALG_DEFLATE]: 'deflate',
  [C.SADB_X_CALG_LZS]: 'lzs',
};
const DIR = ['any', 'in', 'out', 'fwd'];
const POLICY_TYPE = ['discard', 'none', 'ipsec', 'entrust', 'bypass'];
const LEVEL = ['default', 'use', 'require', 'unique'];
const REQ_PROTO: Record<number, string> = {
  [C.IPPROTO_ESP]: 'esp',
  [C.IPPROTO_AH]: 'ah',
  [C.IPPROTO_IPCOMP]: 'ipcomp',
};

/** The name tables above, for other printers (the --json form); index = wire value. */
export const DUMP_NAMES = {
  satype: SATYPE,
  mode: MODE,
  state: STATE,
  enc: ENC_NAMES,
  auth: AUTH_NAMES,
  comp: COMP_NAMES,
  dir: DIR,
  policyType: POLICY_TYPE,
  level: LEVEL,
  reqProto: REQ_PROTO,
} as const;

/** GETMSGSTR / GETMSGV2S: the name and a space, or the number and a space. */
function nameOr(table: readonly string[] | Record<number, string>, v: number): string {
  const s = (table as Record<number, string>)[v];
  return `${s || v >>> 0} `;
}

/** A u64 as C prints it with %lu. */
function u64(v: U64): string {
  return typeof v === 'bigint' ? v.toString() : String(Math.trunc(v));
}

/** inet_ntop text (glibc): IPv4-mapped and IPv4-compatible IPv6 keep a dotted tail. */
export function formatInetAddr(a: Uint8Array): string {
  if (a.length === 4) return `${a[0]}.${a[1]}.${a[2]}.${a[3]}`;
  if (a.length !== 16) return '?';
  const w: number[] = [];
  for (let i = 0; i < 16; i += 2) w.push((a[i]! << 8) | a[i + 1]!);
  const zero5 = w.slice(0, 5).every((x) => x === 0);
  const dotted = `${a[12]}.${a[13]}.${a[14]}.${a[15]}`;
  if (zero5 && w[5] === 0xffff) return `::ffff:${dotted}`;
  if (zero5 && w[5] === 0 && (w[6] !== 0 || w[7]! > 1)) return `::${dotted}`;
  let best = -1,
    bestLen = 1;
  for (let i = 0; i < 8;) {
    if (w[i] !== 0) {
      i++;
      continue;
    }
    let j = i;
    while (j < 8 && w[j] === 0) j++;
    if (j - i > bestLen) {
      best = i;
      bestLen = j - i;
    }
    i = j;
  }
  const hex = w.map((x) => x.toString(16));
  if (best < 0) return hex.join(':');
  return `${hex.slice(0, best).join(':')}::${hex.slice(best + bestLen).join(':')}`;
}

const MONTHS = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];

/** pfkey_dump.c str_time: 20 characters of ctime() from the month on; 0 prints 20 spaces. */
export function strTime(t: U64, utcOffsetSec = 0): string {
  const sec = Number(t);
  if (sec === 0) return ' '.repeat(20);
  const d = new Date((sec + utcOffsetSec) * 1000);
  if (Number.isNaN(d.getTime())) return '?'.repeat(20);
  const p2 = (n: number): string => String(n).padStart(2, '0');
  return `${MONTHS[d.getUTCMonth()]}${String(d.getUTCDate()).padStart(3)} ${p2(d.getUTCHours())}:${p2(d.getUTCMinutes())}:${p2(d.getUTCSeconds())} ${d.getUTCFullYear()}`.slice(
    0,
    20,
  );
}

/** libipsec ipsec_hexdump: a space before each 4-byte group, a newline every 32 bytes. */
export function hexdump(b: Uint8Array): string {
  let s = '';
  for (let i = 0; i < b.length; i++) {
    if (i !== 0 && i % 32 === 0) s += '\n';
    if (i % 4 === 0) s += ' ';
    s += b[i]!.toString(16).padStart(2, '0');
  }
  return s;
}

function lifetimeBytes(l: LifetimeView | undefined, label: string): string {
  // str_lifetime_byte prints the u64 through a double with %.0f.
  return `\t${label}: ${l ? BigInt(Math.round(Number(l.bytes))).toString() : '0'}(bytes)`;
}

function saLifetimes(sa: SaView, o: PrintOptions): string {
  const c = sa.current!,
    h = sa.hard,
    s = sa.soft;
  const off = o.utcOffsetSec ?? 0;
  const diff = Number(c.addtime) === 0 ? '0' : (BigInt(Math.trunc(o.nowSec)) - BigInt(u64(c.addtime))).toString();
  return (
    `\tcreated: ${strTime(c.addtime, off)}\tcurrent: ${strTime(o.nowSec, off)}\n` +
    `\tdiff: ${diff}(s)\thard: ${u64(h?.addtime ?? 0)}(s)\tsoft: ${u64(s?.addtime ?? 0)}(s)\n` +
    `\tlast: ${strTime(c.usetime, off)}\thard: ${u64(h?.usetime ?? 0)}(s)\tsoft: ${u64(s?.usetime ?? 0)}(s)\n` +
    `${lifetimeBytes(c, 'current')}${lifetimeBytes(h, 'hard')}${lifetimeBytes(s, 'soft')}\n` +
    `\tallocated: ${c.allocations}\thard: ${h?.allocations ?? 0}\tsoft: ${s?.allocations ?? 0}\n`
  );
}

function secCtxLines(c: { doi: number; alg: number; text: string }): string {
  return (
    `\tsecurity context doi: ${c.doi}\n\tsecurity context algorithm: ${c.alg}\n` +
    `\tsecurity context length: ${Buffer.byteLength(c.text) + 1}\n\tsecurity context: ${c.text}\n`
  );
}

/** One SA block of `setkey -D` (pfkey_sadump1). */
export function printSa(sa: SaView, o: PrintOptions): string {
  const natt = !!sa.natt && sa.natt.type !== 0;
  const host = (e: SaView['src'], nattPort: number | undefined): string =>
    formatInetAddr(e.addr) +
    (o.withPorts ? `[${e.port}]` : '') +
    (natt && nattPort !== undefined ? `[${nattPort}]` : '');
  let s = `${host(sa.src, sa.natt?.sport)} ${host(sa.dst, sa.natt?.dport)} \n\t`;
  if (natt && sa.satype === C.SADB_SATYPE_ESP) s += 'esp-udp ';
  else s += (natt ? 'natt+' : '') + nameOr(SATYPE, sa.satype);
  s += `mode=${nameOr(MODE, sa.mode)}`;
  const hex8 = (n: number): string => (n >>> 0).toString(16).padStart(8, '0');
  s += `spi=${sa.spi >>> 0}(0x${hex8(sa.spi)}) reqid=${sa.reqid >>> 0}(0x${hex8(sa.reqid)})\n`;
  if (natt && sa.natt!.oa) s += `\tNAT OA=${formatInetAddr(sa.natt!.oa)}\n`;
  if (sa.satype === C.SADB_X_SATYPE_IPCOMP)
    s += `\tC: ${nameOr(COMP_NAMES, sa.encAlg)}`; // no newline: ipsec-tools quirk
  else if (sa.satype === C.SADB_SATYPE_ESP && sa.encKey)
    s += `\tE: ${nameOr(ENC_NAMES, sa.encAlg)}${hexdump(sa.encKey)}\n`;
  if (sa.authKey) s += `\tA: ${nameOr(AUTH_NAMES, sa.authAlg)}${hexdump(sa.authKey)}\n`;
  s += `\tseq=0x${hex8(sa.seq)} replay=${sa.replay} flags=0x${hex8(sa.flags)} state=${nameOr(STATE, sa.state)}\n`;
  if (sa.current) s += saLifetimes(sa, o);
  if (sa.secCtx) s += secCtxLines(sa.secCtx);
  return s + `\tsadb_seq=${sa.msgSeq >>> 0} pid=${sa.pid >>> 0} refcnt=${sa.refcnt}\n`;
}

/** The whole `setkey -D` output: DEAD SAs filtered unless `all`; `No SAD entries.` when empty. */
export function printSad(sas: readonly SaView[], o: PrintOptions): string {
  if (sas.length === 0) return 'No SAD entries.\n';
  return sas
    .filter((sa) => o.all || sa.state !== C.SADB_SASTATE_DEAD)
    .map((sa) => printSa(sa, o))
    .join('');
}

/** str_prefport: `/prefix` unless a host prefix, then `[port]`/`[any]` unless ICMP, ICMPv6, MH or GRE. */
function prefPort(addrLen: number, pref: number, port: number, ulp: number): string {
  const p = pref === addrLen * 8 ? '' : `/${pref}`;
  if (protoHasTypeCode(ulp) || ulp === IPPROTO_GRE) return p;
  return p + (port === 0 ? '[any]' : `[${port}]`);
}

/** str_upperspec: the protocol name (or number), then ICMP `type,code` or the GRE key if not wildcards. */
function upperSpec(ulp: number, p1: number, p2: number): string {
  const name = protoName(ulp) ?? String(ulp);
  if (p1 === 0 && p2 === 0) return name;
  if (protoHasTypeCode(ulp)) return `${name} ${p1},${p2}`;
  if (ulp === IPPROTO_GRE) return `${name} ${(p1 * 65536 + p2) >>> 0}`;
  return name;
}

/** ipsec_dump_policy: `dir [prio base [+|- n]] action`, one request per delimiter. */
export function dumpPolicy(pv: PolicyView, delimiter: string, withPorts = false): string {
  let head = `${DIR[pv.dir] ?? pv.dir} `;
  if (pv.priority !== 0) {
    const pr = pv.priority >>> 0;
    const [base, word] =
      pr < (PRIORITY_DEFAULT / 4) * 3
        ? [PRIORITY_HIGH, 'high']
        : pr < (PRIORITY_DEFAULT / 4) * 5
          ? [PRIORITY_DEFAULT, 'def']
          : [PRIORITY_LOW, 'low'];
    const off = -((pr - base) | 0); // "+ n" means n below the base value
    head += off === 0 ? `prio ${word} ` : `prio ${word} ${off < 0 ? '-' : '+'} ${Math.abs(off)} `;
  }
  head += POLICY_TYPE[pv.type] ?? String(pv.type);
  if (pv.type !== C.IPSEC_POLICY_IPSEC) return head;
  return head + pv.requests.map((r) => delimiter + dumpRequest(r, withPorts)).join('');
}

function dumpRequest(r: RequestView, withPorts: boolean): string {
  const ep = (e: { addr: Uint8Array; port: number }): string =>
    formatInetAddr(e.addr) + (withPorts ? `[${e.port}]` : '');
  const addrs = r.src && r.dst ? `${ep(r.src)}-${ep(r.dst)}` : '';
  const base = `${REQ_PROTO[r.proto] ?? r.proto}/${MODE[r.mode] ?? r.mode}/${addrs}/${LEVEL[r.level] ?? r.level}`;
  if (r.reqid === 0) return base;
  return `${base}${r.reqid > C.IPSEC_MANUAL_REQID_MAX ? '#' : ':'}${r.reqid >>> 0}`;
}

/** One SP block of `setkey -DP` (pfkey_spdump1). */
export function printPolicy(pv: PolicyView, o: PrintOptions): string {
  let s: string;
  if (pv.src && pv.dst) {
    const ulp = pv.upperProto;
    s =
      `${formatInetAddr(pv.src.addr)}${prefPort(pv.src.addr.length, pv.src.prefixLen, pv.src.port, ulp)} ` +
      `${formatInetAddr(pv.dst.addr)}${prefPort(pv.dst.addr.length, pv.dst.prefixLen, pv.dst.port, ulp)} ` +
      upperSpec(ulp, pv.src.port, pv.dst.port);
  } else if (pv.tag !== undefined) {
    s = `tagged "${pv.tag}" `;
  } else {
    s = '(no selector, probably per-socket policy) ';
  }
  s += `\n\t${dumpPolicy(pv, '\n\t', o.withPorts)}\n`;
  const off = o.utcOffsetSec ?? 0;
  if (pv.current)
    s += `\tcreated: ${strTime(pv.current.addtime, off)}  lastused: ${strTime(pv.current.usetime, off)}\n`;
  if (pv.hard) s += `\tlifetime: ${u64(pv.hard.addtime)}(s) validtime: ${u64(pv.hard.usetime)}(s)\n`;
  if (pv.secCtx) s += secCtxLines(pv.secCtx);
  return s + `\tspid=${pv.id >>> 0} seq=${pv.msgSeq >>> 0} pid=${pv.pid >>> 0}\n\trefcnt=${pv.refcnt}\n`;
}

/** The whole `setkey -DP` output; `No SPD entries.` when empty. */
export function printSpd(pvs: readonly PolicyView[], o: PrintOptions): string {
  if (pvs.length === 0) return 'No SPD entries.\n';
  return pvs.map((pv) => printPolicy(pv, o)).join('');
}

// setkey.c shortdump tables: satype, state letters, and its own short protocol names.
const SHORT_SATYPE: Record<number, string> = { 2: 'ah', 3: 'esp' };
const SHORT_STATE = ['L', 'M', 'D', 'd'];
const SHORT_PROTO: Record<number, string> = {
  0: 'ip',
  1: 'icmp',
  2: 'igmp',
  3: 'ggp',
  4: 'ip4',
  6: 'tcp',
  8: 'egp',
  17: 'udp',
  22: 'idp',
  29: 'tp',
  41: 'ip6',
  43: 'rt6',
  44: 'frag6',
  46: 'rsvp',
  47: 'gre',
  50: 'esp',
  51: 'ah',
  58: 'icmp6',
  59: 'none',
  60: 'dst6',
};

/** The `setkey -D -l` header line (shortdump_hdr). */
export function printShortHeader(): string {
  return `${'time'.padEnd(4)} ${'p'.padEnd(3)} ${'s'.padEnd(1)} ${'spi'.padEnd(8)} ${'ltime'.padEnd(7)} src -> dst\n`;
}

/** One `setkey -D -l` row (shortdump). */
export function printShortSa(sa: SaView, o: PrintOptions): string {
  const cur = o.nowSec;
  const p2 = (n: number): string => String(n).padStart(2, '0');
  const idOr = (t: Record<number, string> | readonly string[], v: number): string =>
    (t as Record<number, string>)[v] ?? `#${v}`;
  let s = `${p2(Math.floor((cur % 3600) / 60))}${p2(cur % 60)}`;
  s += ` ${idOr(SHORT_SATYPE, sa.satype).padEnd(3)}`;
  s += ` ${idOr(SHORT_STATE, sa.state).padEnd(1)} ${(sa.spi >>> 0).toString(16).padStart(8, '0')}`;
  if (sa.soft && sa.hard && sa.current) {
    const age = Number(sa.current.addtime) === 0 ? 0 : cur - Number(sa.current.addtime);
    s += age >= 1000 ? ' big/' : ` ${String(age).padStart(3)}/`;
    const hard = Number(sa.hard.addtime);
    s += hard >= 1000 ? 'big' : String(hard).padEnd(3);
  } else {
    s += ' ???/???';
  }
  const ep = (e: SaView['src']): string =>
    (e.proto ? `${idOr(SHORT_PROTO, e.proto)} ` : '') + formatInetAddr(e.addr) + (e.port !== 0 ? `[${e.port}]` : '');
  return `${s} ${ep(sa.src)} -> ${ep(sa.dst)}\n`;
}
