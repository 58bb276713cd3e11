// The mode-config address pool (racoon isakmp_cfg_getport/putport): `network4` plus an index below
// `pool_size`, one address per phase 1, released when the phase 1 goes. Bounded by construction: at most
// pool_size addresses are ever out, and an exhausted pool answers without an address (counted, logged).
import { formatAddr } from '../../../common/inet.js';

/** racoon's default pool_size (isakmp_cfg.h ISAKMP_CFG_MAX_CNX). */
export const DEFAULT_POOL_SIZE = 255;

export class AddressPool {
  private readonly used = new Map<number, number>(); // index -> owner (phase 1 id)
  private readonly byOwner = new Map<number, number>();
  private readonly base: number;

  constructor(
    network4: Uint8Array,
    readonly size: number,
  ) {
    this.base = Buffer.from(network4).readUInt32BE(0);
  }

  private addrAt(i: number): Uint8Array {
    const b = Buffer.alloc(4);
    b.writeUInt32BE((this.base + i) >>> 0, 0);
    return new Uint8Array(b);
  }

  /** The owner's address (the same one when asked again), or undefined when every address is out. */
  alloc(owner: number): Uint8Array | undefined {
    const have = this.byOwner.get(owner);
    if (have !== undefined) return this.addrAt(have);
    for (let i = 0; i < this.size; i++) {
      if (this.used.has(i)) continue;
      this.used.set(i, owner);
      this.byOwner.set(owner, i);
      return this.addrAt(i);
    }
    return undefined;
  }

  release(owner: number): string | undefined {
    const i = this.byOwner.get(owner);
    if (i === undefined) return undefined;
    this.byOwner.delete(owner);
    this.used.delete(i);
    return formatAddr(this.addrAt(i));
  }

  inUse(): number {
    return this.used.size;
  }
}
