// uipsecd's control channel (ctl.sock): the frames that carry kernel-control requests (connect to a control by
// name and unit, send, setopt, getopt, disconnect), the data a control enqueues, and kernel-event subscriptions,
// between a client (channel/ctl-client.ts) and the daemon (kernel/daemon/ctl-server.ts). Every frame is
//
//   u32 length (the whole frame, header included) | u8 type | u8 flags (0) | u16 0 | u32 seq | body
//
// big-endian. A request's REPLY carries its seq, an errno (BSD numbers, 0 = success) and data. Lengths are
// checked before use; a frame that fails a check ends the connection (the splitter reports it).

export const CTL_HEADER = 12;
/** Largest frame: a control's data (CTL_DATA_MAX, 64 KiB) plus headers. */
export const CTL_FRAME_MAX = 65536 + 64;
/** sys/kern_control.h MAX_KCTL_NAME. */
export const CTL_NAME_MAX = 96;

export const CTL_CONNECT = 1;
export const CTL_SEND = 2;
export const CTL_SETOPT = 3;
export const CTL_GETOPT = 4;
export const CTL_DISCONNECT = 5;
export const CTL_SUBSCRIBE = 6;
export const CTL_UNSUBSCRIBE = 7;
export const CTL_LIST = 8;
export const CTL_REPLY = 64;
export const CTL_DATA = 65;
export const CTL_CLOSED = 66;
export const CTL_EVENT = 67;

export const CTL_SOCKET_ENV = 'UIPSEC_CTL_SOCKET';

/** BSD errno numbers of the control API's answers (sys/errno.h). */
export const CTL_ERRNO: Readonly<Record<string, number>> = Object.freeze({
  EPERM: 1,
  ENOENT: 2,
  EBUSY: 16,
  EEXIST: 17,
  EINVAL: 22,
  EMSGSIZE: 40,
  ENOPROTOOPT: 42,
  EADDRNOTAVAIL: 49,
  ENOBUFS: 55,
  ENOTCONN: 57,
});
const ERRNO_NAME = new Map(Object.entries(CTL_ERRNO).map(([k, v]) => [v, k]));

/** "EPERM" for 1; "errno N" for a number outside the table. */
export function ctlErrnoName(n: number): string {
  return ERRNO_NAME.get(n) ?? `errno ${n}`;
}

/** A decoded frame. `ref` names one control connection of the client (the CONNECT reply gives it). */
export type CtlFrame =
  | { type: typeof CTL_CONNECT; seq: number; unit: number; name: string }
  | { type: typeof CTL_SEND; seq: number; ref: number; data: Uint8Array }
  | { type: typeof CTL_SETOPT; seq: number; ref: number; opt: number; value: Uint8Array }
  | { type: typeof CTL_GETOPT; seq: number; ref: number; opt: number; maxLen: number }
  | { type: typeof CTL_DISCONNECT; seq: number; ref: number }
  | { type: typeof CTL_SUBSCRIBE; seq: number; vendor: number; class: number; subclass: number }
  | { type: typeof CTL_UNSUBSCRIBE; seq: number }
  | { type: typeof CTL_LIST; seq: number }
  | { type: typeof CTL_REPLY; seq: number; errno: number; data: Uint8Array }
  | { type: typeof CTL_DATA; seq: number; ref: number; data: Uint8Array }
  | { type: typeof CTL_CLOSED; seq: number; ref: number }
  | { type: typeof CTL_EVENT; seq: number; json: string };

export class CtlFrameError extends Error {
  readonly code = 'ECTLFRAME';
}

/** Body layouts: fixed u32 fields, then whether the rest is bytes ('data'), text ('text') or nothing. */
const LAYOUT: Record<number, { u32: readonly string[]; rest: 'data' | 'text' | 'none' }> = {
  [CTL_CONNECT]: { u32: ['unit'], rest: 'text' },
  [CTL_SEND]: { u32: ['ref'], rest: 'data' },
  [CTL_SETOPT]: { u32: ['ref', 'opt'], rest: 'data' },
  [CTL_GETOPT]: { u32: ['ref', 'opt', 'maxLen'], rest: 'none' },
  [CTL_DISCONNECT]: { u32: ['ref'], rest: 'none' },
  [CTL_SUBSCRIBE]: { u32: ['vendor', 'class', 'subclass'], rest: 'none' },
  [CTL_UNSUBSCRIBE]: { u32: [], rest: 'none' },
  [CTL_LIST]: { u32: [], rest: 'none' },
  [CTL_REPLY]: { u32: ['errno'], rest: 'data' },
  [CTL_DATA]: { u32: ['ref'], rest: 'data' },
  [CTL_CLOSED]: { u32: ['ref'], rest: 'none' },
  [CTL_EVENT]: { u32: [], rest: 'text' },
};
const REST_FIELD: Record<number, string> = {
  [CTL_CONNECT]: 'name',
  [CTL_SEND]: 'data',
  [CTL_SETOPT]: 'value',
  [CTL_REPLY]: 'data',
  [CTL_DATA]: 'data',
  [CTL_EVENT]: 'json',
};

