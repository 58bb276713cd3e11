// The IKE/app datagram channel to uipsecd ("the stack owns the wire", libuinet): the daemon's host stack
// owns UDP 500/4500, so racoon (and `uipsec send/listen/ping`) bind ports and exchange datagrams through a
// second Unix stream socket. Frames (all integers big-endian):
//   u32 length of what follows | u8 type | body
//   BIND    (1, client->daemon): u16 port (0 = any) | u8 flags (1 = IPsec bypass) | u8 family (0 any, 4, 6) | addr
//   BOUND   (2, daemon->client): u16 requested port | u16 bound port | u8 errno (0 ok; FreeBSD numbers)
//   DGRAM   (3, both ways):      u16 local port | u16 remote port | u8 family | local addr | remote addr | payload
//   UNBIND  (4, client->daemon): u16 port
//   PING    (5, client->daemon): u32 tag | u16 count | u16 size | u32 interval ms | u32 timeout ms | u8 family | dst
//   PINGREPLY (6, daemon->client): u32 tag | u16 seq | u32 rtt us | u16 bytes | u8 ttl | u8 family | from
//   PINGDONE  (7, daemon->client): u32 tag | u16 transmitted | u16 received | u8 errno (0 ok; FreeBSD numbers)
//   STATUSREQ (8, client->daemon): nothing
//   STATUS    (9, daemon->client): UTF-8 JSON object (the host's interfaces, routes, counters, table sizes)
//   SEND     (10, client->daemon): u32 tag | then as DGRAM (the client asks what became of the datagram)
//   SENT     (11, daemon->client): u32 tag | u8 errno (0 left the host; FreeBSD numbers) | u8 n | reason (n ASCII bytes)
// PING runs ICMP/ICMPv6 echo (RFC 792, RFC 4443 §4.1) from the daemon's host, through its SPD and SAD.
// See docs/uipsecd.md; the client is channel/client.ts, the daemon side kernel/daemon/ike-server.ts.
import {
  IKE_BIND_BYPASS,
  IKE_FRAME_BIND,
  IKE_FRAME_BOUND,
  IKE_FRAME_DGRAM,
  IKE_FRAME_MAX,
  IKE_FRAME_PING,
  IKE_FRAME_PINGDONE,
  IKE_FRAME_PINGREPLY,
  IKE_FRAME_STATUS,
  IKE_FRAME_STATUSREQ,
  IKE_FRAME_UNBIND,
  IKE_FRAME_SEND,
  IKE_FRAME_SENT,
  SENT_REASON_MAX,
  PING_MAX_COUNT,
  PING_MAX_INTERVAL_MS,
  PING_MAX_SIZE,
  PING_MAX_TIMEOUT_MS,
} from './constants.js';

export type IkeFrame =
  | { type: 'bind'; port: number; bypass: boolean; addr?: Uint8Array }
  | { type: 'bound'; requested: number; port: number; errno: number }
  | { type: 'dgram'; localPort: number; remotePort: number; local: Uint8Array; remote: Uint8Array; payload: Uint8Array }
  | { type: 'unbind'; port: number }
  | { type: 'ping'; tag: number; count: number; size: number; intervalMs: number; timeoutMs: number; dst: Uint8Array }
  | { type: 'pingreply'; tag: number; seq: number; rttUs: number; bytes: number; ttl: number; from: Uint8Array }
  | { type: 'pingdone'; tag: number; transmitted: number; received: number; errno: number }
  | { type: 'statusreq' }
  | { type: 'status'; report: Record<string, unknown> }
  | {
      type: 'send';
      tag: number;
      localPort: number;
      remotePort: number;
      local: Uint8Array;
      remote: Uint8Array;
      payload: Uint8Array;
    }
  /** What became of a SEND: errno 0 and no reason when it left the host, else the KAME counter that dropped it. */
  | { type: 'sent'; tag: number; errno: number; reason: string };

/** A malformed frame: the stream that carried it is closed. */
export class IkeFrameError extends Error {
  readonly code = 'EIKEFRAME';
  constructor(message: string) {
    super(message);
    this.name = 'IkeFrameError';
  }
}

