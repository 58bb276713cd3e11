// A single-producer single-consumer packet ring in a SharedArrayBuffer: the I/O worker (kernel/os/
// io-worker.ts) writes the packets it read, the main thread takes them in batches. Records are
// [u32 length][u32 source tag][bytes, padded to 4]; a length of WRAP sends the reader back to offset 0.
// `head` (written by the producer) and `tail` (by the consumer) are byte offsets published with Atomics;
// the doorbell is a counter the producer bumps and notifies only when the consumer said it sleeps.

/** Control words (Int32 indexes in the control SAB). */
const HEAD = 0;
const TAIL = 1;
const SLEEPING = 2;
const DOORBELL = 3;
const DROPS = 4;
/** Set by the producer's close(): a blocking consumer (a worker) leaves once it has drained. */
const CLOSED = 5;
const CTRL_WORDS = 8;
const REC_HDR = 8;
const WRAP = 0xffffffff;

export interface RingBuffers {
  data: SharedArrayBuffer;
  ctrl: SharedArrayBuffer;
}

export function createRing(bytes: number): RingBuffers {
  if (bytes < 4096 || bytes % 4 !== 0) throw new RangeError('ring size must be a multiple of 4, at least 4096');
  return { data: new SharedArrayBuffer(bytes), ctrl: new SharedArrayBuffer(CTRL_WORDS * 4) };
}

const pad4 = (n: number) => (n + 3) & ~3;

/** Atomics.waitAsync (Node >= 16; not in the ES2022 lib typings). */
type WaitAsync = (
  a: Int32Array,
  i: number,
  v: number,
) => { async: false; value: string } | { async: true; value: Promise<string> };
const waitAsync = (Atomics as unknown as { waitAsync: WaitAsync }).waitAsync;

/** The producer side (one thread). */
export class RingWriter {
  private readonly u8: Uint8Array;
  private readonly dv: DataView;
  private readonly ctrl: Int32Array;
  private readonly size: number;
  /** Records written since the last publish (published together: one doorbell per batch). */
  private head: number;

  constructor(b: RingBuffers) {
    this.u8 = new Uint8Array(b.data);
    this.dv = new DataView(b.data);
    this.ctrl = new Int32Array(b.ctrl);
    this.size = b.data.byteLength;
    this.head = Atomics.load(this.ctrl, HEAD);
  }

  /**
   * Room for a record of up to `maxLen` bytes: the view to fill, or undefined when the ring is full (the
   * packet is dropped and counted by `drop`, as a full socket buffer drops). Finish with `commit(len)`.
   */
  reserve(maxLen: number): Uint8Array | undefined {
    const need = REC_HDR + pad4(maxLen);
    const tail = Atomics.load(this.ctrl, TAIL);
    let at = this.head;
    if (at + need > this.size) {
      // Wrapping needs the reader past offset `need` and not still in front of us.
      if (tail > at || tail <= need) return undefined;
      if (at + 4 <= this.size) this.dv.setUint32(at, WRAP, true);
      at = 0;
      this.head = 0;
    } else if (tail > at && at + need >= tail) return undefined;
    return this.u8.subarray(at + REC_HDR, at + REC_HDR + maxLen);
  }

  /** Completes the reserved record with its real length and source tag (not yet visible to the reader). */
  commit(len: number, tag: number): void {
    this.dv.setUint32(this.head, len, true);
    this.dv.setUint32(this.head + 4, tag, true);
    this.head += REC_HDR + pad4(len);
    if (this.head + 4 > this.size) this.head = 0;
  }

  drop(): void {
    Atomics.add(this.ctrl, DROPS, 1);
  }

  /** True when nothing published is left for the reader (it has caught up). */
  get empty(): boolean {
    return Atomics.load(this.ctrl, TAIL) === Atomics.load(this.ctrl, HEAD);
  }

  /** Tells a blocking reader (`RingReader.waitSync`) to leave after draining what is published. */
  close(): void {
    Atomics.store(this.ctrl, CLOSED, 1);
    Atomics.add(this.ctrl, DOORBELL, 1);
    Atomics.notify(this.ctrl, DOORBELL);
  }