/** One frame's bytes. Throws CtlFrameError on a field out of range or a frame over CTL_FRAME_MAX. */
export function encodeCtlFrame(f: CtlFrame): Uint8Array {
  const lay = LAYOUT[f.type];
  if (!lay) throw new CtlFrameError(`unknown frame type ${String(f.type)}`);
  const rec = f as unknown as Record<string, unknown>;
  const restField = REST_FIELD[f.type];
  const restRaw = restField ? rec[restField] : undefined;
  const rest = typeof restRaw === 'string' ? new TextEncoder().encode(restRaw) : ((restRaw as Uint8Array) ?? null);
  const len = CTL_HEADER + lay.u32.length * 4 + (rest?.length ?? 0);
  if (len > CTL_FRAME_MAX) throw new CtlFrameError(`frame of ${len} bytes is over ${CTL_FRAME_MAX}`);
  const out = new Uint8Array(len);
  const dv = new DataView(out.buffer);
  dv.setUint32(0, len);
  out[4] = f.type;
  dv.setUint32(8, f.seq >>> 0);
  let p = CTL_HEADER;
  for (const k of lay.u32) {
    const v = rec[k];
    if (typeof v !== 'number' || !Number.isInteger(v) || v < 0 || v > 0xffffffff)
      throw new CtlFrameError(`${k} must be a u32`);
    dv.setUint32(p, v);
    p += 4;
  }
  if (rest) out.set(rest, p);
  return out;
}

/** Decodes one whole frame (`b` holds exactly its bytes). Throws CtlFrameError. */
export function decodeCtlFrame(b: Uint8Array): CtlFrame {
  if (b.length < CTL_HEADER) throw new CtlFrameError('frame shorter than its header');
  const dv = new DataView(b.buffer, b.byteOffset, b.length);
  if (dv.getUint32(0) !== b.length) throw new CtlFrameError('frame length does not match');
  const type = b[4]!;
  const lay = LAYOUT[type];
  if (!lay) throw new CtlFrameError(`unknown frame type ${type}`);
  if (b[5] !== 0 || dv.getUint16(6) !== 0) throw new CtlFrameError('reserved header bits set');
  const fixed = CTL_HEADER + lay.u32.length * 4;
  if (b.length < fixed) throw new CtlFrameError(`frame type ${type} too short`);
  const f: Record<string, unknown> = { type, seq: dv.getUint32(8) };
  lay.u32.forEach((k, i) => (f[k] = dv.getUint32(CTL_HEADER + i * 4)));
  const rest = b.subarray(fixed);
  if (lay.rest === 'none' && rest.length) throw new CtlFrameError(`frame type ${type} has trailing bytes`);
  if (lay.rest === 'data') f[REST_FIELD[type]!] = rest.slice();
  if (lay.rest === 'text') {
    const text = decodeUtf8(rest);
    if (type === CTL_CONNECT && (rest.length === 0 || rest.length > CTL_NAME_MAX))
      throw new CtlFrameError(`a control name has 1..${CTL_NAME_MAX} bytes`);
    f[REST_FIELD[type]!] = text;
  }
  return f as unknown as CtlFrame;
}

function decodeUtf8(b: Uint8Array): string {
  try {
    return new TextDecoder('utf-8', { fatal: true }).decode(b);
  } catch {
    throw new CtlFrameError('text is not UTF-8');
  }
}

/** Splits a byte stream into frames; an impossible length is an error and nothing more is taken. */
export class CtlFrameSplitter {
  private buf = new Uint8Array(0);
  private failed = false;

  constructor(private readonly max = CTL_FRAME_MAX) {}

  push(chunk: Uint8Array): { frames: Uint8Array[]; error?: CtlFrameError } {
    if (this.failed) return { frames: [] };
    const joined = new Uint8Array(this.buf.length + chunk.length);
    joined.set(this.buf);
    joined.set(chunk, this.buf.length);
    const frames: Uint8Array[] = [];
    let p = 0;
    while (joined.length - p >= 4) {
      const len = new DataView(joined.buffer, joined.byteOffset + p, 4).getUint32(0);
      if (len < CTL_HEADER || len > this.max) {
        this.failed = true;
        this.buf = new Uint8Array(0);
        return { frames, error: new CtlFrameError(`frame length ${len} outside ${CTL_HEADER}..${this.max}`) };
      }
      if (joined.length - p < len) break;
      frames.push(joined.slice(p, p + len));
      p += len;
    }
    this.buf = joined.slice(p);
    return { frames };
  }
}
