// The daemon's wire sockets (Linux): raw IP sockets for ESP (50), AH (51) and IPComp (108) that send whole
// packets with our own IP header (IP_HDRINCL / IPV6_HDRINCL: AH's ICV covers the IPv4 Identification, so
// the kernel must not choose it), and UDP sockets for IKE (500) and ESP-in-UDP (4500). Every one carries
// SO_MARK so that policy routing sends it by the main table, never back into the TUN (docs/os-integration.md).
// All are non-blocking; the I/O worker reads them, the main thread sends with one sendto(2) per packet.
import { IPPROTO_IPV6 } from '../ip/constants.js';
import {
  libc,
  check,
  OsError,
  intOpt,
  LINUX_AF_INET,
  LINUX_AF_INET6,
  SOCK_RAW,
  SOCK_DGRAM,
  SOCK_NONBLOCK,
  SOCK_CLOEXEC,
  SOL_SOCKET,
  SO_MARK,
  SO_REUSEADDR,
  SO_RCVBUFFORCE,
  IPPROTO_IP,
  IP_HDRINCL,
  IPV6_HDRINCL,
  IPV6_V6ONLY,
  EPERM,
  EACCES,
  EADDRINUSE,
  MSG_DONTWAIT,
} from './libc.js';

/** struct sockaddr_in (16 bytes) / sockaddr_in6 (28 bytes), Linux layout, port in network order. */
export function sockaddr(addr: Uint8Array, port = 0): Uint8Array {
  const v6 = addr.length === 16;
  const sa = new Uint8Array(v6 ? 28 : 16);
  sa[0] = v6 ? LINUX_AF_INET6 : LINUX_AF_INET;
  sa[2] = port >> 8;
  sa[3] = port & 0xff;
  sa.set(addr, v6 ? 8 : 4);
  return sa;
}

/** Why a raw socket cannot be had, in words a user can act on. */
function socketError(e: OsError, what: string): Error {
  if (e.errno === EPERM || e.errno === EACCES)
    return new Error(`${what} needs root or CAP_NET_RAW (and CAP_NET_ADMIN for SO_MARK): ${e.message}`);
  if (e.errno === EADDRINUSE) return new Error(`${what}: the port is in use (another IKE daemon?): ${e.message}`);
  return new Error(`${what}: ${e.message}`);
}

function setInt(fd: number, level: number, name: number, v: number, what: string): void {
  const o = intOpt(v);
  check(libc().setsockopt(fd, level, name, o, o.length), what);
}

/** Receive buffer: 4 MiB, beyond rmem_max with SO_RCVBUFFORCE (root); bursts from a fast peer then queue. */
const RCVBUF_BYTES = 4 << 20;

function common(fd: number, mark: number): void {
  if (mark !== 0) setInt(fd, SOL_SOCKET, SO_MARK, mark, 'setsockopt SO_MARK');
  const o = intOpt(RCVBUF_BYTES);
  libc().setsockopt(fd, SOL_SOCKET, SO_RCVBUFFORCE, o, o.length); // best effort
}

/**
 * A raw socket for IP protocol `proto` of one family, marked, header included on send. For IPv6, bound to
 * `bindAddr` when given (receive then tells the destination: IPv6 raw sockets deliver no header).
 */
export function openRawSocket(family: 4 | 6, proto: number, mark: number, bindAddr?: Uint8Array): number {
  const c = libc();
  const what = `raw IPv${family} socket for protocol ${proto}`;
  let fd = -1;
  try {
    fd = check(
      c.socket(family === 4 ? LINUX_AF_INET : LINUX_AF_INET6, SOCK_RAW | SOCK_NONBLOCK | SOCK_CLOEXEC, proto),
      what,
    );
    common(fd, mark);
    if (family === 4) setInt(fd, IPPROTO_IP, IP_HDRINCL, 1, 'setsockopt IP_HDRINCL');
    else setInt(fd, IPPROTO_IPV6, IPV6_HDRINCL, 1, 'setsockopt IPV6_HDRINCL');
    if (bindAddr) {
      const sa = sockaddr(bindAddr);
      check(c.bind(fd, sa, sa.length), 'bind');
    }
    return fd;
  } catch (e) {
    if (fd >= 0) c.close(fd);
    throw e instanceof OsError ? socketError(e, what) : e;
  }
}

/** A marked UDP socket bound to (addr, port). */
export function openUdpSocket(addr: Uint8Array, port: number, mark: number): number {
  const c = libc();
  const v6 = addr.length === 16;
  const what = `UDP socket on port ${port}`;
  let fd = -1;
  try {
    fd = check(c.socket(v6 ? LINUX_AF_INET6 : LINUX_AF_INET, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0), what);
    common(fd, mark);
    setInt(fd, SOL_SOCKET, SO_REUSEADDR, 1, 'setsockopt SO_REUSEADDR');
    if (v6) setInt(fd, IPPROTO_IPV6, IPV6_V6ONLY, 1, 'setsockopt IPV6_V6ONLY');
    const sa = sockaddr(addr, port);
    check(c.bind(fd, sa, sa.length), `bind port ${port}`);
    return fd;
  } catch (e) {
    if (fd >= 0) c.close(fd);
    throw e instanceof OsError ? socketError(e, what) : e;
  }
}

/** One sendto(2), never blocking; the errno on failure (0 on success). */
export function sendTo(fd: number, data: Uint8Array, to: Uint8Array): number {
  const c = libc();
  const r = c.sendto(fd, data, data.length, MSG_DONTWAIT, to, to.length);
  return r < 0 ? c.errno() : 0;
}

export function closeFd(fd: number): void {
  libc().close(fd);
}
