// Diffie-Hellman for IKE: MODP groups 1, 2 (RFC 2409 §6.1–§6.2), 5, 14–18 (RFC 3526), the random ECP
// groups 19–21 (RFC 5903) and, for IKEv2, Curve25519/Curve448 (groups 31, 32; RFC 8031). node:crypto does the
// arithmetic; private values come from the injected Rng so that exchange tests are deterministic.
import { createDiffieHellman, createECDH, type DiffieHellman } from 'node:crypto';
import type { Rng } from '../common/rng.js';
import { wipe } from '../common/bytes.js';
import { MODP_PRIMES } from './modp-primes.js';
import { ecxPublicKey, ecxSharedSecret, type EcxCurve } from './dh-ecx.js';

/** A DH group as IKE names it (racoon `struct dhgroup`). */
export interface DhGroup {
  /** The IKE group number (OAKLEY_ATTR_GRP_DESC / IKEv2 transform id). */
  id: number;
  name: string;
  kind: 'modp' | 'ecp' | 'ecx';
  /**
   * Bytes of the KE payload data: the prime length (MODP), 2 × coordinate length (ECP, x || y), or the
   * u-coordinate length (Curve25519/448, RFC 8031 §3).
   */
  publicLen: number;
  /** Bytes of g^xy: the prime length (MODP, left-padded), the x coordinate length (ECP, RFC 5903 §7), or 32/56. */
  sharedLen: number;
}

/** Raised for a peer public value that is out of range or not on the curve (RFC 2412 App. E checks). */
export class DhError extends Error {
  readonly code = 'EDH';
  constructor(message: string) {
    super(message);
    this.name = 'DhError';
  }
}

interface GroupImpl extends DhGroup {
  /** Private value size in bytes drawn from the Rng. */
  privLen: number;
  curve?: string;
  ecx?: EcxCurve;
}

// RFC 3526 §8: an exponent of twice the group's symmetric strength suffices; 64 bytes covers every group
// here (MODP-8192 ~ 200-bit strength), and the small groups use their whole length minus one byte.
const MODP_PRIV_MAX = 64;

const GROUPS: ReadonlyMap<number, GroupImpl> = new Map<number, GroupImpl>([
  ...Object.entries(MODP_PRIMES).map(([id, hex]): [number, GroupImpl] => {
    const n = hex.length / 2;
    return [
      Number(id),
      {
        id: Number(id),
        name: `modp${n * 8}`,
        kind: 'modp',
        publicLen: n,
        sharedLen: n,
        privLen: Math.min(n - 1, MODP_PRIV_MAX),
      },
    ];
  }),
  // RFC 5903 §3: 256-, 384- and 521-bit random ECP groups = NIST P-256/P-384/P-521.
  [19, { id: 19, name: 'ecp256', kind: 'ecp', publicLen: 64, sharedLen: 32, privLen: 32, curve: 'prime256v1' }],
  [20, { id: 20, name: 'ecp384', kind: 'ecp', publicLen: 96, sharedLen: 48, privLen: 48, curve: 'secp384r1' }],
  [21, { id: 21, name: 'ecp521', kind: 'ecp', publicLen: 132, sharedLen: 66, privLen: 66, curve: 'secp521r1' }],
  // RFC 8031 §2: the private value is 32/56 random bytes, clamped by X25519/X448 itself (RFC 7748 §5).
  [31, { id: 31, name: 'curve25519', kind: 'ecx', publicLen: 32, sharedLen: 32, privLen: 32, ecx: 'x25519' }],
  [32, { id: 32, name: 'curve448', kind: 'ecx', publicLen: 56, sharedLen: 56, privLen: 56, ecx: 'x448' }],
]);

/** The groups supported, by IKE number. */
export const DH_GROUP_IDS: readonly number[] = [...GROUPS.keys()].sort((a, b) => a - b);

export function findDhGroup(id: number): DhGroup | undefined {
  return GROUPS.get(id);
}

/*
 * node:crypto runs OpenSSL's DH_check when a DiffieHellman object is created from a prime it does not know
 * as a named group: ~50 ms for MODP-768 and ~90 ms for MODP-1024 (measured, docs/racoon.md). So one object
 * per group is created on first use and reused; each key pair sets its own private value before use. All
 * calls are synchronous, so no other key pair can interleave.
 */
const modpCache = new Map<number, DiffieHellman>();

function modpObject(g: GroupImpl): DiffieHellman {
  let dh = modpCache.get(g.id);
  if (!dh) {
    dh = createDiffieHellman(Buffer.from(MODP_PRIMES[g.id]!, 'hex'), 2);
    modpCache.set(g.id, dh);
  }
  return dh;
}

function leftPad(b: Uint8Array, len: number): Uint8Array {
  if (b.length === len) return new Uint8Array(b);
  if (b.length > len) throw new DhError(`value of ${b.length} bytes exceeds ${len}`);
  const out = new Uint8Array(len);
  out.set(b, len - b.length);
  return out;
}

