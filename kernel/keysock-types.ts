// Types shared by the PF_KEY kernel side (keysock.ts) and its message handlers (keysock-sa.ts,
// keysock-spd.ts): what keysock needs from a host, and what a handler returns (RFC 2367 §3.1 replies).
import type { Clock } from '../common/clock.js';
import type { PfkeyMessage } from '../pfkey/index.js';
import type { Sad } from './sad.js';
import type { Spd } from './spd.js';
import type { AcquireTable } from './acquire.js';
import type { HostEvent } from './host.js';

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
  | { kind: 'none' }
  | { kind: 'dump'; count: number; messages: Iterator<PfkeyMessage> };

/** One user message being handled. */
export interface HandlerCtx {
  readonly kernel: KeysockKernel;
  readonly m: PfkeyMessage;
}

/** The reply KAME builds by copying the request's header and some of its extensions (key_gather_mbuf). */
export function echoReply(m: PfkeyMessage, names: readonly (keyof PfkeyMessage['ext'])[], target: SendupTarget): HandlerResult {
  const ext: PfkeyMessage['ext'] = {};
  for (const n of names) if (m.ext[n] !== undefined) (ext as Record<string, unknown>)[n] = m.ext[n];
  return { kind: 'reply', reply: { msg: { ...m.msg, errno: 0 }, ext, extOrder: m.extOrder }, target };
}
