// Adapter from decoded PF_KEY messages (pfkey/msg.ts) to the print views, and the reply handling of
// ipsec-tools setkey.c postproc: errno texts (`No SAD entries.`, `No entry.`, strerror), DUMP/GET/SPDDUMP.
import * as C from '../pfkey/constants.js';
import { decodeMessage, decodeSadbMsg, type PfkeyMessage } from '../pfkey/msg.js';
import { PfkeyError, ERRNO_NUMBERS } from '../pfkey/errors.js';
import type { LifetimeView, PolicyView, SaView } from './view.js';
import { printPolicy, printSa, printShortSa, type PrintOptions } from './print.js';

type Lifetime = NonNullable<PfkeyMessage['ext']['lifetimeCurrent']>;

function lifetime(l: Lifetime | undefined): LifetimeView | undefined {
  return l && { allocations: l.allocations, bytes: l.bytes, addtime: l.addtime, usetime: l.usetime };
}

/** The SA view of a DUMP/GET reply, or the line ipsec-tools prints when an extension is missing. */
export function saViewFromMessage(m: PfkeyMessage): SaView | string {
  const { ext, msg } = m;
  if (!ext.addressSrc) return 'no ADDRESS_SRC extension.';
  if (!ext.addressDst) return 'no ADDRESS_DST extension.';
  if (!ext.sa) return 'no SA extension.';
  if (!ext.sa2) return 'no SA2 extension.';
  const natt = ext.natTType && {
    type: ext.natTType.type,
    sport: ext.natTSport?.port,
    dport: ext.natTDport?.port,
    oa: ext.natTOai?.addr.addr,
  };
  return {
    satype: msg.satype,
    src: { addr: ext.addressSrc.addr.addr, port: ext.addressSrc.addr.port, proto: ext.addressSrc.proto },
    dst: { addr: ext.addressDst.addr.addr, port: ext.addressDst.addr.port, proto: ext.addressDst.proto },
    spi: ext.sa.spi,
    mode: ext.sa2.mode,
    reqid: ext.sa2.reqid,
    seq: ext.sa2.sequence,
    state: ext.sa.state,
    encAlg: ext.sa.encrypt,
    authAlg: ext.sa.auth,
    encKey: ext.keyEncrypt?.key,
    authKey: ext.keyAuth?.key,
    // FreeBSD sends windows above 255 packets in SADB_X_EXT_SA_REPLAY (in packets); show bytes as sadb_sa_replay does.
    replay: ext.saReplay ? ext.saReplay.replay >>> 3 : ext.sa.replay,
    flags: ext.sa.flags,
    natt,
    current: lifetime(ext.lifetimeCurrent),
    hard: lifetime(ext.lifetimeHard),
    soft: lifetime(ext.lifetimeSoft),
    msgSeq: msg.seq,
    pid: msg.pid,
    refcnt: msg.reserved,
  };
}

/** The policy view of an SPDDUMP/SPDGET reply, or the line ipsec-tools prints when X_POLICY is missing. */
export function policyViewFromMessage(m: PfkeyMessage): PolicyView | string {
  const { ext, msg } = m;
  if (!ext.policy) return 'no X_POLICY extension.';
  const sel = (a: PfkeyMessage['ext']['addressSrc']) =>
    a && { addr: a.addr.addr, prefixLen: a.prefixlen, port: a.addr.port };
  const src = sel(ext.addressSrc),
    dst = sel(ext.addressDst);
  return {
    src: src && dst ? src : undefined,
    dst: src && dst ? dst : undefined,
    upperProto: ext.addressSrc?.proto ?? C.IPSEC_ULPROTO_ANY,
    dir: ext.policy.dir,
    type: ext.policy.type,
    // FreeBSD reuses the priority field as an ifindex for ifnet-scope policies.
    priority: ext.policy.scope === C.IPSEC_POLICYSCOPE_IFNET ? 0 : ext.policy.priority,
    id: ext.policy.id,
    requests: ext.policy.requests.map((r) => ({
      proto: r.proto,
      mode: r.mode,
      level: r.level,
      reqid: r.reqid,
      src: r.src && { addr: r.src.addr, port: r.src.port },
      dst: r.dst && { addr: r.dst.addr, port: r.dst.port },
    })),
    current: lifetime(ext.lifetimeCurrent),
    hard: lifetime(ext.lifetimeHard),
    msgSeq: msg.seq,
    pid: msg.pid,
    refcnt: msg.reserved,
  };
}

// strerror() texts of the errnos a KAME kernel answers with (FreeBSD numbering, pfkey/errors.ts).
const STRERROR: Record<number, string> = {
  1: 'Operation not permitted',
  2: 'No such file or directory',
  3: 'No such process',
  12: 'Cannot allocate memory',
  16: 'Device busy',
  17: 'File exists',
  22: 'Invalid argument',
  40: 'Message too long',
  43: 'Protocol not supported',
  45: 'Operation not supported',
  47: 'Address family not supported by protocol family',
  55: 'No buffer space available',
};

export interface ReplyOptions extends PrintOptions {
  /** `-l`: short one-line form for DUMP replies. */
  short?: boolean;
}

/** What setkey prints for one reply (postproc): error text, or the SA / SP dump; '' for other replies. */
export function formatReply(m: PfkeyMessage, o: ReplyOptions): string {
  const { msg } = m;
  if (msg.errno !== 0) {
    let text = STRERROR[msg.errno] ?? `Unknown error: ${msg.errno}`;
    if (msg.errno === ERRNO_NUMBERS.ENOENT) {
      if (msg.type === C.SADB_DUMP) text = 'No SAD entries';
      else if (msg.type === C.SADB_X_SPDDUMP) text = 'No SPD entries';
      else if (msg.type === C.SADB_DELETE || msg.type === C.SADB_GET || msg.type === C.SADB_X_SPDDELETE)
        text = 'No entry';
    }
    return `${text}.\n`;
  }
  switch (msg.type) {
    case C.SADB_GET:
    case C.SADB_DUMP: {
      const v = saViewFromMessage(m);
      if (typeof v === 'string') return `${v}\n`;
      if (msg.type === C.SADB_DUMP && !o.all && v.state === C.SADB_SASTATE_DEAD) return '';
      return msg.type === C.SADB_DUMP && o.short ? printShortSa(v, o) : printSa(v, o);
    }
    case C.SADB_X_SPDGET:
    case C.SADB_X_SPDDUMP: {
      const v = policyViewFromMessage(m);
      return typeof v === 'string' ? `${v}\n` : printPolicy(v, o);
    }
    default:
      return '';
  }
}

/** All replies of one request (a multi-part dump) as setkey prints them. */
export function formatReplies(ms: readonly PfkeyMessage[], o: ReplyOptions): string {
  return ms.map((m) => formatReply(m, o)).join('');
}

/**
 * `setkey file...`: a file of raw PF_KEY messages back to back (setkey.c fileproc), printed as replies.
 * A message that does not decode prints the codec's reason, and reading stops there.
 */
export function formatMessageFile(bytes: Uint8Array, o: ReplyOptions): string {
  let out = '';
  for (let p = 0; p < bytes.length;) {
    try {
      const len = decodeSadbMsg(bytes, p).lenBytes;
      if (p + len > bytes.length) return out + `sadb_msg_len runs past the end of the file at byte ${p}.\n`;
      out += formatReply(decodeMessage(bytes.subarray(p, p + len)), o);
      p += len;
    } catch (e) {
      if (!(e instanceof PfkeyError)) throw e;
      return out + `${e.message}\n`;
    }
  }
  return out;
}
