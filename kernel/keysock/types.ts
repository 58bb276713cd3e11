// Types shared by the PF_KEY kernel side (keysock.ts) and its message handlers (keysock/sa.ts,
// keysock/spd.ts): what keysock needs from a host, and what a handler returns (RFC 2367 §3.1 replies).
import type { Clock } from '../../common/clock.js';
import { SADB_EXT, SADB_MSG, getField, setField, viewOf, type PfkeyMessage } from '../../pfkey/index.js';
import type { Sad } from '../sad/sad.js';
import type { Spd } from '../spd/spd.js';
import type { AcquireTable } from '../sad/acquire.js';
import type { HostEvent } from '../host/host.js';

/** Anything that has the tables and events keysock serves: a Host, or a bare Sad + Spd in tests. */
export interface KeysockKernel {
  readonly sad: Sad;
  readonly spd: Spd;
  readonly clock: Clock;
  onEvent(fn: (ev: HostEvent) => void): () => void;
  /** GETSPI/ACQUIRE-error with an ACQUIRE's seq: hold off a new ACQUIRE (KAME). */
  acquireRefresh?(seq: number): boolean;
  readonly acquires?: AcquireTable;
}

/** KAME key_sendup_mbuf targets: the sender only, every socket, or registered sockets (plus the sender). */
export type SendupTarget = 'one' | 'all' | 'registered';

/** What a handler asks the socket layer to send. */
export type HandlerResult =
  | { kind: 'reply'; reply: PfkeyMessage; target: SendupTarget }
  | { kind: 'bytes'; bytes: Uint8Array; target: SendupTarget }
  | { kind: 'none' }
  | { kind: 'dump'; count: number; messages: Iterator<PfkeyMessage> };

/** One user message being handled. */
export interface HandlerCtx {
  readonly kernel: KeysockKernel;
  readonly m: PfkeyMessage;
  /** The message as received (already validated by decodeMessage). */
  readonly raw: Uint8Array;
}

/** The reply KAME builds by copying the request's header and some of its extensions (key_gather_mbuf). */
export function echoReply(
  m: PfkeyMessage,
  names: readonly (keyof PfkeyMessage['ext'])[],
  target: SendupTarget,
): HandlerResult {
  const ext: PfkeyMessage['ext'] = {};
  for (const n of names) if (m.ext[n] !== undefined) (ext as Record<string, unknown>)[n] = m.ext[n];
  return { kind: 'reply', reply: { msg: { ...m.msg, errno: 0 }, ext, extOrder: m.extOrder }, target };
}

/**
 * The same reply built from the received bytes (key_gather_mbuf copies mbufs): the header with errno 0
 * and the kept extensions in their original order. `raw` must have passed decodeMessage.
 */
export function echoRaw(raw: Uint8Array, keepTypes: ReadonlySet<number>, target: SendupTarget): HandlerResult {
  const dv = viewOf(raw);
  const spans: number[] = [];
  let total = SADB_MSG.size;
  for (let p = SADB_MSG.size; p < raw.length;) {
    const len = getField(dv, p, SADB_EXT.fields.len) * 8;
    if (keepTypes.has(getField(dv, p, SADB_EXT.fields.type))) {
      spans.push(p, len);
      total += len;
    }
    p += len;
  }
  const out = new Uint8Array(total);
  out.set(raw.subarray(0, SADB_MSG.size));
  let q = SADB_MSG.size;
  for (let i = 0; i < spans.length; i += 2) {
    out.set(raw.subarray(spans[i]!, spans[i]! + spans[i + 1]!), q);
    q += spans[i + 1]!;
  }
  const odv = viewOf(out);
  setField(odv, 0, SADB_MSG.fields.errno, 0);
  setField(odv, 0, SADB_MSG.fields.len, total / 8);
  return { kind: 'bytes', bytes: out, target };
}