/** RFC 2412 App. E / SP 800-56A §5.6.2.3.1: a MODP public value must satisfy 1 < y < p - 1. */
function checkModpPublic(g: GroupImpl, y: Uint8Array): void {
  if (y.length !== g.publicLen)
    throw new DhError(`${g.name} public value of ${y.length} bytes, expected ${g.publicLen}`);
  const p = Buffer.from(MODP_PRIMES[g.id]!, 'hex');
  let allZeroHigh = true;
  for (let i = 0; i < y.length - 1; i++)
    if (y[i] !== 0) {
      allZeroHigh = false;
      break;
    }
  if (allZeroHigh && y[y.length - 1]! <= 1) throw new DhError(`${g.name} public value 0 or 1`);
  // y < p - 1: compare against p - 1 (p ends in 0xff, so p - 1 only changes the last byte).
  const pm1 = Buffer.from(p);
  pm1[pm1.length - 1] = pm1[pm1.length - 1]! - 1;
  if (Buffer.compare(Buffer.from(y), pm1) >= 0) throw new DhError(`${g.name} public value not below p - 1`);
}

/** One side's ephemeral DH state (racoon: dhpriv/dhpub in ph1handle). */
export class DhKeyPair {
  readonly publicKey: Uint8Array;
  private priv: Uint8Array;

  constructor(
    readonly group: DhGroup,
    rng: Rng,
    priv?: Uint8Array,
  ) {
    const g = group as GroupImpl;
    this.priv = priv ? Uint8Array.from(priv) : new Uint8Array(g.privLen);
    if (!priv) rng.fill(this.priv);
    if (g.kind === 'ecx') {
      this.publicKey = ecxPublicKey(g.ecx!, this.priv);
    } else if (g.kind === 'modp') {
      const dh = modpObject(g);
      if (!priv) this.priv[0] = this.priv[0]! | 0x80; // full-length exponent
      dh.setPrivateKey(Buffer.from(this.priv));
      this.publicKey = leftPad(dh.generateKeys(), g.publicLen);
    } else {
      const ec = createECDH(g.curve!);
      for (let tries = 0; ; tries++) {
        if (!priv) clampScalar(g, this.priv);
        try {
          ec.setPrivateKey(Buffer.from(this.priv));
          break;
        } catch (e) {
          // A scalar at or above the group order (probability ~2^-32 or less): draw again.
          if (priv || tries > 8) throw new DhError(`${g.name} private value rejected: ${(e as Error).message}`);
          rng.fill(this.priv);
        }
      }
      this.publicKey = new Uint8Array(ec.getPublicKey().subarray(1)); // RFC 5903 §7: x || y, no 0x04 octet
    }
  }

  /** g^xy for the peer's KE data, length `group.sharedLen`; DhError on an invalid peer value. */
  computeSecret(peer: Uint8Array): Uint8Array {
    const g = this.group as GroupImpl;
    if (g.kind === 'ecx') {
      if (peer.length !== g.publicLen)
        throw new DhError(`${g.name} public value of ${peer.length} bytes, expected ${g.publicLen}`);
      const s = ecxSharedSecret(g.ecx!, this.priv, peer);
      // RFC 8031 §2.3: an all-zero shared secret (a small-order peer point) MUST be refused.
      if (!s) throw new DhError(`${g.name} public value gives an all-zero shared secret`);
      return s;
    }
    if (g.kind === 'modp') {
      checkModpPublic(g, peer);
      const dh = modpObject(g);
      dh.setPrivateKey(Buffer.from(this.priv));
      return leftPad(dh.computeSecret(Buffer.from(peer)), g.sharedLen);
    }
    if (peer.length !== g.publicLen)
      throw new DhError(`${g.name} public value of ${peer.length} bytes, expected ${g.publicLen}`);
    const ec = createECDH(g.curve!);
    ec.setPrivateKey(Buffer.from(this.priv));
    const point = Buffer.concat([Buffer.from([4]), Buffer.from(peer)]);
    try {
      return leftPad(ec.computeSecret(point), g.sharedLen);
    } catch (e) {
      throw new DhError(`${g.name} public value is not a point on the curve (${(e as Error).message})`);
    }
  }

  wipe(): void {
    wipe(this.priv);
  }
}

/** An ECP scalar from random bytes: P-521 keeps 9 bits in its top byte; all stay below the order w.h.p. */
function clampScalar(g: GroupImpl, b: Uint8Array): void {
  if (g.id === 21) b[0] = b[0]! & 0x01;
  if (b.every((x) => x === 0)) b[b.length - 1] = 1;
}

/** A new key pair for `group` with a private value drawn from `rng`. */
export function generateDhKeyPair(group: DhGroup, rng: Rng): DhKeyPair {
  return new DhKeyPair(group, rng);
}
