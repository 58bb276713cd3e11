// racoon's admin port messages (ipsec-tools admin.h, evt.h, handler.h struct ph1dump): `struct admin_com`
// (ac_len, ac_cmd, ac_errno|ac_version, ac_proto) then the command's body, all in host byte order, with the
// C structures laid out as Linux x86-64 / aarch64 lay them (sockaddr_storage 128 bytes aligned on 8, time_t 8).
// Pure codecs: every decoder checks lengths first and throws AdminWireError.
import { endianness } from 'node:os';

export class AdminWireError extends Error {}

/** Host byte order, as racoon and racoonctl write these structures (admin.h: "NOTE: host byte order"). */
const LE = endianness() === 'LE';

// Commands (admin.h).
export const ADMIN_RELOAD_CONF = 0x0001;
export const ADMIN_SHOW_SCHED = 0x0002;
export const ADMIN_SHOW_EVT = 0x0003;
export const ADMIN_SHOW_SA = 0x0101;
export const ADMIN_FLUSH_SA = 0x0102;
export const ADMIN_DELETE_SA = 0x0201;
export const ADMIN_ESTABLISH_SA = 0x0202;
export const ADMIN_ESTABLISH_SA_PSK = 0x0203;
export const ADMIN_DELETE_ALL_SA_DST = 0x0204;
export const ADMIN_LOGOUT_USER = 0x0205;
export const ADMIN_GET_SA_CERT = 0x0206;
/** Ours, not ipsec-tools': a text command (show-sa ike, show-stats) as JSON `{cmd,args}`, the reply JSON too. */
export const ADMIN_X_UIPSEC_TEXT = 0x0e01;
/** In a request: ac_version is meaningful (racoonctl sets 1: "push events on this connection"). */
export const ADMIN_FLAG_VERSION = 0x8000;
/** In a reply: the length's high 16 bits are in the ac_errno field. */
export const ADMIN_FLAG_LONG_REPLY = 0x8000;

// ac_proto values (admin.h).
export const ADMIN_PROTO_ISAKMP = 0x01ff;
export const ADMIN_PROTO_IPSEC = 0x02ff;
export const ADMIN_PROTO_AH = 0x0201;
export const ADMIN_PROTO_ESP = 0x0202;
export const ADMIN_PROTO_INTERNAL = 0x0301;

// Events (evt.h, new style).
export const EVT_RACOON_QUIT = 0x0001;
export const EVT_PHASE1_UP = 0x0100;
export const EVT_PHASE1_DOWN = 0x0101;
export const EVT_PHASE1_NO_RESPONSE = 0x0102;
export const EVT_PHASE1_NO_PROPOSAL = 0x0103;
export const EVT_PHASE1_AUTH_FAILED = 0x0104;
export const EVT_PHASE1_DPD_TIMEOUT = 0x0105;
export const EVT_PHASE1_PEER_DELETED = 0x0106;
export const EVT_PHASE1_MODE_CFG = 0x0107;
export const EVT_PHASE1_XAUTH_SUCCESS = 0x0108;
export const EVT_PHASE1_XAUTH_FAILED = 0x0109;
export const EVT_PHASE2_NO_PHASE1 = 0x0200;
export const EVT_PHASE2_UP = 0x0201;
export const EVT_PHASE2_DOWN = 0x0202;
export const EVT_PHASE2_NO_RESPONSE = 0x0203;

// Sizes of the C structures.
export const ADMIN_COM_LEN = 8;
const SS_LEN = 128; // struct sockaddr_storage
export const INDEXES_LEN = 8 + 2 * SS_LEN; // struct admin_com_indexes: 4 bytes, padding to 8, src, dst
export const PSK_LEN = 24; // struct admin_com_psk: int id_type, size_t id_len, size_t key_len
export const PH1DUMP_LEN = 304; // struct ph1dump
export const EVT_ASYNC_LEN = 280; // struct evt_async
/** racoon's LOGINLEN (isakmp_xauth.h): the longest XAuth login logout-user takes. */
export const LOGINLEN = 31;