/** A plain Uint8Array copy (Buffer#slice would return a view of the socket's buffer). */
function copy(b: Uint8Array, start: number, end: number): Uint8Array {
  return new Uint8Array(b.subarray(start, end));
}

function addrLen(family: number): number {
  if (family === 4) return 4;
  if (family === 6) return 16;
  throw new IkeFrameError(`address family ${family}`);
}

function familyOf(a: Uint8Array): number {
  if (a.length === 4) return 4;
  if (a.length === 16) return 6;
  throw new IkeFrameError(`address of ${a.length} bytes`);
}

function decodePing(b: Uint8Array, dv: DataView): IkeFrame {
  if (b.length < 18) throw new IkeFrameError('PING length');
  const n = addrLen(b[17]!);
  if (b.length !== 18 + n) throw new IkeFrameError('PING length');
  const f = {
    type: 'ping' as const,
    tag: dv.getUint32(1),
    count: dv.getUint16(5),
    size: dv.getUint16(7),
    intervalMs: dv.getUint32(9),
    timeoutMs: dv.getUint32(13),
    dst: copy(b, 18, 18 + n),
  };
  checkPing(f);
  return f;
}

function checkPing(f: { count: number; size: number; intervalMs: number; timeoutMs: number }): void {
  if (f.count < 1 || f.count > PING_MAX_COUNT) throw new IkeFrameError(`PING count ${f.count}`);
  if (f.size > PING_MAX_SIZE) throw new IkeFrameError(`PING size ${f.size}`);
  if (f.intervalMs > PING_MAX_INTERVAL_MS) throw new IkeFrameError(`PING interval ${f.intervalMs}`);
  if (f.timeoutMs > PING_MAX_TIMEOUT_MS) throw new IkeFrameError(`PING timeout ${f.timeoutMs}`);
}

function decodeStatusJson(b: Uint8Array): Record<string, unknown> {
  let v: unknown;
  try {
    v = JSON.parse(new TextDecoder('utf-8', { fatal: true }).decode(b));
  } catch {
    throw new IkeFrameError('STATUS is not UTF-8 JSON');
  }
  if (typeof v !== 'object' || v === null || Array.isArray(v)) throw new IkeFrameError('STATUS is not a JSON object');
  return v as Record<string, unknown>;
}

/** DGRAM's body after the type byte (and SEND's after its tag), from offset `at`. */
function decodeDatagram(b: Uint8Array, dv: DataView, at: number) {
  if (b.length < at + 5) throw new IkeFrameError(`frame type ${b[0]}: ${b.length} bytes, need ${at + 5}`);
  const n = addrLen(b[at + 4]!);
  if (b.length < at + 5 + 2 * n)
    throw new IkeFrameError(`frame type ${b[0]}: ${b.length} bytes, need ${at + 5 + 2 * n}`);
  return {
    localPort: dv.getUint16(at),
    remotePort: dv.getUint16(at + 2),
    local: copy(b, at + 5, at + 5 + n),
    remote: copy(b, at + 5 + n, at + 5 + 2 * n),
    payload: copy(b, at + 5 + 2 * n, b.length),
  };
}

function encodeDatagram(type: number, tag: number | undefined, f: Omit<Extract<IkeFrame, { type: 'dgram' }>, 'type'>) {
  const fam = familyOf(f.local);
  if (familyOf(f.remote) !== fam) throw new IkeFrameError('local and remote families differ');
  const at = tag === undefined ? 1 : 5;
  const n = f.local.length;
  const body = new Uint8Array(at + 5 + 2 * n + f.payload.length);
  const dv = new DataView(body.buffer);
  body[0] = type;
  if (tag !== undefined) dv.setUint32(1, tag);
  dv.setUint16(at, f.localPort);
  dv.setUint16(at + 2, f.remotePort);
  body[at + 4] = fam;
  body.set(f.local, at + 5);
  body.set(f.remote, at + 5 + n);
  body.set(f.payload, at + 5 + 2 * n);
  return body;
}

function decodeSent(b: Uint8Array, dv: DataView): IkeFrame {
  if (b.length < 7 || b.length !== 7 + b[6]!) throw new IkeFrameError('SENT length');
  const reason = b.subarray(7);
  if (reason.length > SENT_REASON_MAX || reason.some((c) => c < 0x21 || c > 0x7e))
    throw new IkeFrameError('SENT reason is not a printable ASCII word');
  return { type: 'sent', tag: dv.getUint32(1), errno: b[5]!, reason: Buffer.from(reason).toString('latin1') };
}

