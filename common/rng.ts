// Injected random source. The system source draws from a pooled buffer:
// a per-packet randomFillSync is a system call, a pooled draw a copy from memory.
import { randomFillSync, createHash } from 'node:crypto';

export interface Rng {
  /** Fills `out` with random bytes. */
  fill(out: Uint8Array, offset?: number, length?: number): void;
}

const POOL_SIZE = 4096;

/** Cryptographic RNG over a pooled buffer refilled from the OS CSPRNG. */
export class PooledRng implements Rng {
  private pool = Buffer.allocUnsafe(POOL_SIZE);
  private pos = POOL_SIZE;
  fill(out: Uint8Array, offset = 0, length = out.length - offset): void {
    if (length > POOL_SIZE / 4) {
      randomFillSync(out, offset, length);
      return;
    }
    if (this.pos + length > POOL_SIZE) {
      randomFillSync(this.pool);
      this.pos = 0;
    }
    // Copy then zero the used bytes so they can never be handed out twice.
    this.pool.copy(out, offset, this.pos, this.pos + length);
    this.pool.fill(0, this.pos, this.pos + length);
    this.pos += length;
  }
}

/** Deterministic RNG (SHA-256 in counter mode over a seed) for tests and exchange replay. NOT for keys. */
export class SeededRng implements Rng {
  private counter = 0;
  private buf = Buffer.alloc(0);
  constructor(private seed: string | number) {}
  fill(out: Uint8Array, offset = 0, length = out.length - offset): void {
    let o = offset;
    const end = offset + length;
    while (o < end) {
      if (this.buf.length === 0) {
        this.buf = createHash('sha256').update(`${this.seed}:${this.counter++}`).digest();
      }
      const n = Math.min(this.buf.length, end - o);
      this.buf.copy(out, o, 0, n);
      this.buf = this.buf.subarray(n);
      o += n;
    }
  }
}

export function randomBytes(rng: Rng, n: number): Uint8Array {
  const b = new Uint8Array(n);
  rng.fill(b);
  return b;
}

export const systemRng: Rng = new PooledRng();
