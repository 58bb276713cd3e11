// The credentials of the process at the other end of a connected Unix-domain socket: getsockopt(SO_PEERCRED)
// (Linux socket(7); what the kernel recorded at connect(2), so the peer cannot lie about it), reached through
// koffi as libc.ts does. Node's net.Socket has no API for it: the descriptor comes from the socket's handle.
// Anything unavailable (not Linux, koffi missing, no descriptor) answers undefined; callers then fail closed.
import { createRequire } from 'node:module';
import type { Socket } from 'node:net';
import { SOL_SOCKET } from './libc.js';

const SO_PEERCRED = 17;
/** struct ucred { pid_t pid; uid_t uid; gid_t gid; } */
const UCRED_BYTES = 12;

export interface PeerCred {
  pid: number;
  uid: number;
  gid: number;
}

type GetSockOpt = (fd: number, level: number, name: number, val: Uint8Array, len: Uint32Array) => number;
let getsockopt: GetSockOpt | null | undefined;

function bind(): GetSockOpt | null {
  if (getsockopt !== undefined) return getsockopt;
  try {
    if (process.platform !== 'linux') throw new Error('SO_PEERCRED is Linux-only');
    const k = createRequire(import.meta.url)('koffi') as {
      load(p: string): { func(d: string): (...a: unknown[]) => unknown };
    };
    const f = k.load('libc.so.6').func('int getsockopt(int fd, int level, int name, void *val, void *len)');
    getsockopt = (fd, l, n, v, len) => f(fd, l, n, v, len) as number;
  } catch {
    getsockopt = null;
  }
  return getsockopt;
}

/** The file descriptor under a connected net.Socket (a libuv pipe handle), if Node exposes it. */
function fdOf(s: Socket): number | undefined {
  const fd = (s as unknown as { _handle?: { fd?: unknown } })._handle?.fd;
  return typeof fd === 'number' && fd >= 0 ? fd : undefined;
}

/** SO_PEERCRED of a Unix-domain socket connection, or undefined when it cannot be known here. */
export function peerCred(s: Socket): PeerCred | undefined {
  const fd = fdOf(s);
  const g = bind();
  if (fd === undefined || !g) return undefined;
  const buf = new Uint8Array(UCRED_BYTES);
  const len = new Uint32Array([UCRED_BYTES]);
  if (g(fd, SOL_SOCKET, SO_PEERCRED, buf, len) !== 0 || len[0] !== UCRED_BYTES) return undefined;
  const dv = new DataView(buf.buffer);
  return { pid: dv.getInt32(0, true), uid: dv.getUint32(4, true), gid: dv.getUint32(8, true) };
}
