// The mode-config address pool (racoon isakmp_cfg_getport/putport): `network4` plus an index below
// `pool_size`, one address per phase 1, released when the phase 1 goes. Bounded by construction: at most
// pool_size addresses are ever out, and an exhausted pool answers without an address (counted, logged). One
// pool per daemon, shared by IKEv1 mode config and the IKEv2 configuration payload (sharedPool), so that a
// client of either version never gets an address a client of the other holds.
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

  /** The lease of `from` passes to `to` (an IKEv2 IKE SA rekeyed, RFC 7296 §2.18): the same address. */
  transfer(from: number, to: number): boolean {
    const i = this.byOwner.get(from);
    if (i === undefined || this.byOwner.has(to)) return false;
    this.byOwner.delete(from);
    this.byOwner.set(to, i);
    this.used.set(i, to);
    return true;
  }

  inUse(): number {
    return this.used.size;
  }
}

const pools = new WeakMap<object, { key: string; pool: AddressPool }>();

/**
 * The daemon's pool (keyed by its engine context) for `network4`/`size`; a reload naming another pool starts
 * afresh, as racoon does.
 */
export function sharedPool(daemon: object, network4: Uint8Array, size: number): AddressPool {
  const key = `${formatAddr(network4)}/${size}`;
  const have = pools.get(daemon);
  if (have && have.key === key) return have.pool;
  const pool = new AddressPool(network4, size);
  pools.set(daemon, { key, pool });
  return pool;
}

/** The daemon's pool if one was made (releases go there). */
export function existingPool(daemon: object): AddressPool | undefined {
  return pools.get(daemon)?.pool;
}
