// sendmmsg(2) batches for the send worker (kernel/os/tx-worker.ts): consecutive datagrams queued for one
// socket leave in one system call instead of one sendto(2) each. The vector lives in native memory, laid out
// once (x86-64/arm64 LP64: struct mmsghdr 64 bytes, struct iovec 16): every slot's msg_name, msg_iov and
// iov_base pointers are fixed at construction, so per datagram only the sockaddr, the payload and two
// lengths are written. Datagrams are copied into the slot (a memcpy of ≤ SLOT_BYTES): the ring's records
// are freed when a drain ends, and koffi gives no address for a SharedArrayBuffer.
import type { Libc } from './libc.js';
import { MSG_DONTWAIT } from './libc.js';

/** Datagrams per sendmmsg call (Linux caps one call at UIO_MAXIOV = 1024). */
export const TX_BATCH = 64;
/** Largest datagram a slot holds; a larger one is sent alone with sendto(2). */
export const TX_SLOT_BYTES = 2048;

const MMSG = 64;
const IOV = 16;
const NAME = 32;
const IOV_AT = TX_BATCH * MMSG;
const NAME_AT = IOV_AT + TX_BATCH * IOV;
const DATA_AT = NAME_AT + TX_BATCH * NAME;
const TOTAL = DATA_AT + TX_BATCH * TX_SLOT_BYTES;

/** What happened to each datagram: `sent` of them left; `failed` were refused, the last with `errno`. */
export interface BatchResult {
  sent: number;
  failed: number;
  errno: number;
}

export class MmsgBatch {
  private readonly mem: { addr: bigint; view: Uint8Array; free: () => void };
  private readonly dv: DataView;
  private fd = -1;
  private n = 0;

  constructor(private readonly c: Libc) {
    this.mem = c.native(TOTAL);
    this.dv = new DataView(this.mem.view.buffer, this.mem.view.byteOffset, TOTAL);
    const a = this.mem.addr;
    for (let i = 0; i < TX_BATCH; i++) {
      const m = i * MMSG;
      this.dv.setBigUint64(m, a + BigInt(NAME_AT + i * NAME), true); // msg_name
      this.dv.setBigUint64(m + 16, a + BigInt(IOV_AT + i * IOV), true); // msg_iov
      this.dv.setBigUint64(m + 24, 1n, true); // msg_iovlen
      this.dv.setBigUint64(IOV_AT + i * IOV, a + BigInt(DATA_AT + i * TX_SLOT_BYTES), true); // iov_base
    }
  }

  /** How many datagrams wait for flush(). */
  get pending(): number {
    return this.n;
  }

  /** True if the datagram joins the batch for `fd` (then flush() when `full`); false: flush first, or too big. */
  add(fd: number, data: Uint8Array, name: Uint8Array): boolean {
    if (data.length > TX_SLOT_BYTES || name.length > NAME) return false;
    if (this.n > 0 && (fd !== this.fd || this.n === TX_BATCH)) return false;
    this.fd = fd;
    const i = this.n++;
    this.mem.view.set(name, NAME_AT + i * NAME);
    this.dv.setUint32(i * MMSG + 8, name.length, true); // msg_namelen
    this.mem.view.set(data, DATA_AT + i * TX_SLOT_BYTES);
    this.dv.setBigUint64(IOV_AT + i * IOV + 8, BigInt(data.length), true); // iov_len
    return true;
  }

  get full(): boolean {
    return this.n === TX_BATCH;
  }

  /**
   * Sends the batch in order. A datagram the kernel refuses (sendmmsg returns -1 for the first one of the
   * remaining vector) is counted as failed and skipped, as a failed sendto(2) was: the rest still go.
   */
  flush(): BatchResult {
    const r: BatchResult = { sent: 0, failed: 0, errno: 0 };
    let at = 0;
    while (at < this.n) {
      const k = this.c.sendmmsg(this.fd, this.mem.addr + BigInt(at * MMSG), this.n - at, MSG_DONTWAIT);
      if (k > 0) {
        r.sent += k;
        at += k;
        continue;
      }
      r.errno = this.c.errno();
      r.failed++;
      at++;
    }
    this.n = 0;
    return r;
  }

  /** Frees the native memory (the batch must not be used after). */
  free(): void {
    this.n = 0;
    this.mem.free();
  }
}