function encodeSent(f: Extract<IkeFrame, { type: 'sent' }>): Uint8Array {
  if (!/^[\x21-\x7e]*$/.test(f.reason) || f.reason.length > SENT_REASON_MAX)
    throw new IkeFrameError('SENT reason is not a printable ASCII word');
  const b = new Uint8Array(7 + f.reason.length);
  new DataView(b.buffer).setUint32(1, f.tag);
  b[0] = IKE_FRAME_SENT;
  b[5] = f.errno;
  b[6] = f.reason.length;
  for (let i = 0; i < f.reason.length; i++) b[7 + i] = f.reason.charCodeAt(i);
  return b;
}

function encodeBody(f: IkeFrame): Uint8Array | undefined {
  if (f.type === 'send') return encodeDatagram(IKE_FRAME_SEND, f.tag, f);
  if (f.type === 'sent') return encodeSent(f);
  if (f.type === 'ping') {
    checkPing(f);
    const b = new Uint8Array(18 + f.dst.length);
    const dv = new DataView(b.buffer);
    b[0] = IKE_FRAME_PING;
    dv.setUint32(1, f.tag);
    dv.setUint16(5, f.count);
    dv.setUint16(7, f.size);
    dv.setUint32(9, f.intervalMs);
    dv.setUint32(13, f.timeoutMs);
    b[17] = familyOf(f.dst);
    b.set(f.dst, 18);
    return b;
  }
  if (f.type === 'pingreply') {
    const b = new Uint8Array(15 + f.from.length);
    const dv = new DataView(b.buffer);
    b[0] = IKE_FRAME_PINGREPLY;
    dv.setUint32(1, f.tag);
    dv.setUint16(5, f.seq);
    dv.setUint32(7, Math.min(0xffffffff, Math.max(0, Math.round(f.rttUs))));
    dv.setUint16(11, f.bytes);
    b[13] = f.ttl;
    b[14] = familyOf(f.from);
    b.set(f.from, 15);
    return b;
  }
  if (f.type === 'pingdone') {
    const b = new Uint8Array(10);
    const dv = new DataView(b.buffer);
    b[0] = IKE_FRAME_PINGDONE;
    dv.setUint32(1, f.tag);
    dv.setUint16(5, f.transmitted);
    dv.setUint16(7, f.received);
    b[9] = f.errno;
    return b;
  }
  if (f.type === 'statusreq') return Uint8Array.of(IKE_FRAME_STATUSREQ);
  if (f.type === 'status') {
    const j = new TextEncoder().encode(JSON.stringify(f.report));
    if (j.length + 1 > IKE_FRAME_MAX) throw new IkeFrameError(`STATUS of ${j.length} bytes`);
    const b = new Uint8Array(1 + j.length);
    b[0] = IKE_FRAME_STATUS;
    b.set(j, 1);
    return b;
  }
  return undefined;
}