// The host's own address families in these structures (Linux: 2 and 10), not PF_KEY's (FreeBSD) numbering.
const HOST_INET = 2;
const HOST_INET6 = 10;

export interface AdminHeader {
  /** The whole message's length (with the long-reply high bits when ADMIN_FLAG_LONG_REPLY is set). */
  len: number;
  cmd: number;
  /** ac_errno (a reply), or ac_version (a request with ADMIN_FLAG_VERSION). */
  errno: number;
  proto: number;
}

/** A socket address as racoon keeps one (port 0 when none); family 0: none ("anonymous"). */
export interface SockAddr {
  addr: Uint8Array;
  port: number;
}

const view = (b: Uint8Array) => new DataView(b.buffer, b.byteOffset, b.byteLength);

export function encodeHeader(h: AdminHeader): Uint8Array {
  const b = new Uint8Array(ADMIN_COM_LEN);
  const v = view(b);
  v.setUint16(0, h.len & 0xffff, LE);
  v.setUint16(2, h.cmd, LE);
  v.setInt16(4, h.errno, LE);
  v.setUint16(6, h.proto, LE);
  return b;
}

/**
 * The header at the start of `b`; `len` is the full length (a reply's long-reply bits included). A request's
 * 0x8000 is ADMIN_FLAG_VERSION, the same bit: `reply` false reads it so (ac_errno is then ac_version).
 */
export function decodeHeader(b: Uint8Array, reply = true): AdminHeader {
  if (b.length < ADMIN_COM_LEN) throw new AdminWireError(`admin header needs ${ADMIN_COM_LEN} bytes, got ${b.length}`);
  const v = view(b);
  const cmd = v.getUint16(2, LE);
  const lenLow = v.getUint16(0, LE);
  const long = reply && (cmd & ADMIN_FLAG_LONG_REPLY) !== 0;
  return {
    len: long ? lenLow + v.getUint16(4, LE) * 0x10000 : lenLow,
    cmd,
    errno: long ? 0 : v.getInt16(4, LE),
    proto: v.getUint16(6, LE),
  };
}

/** A whole reply: header and body; a body over 64 KiB sets ADMIN_FLAG_LONG_REPLY (admin.c admin_reply). */
export function encodeReply(cmd: number, proto: number, errno: number, body?: Uint8Array): Uint8Array {
  const len = ADMIN_COM_LEN + (body?.length ?? 0);
  const out = new Uint8Array(len);
  const long = len > 0xffff && errno === 0;
  out.set(
    encodeHeader({
      len,
      cmd: (cmd & ~ADMIN_FLAG_VERSION) | (long ? ADMIN_FLAG_LONG_REPLY : 0),
      errno: long ? len >>> 16 : errno,
      proto,
    }),
  );
  if (body) out.set(body, ADMIN_COM_LEN);
  return out;
}

/** A request as racoonctl builds one (make_request: ADMIN_FLAG_VERSION, ac_version 1). */
export function encodeRequest(cmd: number, proto: number, body?: Uint8Array, version = 1): Uint8Array {
  const len = ADMIN_COM_LEN + (body?.length ?? 0);
  if (len > 0xffff) throw new AdminWireError('admin request over 64 KiB');
  const out = new Uint8Array(len);
  out.set(encodeHeader({ len, cmd: cmd | (version ? ADMIN_FLAG_VERSION : 0), errno: version, proto }));
  if (body) out.set(body, ADMIN_COM_LEN);
  return out;
}

export function encodeSockaddr(out: Uint8Array, off: number, a: SockAddr | undefined): void {
  if (!a) return;
  const v = view(out);
  v.setUint16(off, a.addr.length === 4 ? HOST_INET : HOST_INET6, LE);
  v.setUint16(off + 2, a.port, false);
  out.set(a.addr, off + (a.addr.length === 4 ? 4 : 8));
}

