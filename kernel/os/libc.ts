// The few libc calls uipsecd needs for the machine's own network (a TUN device, raw IP and UDP sockets with a
// firewall mark, poll), reached through koffi (an FFI with prebuilt binaries: no compiler on the user's
// machine). Loaded lazily: only `uipsecd --tun` and the os tests touch it. Every call returns the C result;
// errors are negative results with `errno()` read at once (koffi saves it per call). Linux x86-64/arm64.
import { createRequire } from 'node:module';

/** Linux <asm-generic/errno-base.h> and <errno.h> values we act on. */
export const EINTR = 4;
export const EAGAIN = 11;
export const EPERM = 1;
export const EACCES = 13;
export const ENOENT = 2;
export const EBUSY = 16;
export const ENODEV = 19;
export const EINVAL = 22;
export const EMSGSIZE = 90;
export const EADDRINUSE = 98;

/** <fcntl.h> / <sys/socket.h> / <netinet/in.h> numbers (Linux). */
export const O_RDWR = 2;
export const O_NONBLOCK = 0x800;
export const O_CLOEXEC = 0x80000;
export const F_GETFL = 3;
export const F_SETFL = 4;
/** Linux's address families (the BSD values that PF_KEY carries are in pfkey/constants.ts). */
export const LINUX_AF_INET = 2;
export const LINUX_AF_INET6 = 10;
export const SOCK_DGRAM = 2;
export const SOCK_RAW = 3;
export const SOCK_NONBLOCK = 0x800;
export const SOCK_CLOEXEC = 0x80000;
export const SOL_SOCKET = 1;
export const SO_REUSEADDR = 2;
export const SO_RCVBUF = 8;
export const SO_SNDBUF = 7;
export const SO_MARK = 36;
export const SO_RCVBUFFORCE = 33;
export const IPPROTO_IP = 0;
export const IP_HDRINCL = 3;
export const IPV6_HDRINCL = 36;
export const IPV6_V6ONLY = 26;
export const IPV6_RECVPKTINFO = 49;
export const IP_PMTUDISC_DO = 2;
export const IP_MTU_DISCOVER = 10;
export const POLLIN = 1;
export const MSG_DONTWAIT = 0x40;
export const EFD_NONBLOCK = 0x800;
export const EFD_CLOEXEC = 0x80000;

/** <linux/if_tun.h>: _IOW('T', 202, int) and flags; struct ifreq is 40 bytes (name[16] then a union). */
export const TUNSETIFF = 0x400454ca;
export const TUNSETPERSIST = 0x400454cb;
export const IFF_TUN = 0x0001;
export const IFF_NO_PI = 0x1000;
export const IFF_MULTI_QUEUE = 0x0100;
export const IFREQ_BYTES = 40;
export const IFNAMSIZ = 16;

/** The libc entry points, typed for TypeScript (koffi checks the C side). */
export interface Libc {
  open(path: string, flags: number): number;
  close(fd: number): number;
  ioctl(fd: number, req: number, arg: Uint8Array): number;
  read(fd: number, buf: Uint8Array, len: number): number;
  write(fd: number, buf: Uint8Array, len: number): number;
  fcntl(fd: number, cmd: number, arg: number): number;
  socket(domain: number, type: number, proto: number): number;
  bind(fd: number, addr: Uint8Array, len: number): number;
  sendto(fd: number, buf: Uint8Array, len: number, flags: number, addr: Uint8Array, alen: number): number;
  recvfrom(fd: number, buf: Uint8Array, len: number, flags: number, addr: Uint8Array, alen: Uint32Array): number;
  setsockopt(fd: number, level: number, name: number, val: Uint8Array, len: number): number;
  getsockname(fd: number, addr: Uint8Array, alen: Uint32Array): number;
  poll(fds: Uint8Array, nfds: number, timeoutMs: number): number;
  eventfd(initval: number, flags: number): number;
  errno(): number;
  strerror(e: number): string;
  /** sendmmsg(2) with `msgvec` a native address (see `native`); returns how many messages were sent. */
  sendmmsg(fd: number, msgvec: bigint, vlen: number, flags: number): number;
  /** `n` bytes of native memory (zeroed): its address, a view over it, and free() (once). */
  native(n: number): { addr: bigint; view: Uint8Array; free: () => void };
  /** read(2) on a worker of koffi's pool; the callback gets the result. */
  readAsync(fd: number, buf: Uint8Array, len: number, cb: (err: unknown, n: number) => void): void;
  /** Names the calling thread (≤ 15 bytes; `top -H`, /proc/PID/task/TID/comm); the result of pthread_setname_np. */
  nameThread(name: string): number;
}

let cached: Libc | undefined;
let loadError: Error | undefined;

interface KoffiFn {
  (...a: unknown[]): unknown;
  async(...a: unknown[]): void;
}
interface KoffiLib {
  func(decl: string): KoffiFn;
}
interface Koffi {
  load(path: string): KoffiLib;
  errno(): number;
  alloc(type: string, n: number): unknown;
  free(p: unknown): void;
  view(p: unknown, n: number): ArrayBuffer;
  address(p: unknown): bigint;
}