/** Decodes one frame body (after the length word). Throws IkeFrameError. */
export function decodeIkeFrame(b: Uint8Array): IkeFrame {
  if (b.length < 1) throw new IkeFrameError('empty frame');
  const dv = new DataView(b.buffer, b.byteOffset, b.length);
  const need = (n: number) => {
    if (b.length < n) throw new IkeFrameError(`frame type ${b[0]}: ${b.length} bytes, need ${n}`);
  };
  switch (b[0]) {
    case IKE_FRAME_BIND: {
      need(5);
      const fam = b[4]!;
      const n = fam === 0 ? 0 : addrLen(fam);
      if (b.length !== 5 + n) throw new IkeFrameError('BIND length');
      return {
        type: 'bind',
        port: dv.getUint16(1),
        bypass: (b[3]! & IKE_BIND_BYPASS) !== 0,
        addr: n ? copy(b, 5, 5 + n) : undefined,
      };
    }
    case IKE_FRAME_BOUND:
      if (b.length !== 6) throw new IkeFrameError('BOUND length');
      return { type: 'bound', requested: dv.getUint16(1), port: dv.getUint16(3), errno: b[5]! };
    case IKE_FRAME_DGRAM:
      return { type: 'dgram', ...decodeDatagram(b, dv, 1) };
    case IKE_FRAME_SEND:
      need(5);
      return { type: 'send', tag: dv.getUint32(1), ...decodeDatagram(b, dv, 5) };
    case IKE_FRAME_SENT:
      return decodeSent(b, dv);
    case IKE_FRAME_UNBIND:
      if (b.length !== 3) throw new IkeFrameError('UNBIND length');
      return { type: 'unbind', port: dv.getUint16(1) };
    case IKE_FRAME_PING:
      return decodePing(b, dv);
    case IKE_FRAME_PINGREPLY: {
      need(15);
      const n = addrLen(b[14]!);
      if (b.length !== 15 + n) throw new IkeFrameError('PINGREPLY length');
      return {
        type: 'pingreply',
        tag: dv.getUint32(1),
        seq: dv.getUint16(5),
        rttUs: dv.getUint32(7),
        bytes: dv.getUint16(11),
        ttl: b[13]!,
        from: copy(b, 15, 15 + n),
      };
    }
    case IKE_FRAME_PINGDONE:
      if (b.length !== 10) throw new IkeFrameError('PINGDONE length');
      return {
        type: 'pingdone',
        tag: dv.getUint32(1),
        transmitted: dv.getUint16(5),
        received: dv.getUint16(7),
        errno: b[9]!,
      };
    case IKE_FRAME_STATUSREQ:
      if (b.length !== 1) throw new IkeFrameError('STATUSREQ length');
      return { type: 'statusreq' };
    case IKE_FRAME_STATUS:
      return { type: 'status', report: decodeStatusJson(b.subarray(1)) };
    default:
      throw new IkeFrameError(`unknown frame type ${b[0]}`);
  }
}

/** Encodes a frame with its length word. */
export function encodeIkeFrame(f: IkeFrame): Uint8Array {
  let body: Uint8Array;
  const other = encodeBody(f);
  if (other) body = other;
  else if (f.type === 'bind') {
    const n = f.addr ? f.addr.length : 0;
    body = new Uint8Array(5 + n);
    body[0] = IKE_FRAME_BIND;
    new DataView(body.buffer).setUint16(1, f.port);
    body[3] = f.bypass ? IKE_BIND_BYPASS : 0;
    body[4] = f.addr ? familyOf(f.addr) : 0;
    if (f.addr) body.set(f.addr, 5);
  } else if (f.type === 'bound') {
    body = Uint8Array.of(IKE_FRAME_BOUND, f.requested >> 8, f.requested & 0xff, f.port >> 8, f.port & 0xff, f.errno);
  } else if (f.type === 'unbind') {
    body = Uint8Array.of(IKE_FRAME_UNBIND, f.port >> 8, f.port & 0xff);
  } else if (f.type === 'dgram') {
    body = encodeDatagram(IKE_FRAME_DGRAM, undefined, f);
  } else {
    throw new IkeFrameError(`cannot encode ${f.type}`);
  }
  const out = new Uint8Array(4 + body.length);
  new DataView(out.buffer).setUint32(0, body.length);
  out.set(body, 4);
  return out;
}

/** Splits a byte stream into frame bodies; a length above IKE_FRAME_MAX poisons the stream. */
export class IkeFrameSplitter {
  private pending: Uint8Array = new Uint8Array(0);

  push(chunk: Uint8Array): Uint8Array[] {
    let data = chunk;
    if (this.pending.length) {
      data = new Uint8Array(this.pending.length + chunk.length);
      data.set(this.pending);
      data.set(chunk, this.pending.length);
    }
    const out: Uint8Array[] = [];
    let off = 0;
    while (data.length - off >= 4) {
      const len = new DataView(data.buffer, data.byteOffset + off, 4).getUint32(0);
      if (len === 0 || len > IKE_FRAME_MAX) throw new IkeFrameError(`frame length ${len}`);
      if (data.length - off - 4 < len) break;
      out.push(copy(data, off + 4, off + 4 + len));
      off += 4 + len;
    }
    this.pending = copy(data, off, data.length);
    return out;
  }
}