/** A sockaddr_storage at `off`; undefined for family 0; throws on another family. */
export function decodeSockaddr(b: Uint8Array, off: number): SockAddr | undefined {
  if (b.length < off + SS_LEN) throw new AdminWireError('sockaddr_storage runs past the end');
  const v = view(b);
  const fam = v.getUint16(off, LE);
  const port = v.getUint16(off + 2, false);
  if (fam === 0) return undefined;
  if (fam === HOST_INET) return { addr: new Uint8Array(b.subarray(off + 4, off + 8)), port };
  if (fam === HOST_INET6) return { addr: new Uint8Array(b.subarray(off + 8, off + 24)), port };
  throw new AdminWireError(`address family ${fam} is neither inet nor inet6`);
}

/** struct admin_com_indexes: the selector of delete-sa, establish-sa, vpn-disconnect. */
export interface AdminIndexes {
  prefs: number;
  prefd: number;
  ulProto: number;
  src?: SockAddr;
  dst?: SockAddr;
}

export function encodeIndexes(i: AdminIndexes): Uint8Array {
  const b = new Uint8Array(INDEXES_LEN);
  b[0] = i.prefs;
  b[1] = i.prefd;
  b[2] = i.ulProto;
  encodeSockaddr(b, 8, i.src);
  encodeSockaddr(b, 8 + SS_LEN, i.dst);
  return b;
}

export function decodeIndexes(body: Uint8Array): AdminIndexes {
  if (body.length < INDEXES_LEN) throw new AdminWireError(`the SA selector needs ${INDEXES_LEN} bytes`);
  return {
    prefs: body[0]!,
    prefd: body[1]!,
    ulProto: body[2]!,
    src: decodeSockaddr(body, 8),
    dst: decodeSockaddr(body, 8 + SS_LEN),
  };
}

/** establish-sa -u: the XAuth login and password after the selector (struct admin_com_psk, C strings). */
export function decodePsk(body: Uint8Array): { login: string; password: Uint8Array } {
  const v = view(body);
  if (body.length < PSK_LEN) throw new AdminWireError('admin_com_psk truncated');
  const idLen = Number(v.getBigUint64(8, LE));
  const keyLen = Number(v.getBigUint64(16, LE));
  if (idLen > 256 || keyLen > 256 || PSK_LEN + idLen + keyLen > body.length)
    throw new AdminWireError('admin_com_psk lengths run past the message');
  const id = body.subarray(PSK_LEN, PSK_LEN + idLen);
  const key = body.subarray(PSK_LEN + idLen, PSK_LEN + idLen + keyLen);
  const cstr = (b: Uint8Array) => b.subarray(0, b.indexOf(0) < 0 ? b.length : b.indexOf(0));
  return { login: Buffer.from(cstr(id)).toString('utf8'), password: cstr(key).slice() };
}

export function encodePsk(login: string, password: string): Uint8Array {
  const id = Buffer.from(login + '\0', 'utf8');
  const key = Buffer.from(password + '\0', 'utf8');
  const b = new Uint8Array(PSK_LEN + id.length + key.length);
  const v = view(b);
  v.setInt32(0, 3, LE); // IPSECDOI_ID_USER_FQDN, as racoonctl sends
  v.setBigUint64(8, BigInt(id.length), LE);
  v.setBigUint64(16, BigInt(key.length), LE);
  b.set(id, PSK_LEN);
  b.set(key, PSK_LEN + id.length);
  return b;
}

/** One struct ph1dump (handler.c dumpph1): what show-sa isakmp lists. */
export interface Ph1Dump {
  icookie: Uint8Array;
  rcookie: Uint8Array;
  /** PHASE1ST_* (handler.h): 9 established. */
  status: number;
  /** 0 initiator, 1 responder. */
  side: number;
  remote: SockAddr;
  local: SockAddr;
  /** ISAKMP version byte (0x10). */
  version: number;
  /** Exchange type: 2 main (identity protection), 4 aggressive, 1 base. */
  etype: number;
  /** Seconds since the epoch. */
  created: number;
  ph2cnt: number;
}

