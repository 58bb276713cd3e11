// Numbers of uipsecd's IKE/app channel (frame layouts in channel/frames.ts, design in docs/uipsecd.md):
// frame types, the PING bounds, SENT's errnos, the largest frame and where the daemon's socket lives.
import { basename, dirname, join } from 'node:path';

export const IKE_FRAME_BIND = 1;
export const IKE_FRAME_BOUND = 2;
export const IKE_FRAME_DGRAM = 3;
export const IKE_FRAME_UNBIND = 4;
export const IKE_FRAME_PING = 5;
export const IKE_FRAME_PINGREPLY = 6;
export const IKE_FRAME_PINGDONE = 7;
export const IKE_FRAME_STATUSREQ = 8;
export const IKE_FRAME_STATUS = 9;
export const IKE_FRAME_SEND = 10;
export const IKE_FRAME_SENT = 11;
/** SENT: the longest drop reason (a counter name, ASCII). */
export const SENT_REASON_MAX = 64;
/** SENT errnos (FreeBSD numbers): the port is not this client's; policy; no route; dropped otherwise. */
export const SENT_EBADF = 9;
export const SENT_EACCES = 13;
export const SENT_ENOBUFS = 55;
export const SENT_EHOSTUNREACH = 65;
/** PING bounds (a frame outside them is malformed): requests, echo data bytes, ms between, ms to wait. */
export const PING_MAX_COUNT = 10_000;
export const PING_MAX_SIZE = 65_000;
export const PING_MAX_INTERVAL_MS = 60_000;
export const PING_MAX_TIMEOUT_MS = 600_000;
/** BIND flag: the socket bypasses IPsec (racoon's IP_IPSEC_POLICY "bypass" on its IKE sockets). */
export const IKE_BIND_BYPASS = 1;
/** Largest frame body accepted (a UDP payload is at most 65,507 bytes, plus the addresses). */
export const IKE_FRAME_MAX = 65536 + 64;
export const DEFAULT_IKE_SOCKET = '/var/run/uipsec/ike.sock';
export const IKE_SOCKET_ENV = 'UIPSEC_IKE_SOCKET';

/** The daemon's channel socket: $UIPSEC_IKE_SOCKET when set and not empty, else DEFAULT_IKE_SOCKET. */
export function defaultIkeSocketPath(env: Record<string, string | undefined> = process.env): string {
  const p = env[IKE_SOCKET_ENV];
  return p !== undefined && p !== '' ? p : DEFAULT_IKE_SOCKET;
}

/** FreeBSD errno numbers the channel carries (BOUND, PINGDONE, SENT), by name for messages. */
const ERRNO_NAMES: Readonly<Record<number, string>> = {
  1: 'EPERM',
  2: 'ENOENT',
  9: 'EBADF',
  13: 'EACCES',
  16: 'EBUSY',
  17: 'EEXIST',
  22: 'EINVAL',
  32: 'EPIPE',
  35: 'EAGAIN',
  47: 'EAFNOSUPPORT',
  48: 'EADDRINUSE',
  49: 'EADDRNOTAVAIL',
  55: 'ENOBUFS',
  65: 'EHOSTUNREACH',
};

/** `EADDRINUSE` for 48; `errno N` for a number outside the table. */
export function channelErrnoName(n: number): string {
  return ERRNO_NAMES[n] ?? `errno ${n}`;
}

/**
 * uipsecd's control socket when none is configured: ctl.sock beside a PF_KEY socket named pfkey.sock (the
 * documented layout), else `<PF_KEY socket>.ctl`, so that daemons sharing a directory (a.pfkey, b.pfkey) never
 * reach for the same control socket.
 */
export function defaultCtlSocket(pfkeyPath: string): string {
  return basename(pfkeyPath) === 'pfkey.sock' ? join(dirname(pfkeyPath), 'ctl.sock') : `${pfkeyPath}.ctl`;
}