  /** Makes the committed records visible and wakes the reader if it waits. */
  publish(): void {
    Atomics.store(this.ctrl, HEAD, this.head);
    if (Atomics.load(this.ctrl, SLEEPING) === 1) {
      Atomics.add(this.ctrl, DOORBELL, 1);
      Atomics.notify(this.ctrl, DOORBELL);
    }
  }
}

/** The consumer side (the main thread). */
export class RingReader {
  private readonly u8: Uint8Array;
  private readonly dv: DataView;
  private readonly ctrl: Int32Array;
  private readonly size: number;
  private stopped = false;

  constructor(b: RingBuffers) {
    this.u8 = new Uint8Array(b.data);
    this.dv = new DataView(b.data);
    this.ctrl = new Int32Array(b.ctrl);
    this.size = b.data.byteLength;
  }

  /** Packets the producer dropped because the ring was full. */
  get drops(): number {
    return Atomics.load(this.ctrl, DROPS);
  }

  /**
   * Calls `fn` for every record published so far (the view is valid until `end` returns: copy to keep it),
   * then `end` (a batch's last chance to use the views), and frees their room; returns how many.
   */
  drain(fn: (packet: Uint8Array, tag: number) => void, max = Infinity, end?: () => void): number {
    let tail = Atomics.load(this.ctrl, TAIL);
    const head = Atomics.load(this.ctrl, HEAD);
    let n = 0;
    while (tail !== head && n < max) {
      if (tail + 4 > this.size || this.dv.getUint32(tail, true) === WRAP) {
        tail = 0;
        continue;
      }
      const len = this.dv.getUint32(tail, true);
      const tag = this.dv.getUint32(tail + 4, true);
      fn(this.u8.subarray(tail + REC_HDR, tail + REC_HDR + len), tag);
      tail += REC_HDR + pad4(len);
      if (tail + 4 > this.size) tail = 0;
      n++;
    }
    end?.();
    Atomics.store(this.ctrl, TAIL, tail);
    return n;
  }

  /**
   * Runs `onBatch` whenever records are there, never blocking the event loop: drains, then says it sleeps
   * and waits on the doorbell with Atomics.waitAsync. At most `batch` records per turn, so that timers and
   * sockets get their turn under load.
   */
  async run(onBatch: (reader: RingReader) => void, batch = 256): Promise<void> {
    void batch;
    while (!this.stopped) {
      onBatch(this);
      Atomics.store(this.ctrl, SLEEPING, 1);
      const bell = Atomics.load(this.ctrl, DOORBELL);
      if (Atomics.load(this.ctrl, HEAD) !== Atomics.load(this.ctrl, TAIL)) {
        Atomics.store(this.ctrl, SLEEPING, 0);
        await new Promise<void>((r) => setImmediate(r));
        continue;
      }
      const w = waitAsync(this.ctrl, DOORBELL, bell);
      if (w.async) await w.value;
      Atomics.store(this.ctrl, SLEEPING, 0);
    }
  }

  /**
   * For a worker thread (Atomics.wait blocks): returns at once if records are there, else sleeps until the
   * producer publishes. False once the producer closed the ring and everything is drained.
   */
  waitSync(): boolean {
    Atomics.store(this.ctrl, SLEEPING, 1);
    const bell = Atomics.load(this.ctrl, DOORBELL);
    const idle = Atomics.load(this.ctrl, HEAD) === Atomics.load(this.ctrl, TAIL);
    if (idle && Atomics.load(this.ctrl, CLOSED) === 1) return false;
    if (idle) Atomics.wait(this.ctrl, DOORBELL, bell);
    Atomics.store(this.ctrl, SLEEPING, 0);
    return true;
  }

  /** Ends `run` (after its current wait: ring the doorbell with `wake`). */
  stop(): void {
    this.stopped = true;
    Atomics.add(this.ctrl, DOORBELL, 1);
    Atomics.notify(this.ctrl, DOORBELL);
  }
}