export function encodePh1Dumps(ds: readonly Ph1Dump[]): Uint8Array {
  const b = new Uint8Array(ds.length * PH1DUMP_LEN);
  const v = view(b);
  ds.forEach((d, i) => {
    const o = i * PH1DUMP_LEN;
    b.set(d.icookie.subarray(0, 8), o);
    b.set(d.rcookie.subarray(0, 8), o + 8);
    v.setInt32(o + 16, d.status, LE);
    v.setInt32(o + 20, d.side, LE);
    encodeSockaddr(b, o + 24, d.remote);
    encodeSockaddr(b, o + 152, d.local);
    b[o + 280] = d.version;
    b[o + 281] = d.etype;
    v.setBigInt64(o + 288, BigInt(Math.floor(d.created)), LE);
    v.setInt32(o + 296, d.ph2cnt, LE);
  });
  return b;
}

export function decodePh1Dumps(body: Uint8Array): Ph1Dump[] {
  if (body.length % PH1DUMP_LEN) throw new AdminWireError(`invalid length ${body.length}`);
  const v = view(body);
  const out: Ph1Dump[] = [];
  for (let o = 0; o < body.length; o += PH1DUMP_LEN) {
    out.push({
      icookie: new Uint8Array(body.subarray(o, o + 8)),
      rcookie: new Uint8Array(body.subarray(o + 8, o + 16)),
      status: v.getInt32(o + 16, LE),
      side: v.getInt32(o + 20, LE),
      remote: decodeSockaddr(body, o + 24) ?? { addr: new Uint8Array(4), port: 0 },
      local: decodeSockaddr(body, o + 152) ?? { addr: new Uint8Array(4), port: 0 },
      version: body[o + 280]!,
      etype: body[o + 281]!,
      created: Number(v.getBigInt64(o + 288, LE)),
      ph2cnt: v.getInt32(o + 296, LE),
    });
  }
  return out;
}

/** One pushed event (evt.c struct evt_async, optional ISAKMP data attributes after it). */
export interface AdminEvent {
  type: number;
  /** Seconds since the epoch. */
  timestamp: number;
  src?: SockAddr;
  dst?: SockAddr;
  ph2msgid: number;
  /** EVT_PHASE1_MODE_CFG: the mode-config attributes (RFC 2408 data attributes, network order). */
  attrs?: Uint8Array;
}

/** A whole event message as racoon pushes it to a subscribed connection (evtmsg_create). */
export function encodeEventMessage(e: AdminEvent): Uint8Array {
  const body = new Uint8Array(EVT_ASYNC_LEN + (e.attrs?.length ?? 0));
  const v = view(body);
  v.setUint32(0, e.type, LE);
  v.setBigInt64(8, BigInt(Math.floor(e.timestamp)), LE);
  encodeSockaddr(body, 16, e.src);
  encodeSockaddr(body, 144, e.dst);
  v.setUint32(272, e.ph2msgid >>> 0, LE);
  if (e.attrs) body.set(e.attrs, EVT_ASYNC_LEN);
  return encodeReply(ADMIN_SHOW_EVT, 0, 0, body);
}

export function decodeEvent(body: Uint8Array): AdminEvent {
  if (body.length < EVT_ASYNC_LEN) throw new AdminWireError('Short buffer');
  const v = view(body);
  return {
    type: v.getUint32(0, LE),
    timestamp: Number(v.getBigInt64(8, LE)),
    src: decodeSockaddr(body, 16),
    dst: decodeSockaddr(body, 144),
    ph2msgid: v.getUint32(272, LE),
    attrs: body.length > EVT_ASYNC_LEN ? body.slice(EVT_ASYNC_LEN) : undefined,
  };
}