function bind(k: Koffi): Libc {
  const c = k.load('libc.so.6');
  const f = (d: string) => c.func(d);
  const open = f('int open(const char *path, int flags)');
  const close = f('int close(int fd)');
  const ioctl = f('int ioctl(int fd, unsigned long req, void *arg)');
  const read = f('long read(int fd, void *buf, size_t len)');
  const write = f('long write(int fd, const void *buf, size_t len)');
  const fcntl = f('int fcntl(int fd, int cmd, int arg)');
  const socket = f('int socket(int domain, int type, int proto)');
  const bindFn = f('int bind(int fd, const void *addr, uint32_t len)');
  const sendto = f('long sendto(int fd, const void *buf, size_t len, int flags, const void *addr, uint32_t alen)');
  const recvfrom = f('long recvfrom(int fd, void *buf, size_t len, int flags, void *addr, void *alen)');
  const setsockopt = f('int setsockopt(int fd, int level, int name, const void *val, uint32_t len)');
  const getsockname = f('int getsockname(int fd, void *addr, void *alen)');
  const poll = f('int poll(void *fds, unsigned long nfds, int timeout)');
  const eventfd = f('int eventfd(unsigned int initval, int flags)');
  const strerror = f('const char *strerror(int e)');
  // The vector is passed as its address (an integer of pointer size): the batch builds it in native memory.
  const sendmmsg = f('int sendmmsg(int fd, uintptr_t msgvec, unsigned int vlen, int flags)');
  const pthreadSelf = f('unsigned long pthread_self()');
  const setName = f('int pthread_setname_np(unsigned long thread, const char *name)');
  return {
    open: (p, fl) => open(p, fl) as number,
    close: (fd) => close(fd) as number,
    ioctl: (fd, r, a) => ioctl(fd, r, a) as number,
    read: (fd, b, n) => Number(read(fd, b, n)),
    write: (fd, b, n) => Number(write(fd, b, n)),
    fcntl: (fd, cmd, a) => fcntl(fd, cmd, a) as number,
    socket: (d, t, p) => socket(d, t, p) as number,
    bind: (fd, a, l) => bindFn(fd, a, l) as number,
    sendto: (fd, b, n, fl, a, l) => Number(sendto(fd, b, n, fl, a, l)),
    recvfrom: (fd, b, n, fl, a, l) => Number(recvfrom(fd, b, n, fl, a, l)),
    setsockopt: (fd, lv, nm, v, l) => setsockopt(fd, lv, nm, v, l) as number,
    getsockname: (fd, a, l) => getsockname(fd, a, l) as number,
    poll: (fds, n, t) => poll(fds, n, t) as number,
    eventfd: (v, fl) => eventfd(v, fl) as number,
    errno: () => k.errno(),
    strerror: (e) => strerror(e) as string,
    sendmmsg: (fd, v, n, fl) => sendmmsg(fd, v, n, fl) as number,
    native: (n) => {
      const p = k.alloc('uint8_t', n);
      const view = new Uint8Array(k.view(p, n));
      view.fill(0);
      return { addr: k.address(p), view, free: () => k.free(p) };
    },
    nameThread: (name) => setName(pthreadSelf(), name.slice(0, 15)) as number,
    readAsync: (fd, b, n, cb) => read.async(fd, b, n, (err: unknown, r: unknown) => cb(err, Number(r))),
  };
}

/** libc through koffi, or an Error saying why it is not available (not Linux, koffi missing). */
export function libc(): Libc {
  if (cached) return cached;
  if (loadError) throw loadError;
  try {
    if (process.platform !== 'linux')
      throw new Error(`the TUN and raw-socket back-end is Linux-only (here: ${process.platform})`);
    const k = createRequire(import.meta.url)('koffi') as Koffi;
    cached = bind(k);
    return cached;
  } catch (e) {
    loadError = new Error(`cannot reach libc through koffi: ${(e as Error).message}`);
    throw loadError;
  }
}

/** An Error for a failed call: "what: strerror (ENAME)". `code` is the errno. */
export class OsError extends Error {
  constructor(
    readonly what: string,
    readonly errno: number,
  ) {
    super(`${what}: ${safeStrerror(errno)} (errno ${errno})`);
  }
}

function safeStrerror(e: number): string {
  try {
    return libc().strerror(e);
  } catch {
    return 'error';
  }
}

/** Throws OsError when `r` < 0 (the errno read right after the call), else returns it. */
export function check(r: number, what: string): number {
  if (r < 0) throw new OsError(what, libc().errno());
  return r;
}

/** Sets or clears O_NONBLOCK on fd. */
export function setNonBlocking(fd: number, on: boolean): void {
  const c = libc();
  const fl = check(c.fcntl(fd, F_GETFL, 0), 'fcntl(F_GETFL)');
  check(c.fcntl(fd, F_SETFL, on ? fl | O_NONBLOCK : fl & ~O_NONBLOCK), 'fcntl(F_SETFL)');
}

/** An int option value as setsockopt wants it. */
export function intOpt(v: number): Uint8Array {
  const b = new Uint8Array(4);
  new DataView(b.buffer).setInt32(0, v, true);
  return b;
}
