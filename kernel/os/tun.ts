// A Linux TUN device (Documentation/networking/tuntap.rst): open /dev/net/tun, TUNSETIFF with IFF_TUN |
// IFF_NO_PI (whole IP packets, no packet-information prefix; IFF_MULTI_QUEUE gives one fd per queue), then
// the MTU and IFF_UP through the classic interface ioctls on a datagram socket. The device disappears when
// its last fd closes (not TUNSETPERSIST): a crashed daemon leaves no interface behind.
import {
  libc,
  check,
  OsError,
  O_RDWR,
  O_CLOEXEC,
  TUNSETIFF,
  IFF_TUN,
  IFF_NO_PI,
  IFF_MULTI_QUEUE,
  IFREQ_BYTES,
  IFNAMSIZ,
  LINUX_AF_INET,
  SOCK_DGRAM,
  SOCK_CLOEXEC,
  ENOENT,
  EPERM,
  EACCES,
  EBUSY,
} from './libc.js';

/** <linux/sockios.h> */
const SIOCGIFFLAGS = 0x8913;
const SIOCSIFFLAGS = 0x8914;
const SIOCSIFMTU = 0x8922;
/** <net/if.h> */
const IFF_UP = 0x1;
/** struct ifreq: ifr_flags (short) and ifr_mtu (int) sit at offset 16, after the name. */
const IFR_DATA_OFF = 16;

export interface TunOptions {
  /** Interface name (up to 15 bytes); a `%d` in it lets the kernel number it. */
  name: string;
  /** One fd per queue (IFF_MULTI_QUEUE) when > 1. */
  queues?: number;
}

/** An open TUN device: its kernel name and one fd per queue. */
export interface TunDevice {
  readonly name: string;
  readonly fds: number[];
}

function ifreq(name: string, flags = 0): Uint8Array {
  const b = new Uint8Array(IFREQ_BYTES);
  const n = Buffer.from(name, 'utf8');
  if (n.length === 0 || n.length >= IFNAMSIZ)
    throw new RangeError(`interface name "${name.slice(0, 32)}" must be 1..15 bytes`);
  b.set(n, 0);
  b[IFR_DATA_OFF] = flags & 0xff;
  b[IFR_DATA_OFF + 1] = (flags >> 8) & 0xff;
  return b;
}

function nameOf(req: Uint8Array): string {
  const end = req.indexOf(0);
  return Buffer.from(req.subarray(0, end < 0 || end > IFNAMSIZ ? IFNAMSIZ : end)).toString('utf8');
}

/** The reason a TUN cannot be opened, in words a user can act on. */
function tunError(e: OsError, name: string): Error {
  if (e.errno === ENOENT)
    return new Error('/dev/net/tun is missing: load the tun module or give the container the device');
  if (e.errno === EPERM || e.errno === EACCES)
    return new Error(`creating TUN ${name} needs root or CAP_NET_ADMIN (${e.message})`);
  if (e.errno === EBUSY) return new Error(`TUN ${name} is busy: another process holds it`);
  return e;
}

/** Opens (creating if needed) the TUN device `name`; throws an Error saying what is missing. */
export function openTun(opts: TunOptions): TunDevice {
  const c = libc();
  const queues = Math.max(1, opts.queues ?? 1);
  const flags = IFF_TUN | IFF_NO_PI | (queues > 1 ? IFF_MULTI_QUEUE : 0);
  const fds: number[] = [];
  let name = opts.name;
  try {
    for (let q = 0; q < queues; q++) {
      const fd = check(c.open('/dev/net/tun', O_RDWR | O_CLOEXEC), 'open /dev/net/tun');
      fds.push(fd);
      const req = ifreq(name, flags);
      check(c.ioctl(fd, TUNSETIFF, req), `TUNSETIFF ${name}`);
      name = nameOf(req);
    }
  } catch (e) {
    for (const fd of fds) c.close(fd);
    throw e instanceof OsError ? tunError(e, name) : e;
  }
  return { name, fds };
}

/** Sets the MTU and brings the interface up (SIOCSIFMTU, SIOCSIFFLAGS | IFF_UP). */
export function configureInterface(name: string, mtu: number): void {
  const c = libc();
  const s = check(c.socket(LINUX_AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0), 'socket for interface ioctls');
  try {
    const m = ifreq(name);
    new DataView(m.buffer).setInt32(IFR_DATA_OFF, mtu, true);
    check(c.ioctl(s, SIOCSIFMTU, m), `SIOCSIFMTU ${name} ${mtu}`);
    const f = ifreq(name);
    check(c.ioctl(s, SIOCGIFFLAGS, f), `SIOCGIFFLAGS ${name}`);
    f[IFR_DATA_OFF] = f[IFR_DATA_OFF]! | IFF_UP;
    check(c.ioctl(s, SIOCSIFFLAGS, f), `SIOCSIFFLAGS ${name} up`);
  } finally {
    c.close(s);
  }
}

/** Closes every queue fd; the device goes away with the last one. */
export function closeTun(dev: TunDevice): void {
  const c = libc();
  for (const fd of dev.fds) c.close(fd);
}
