// The IKEv1 pseudo-random function and hash (RFC 2409 §3.2: "prf" is the HMAC of the negotiated hash when
// no PRF attribute is negotiated, §5), for MD5, SHA-1 and SHA-2 (RFC 4868 §2.1 for the SHA-2 HMACs in IKE).
// node:crypto is the default back-end; @noble/hashes is the second one, used by the cross-check tests.
import { createHash, createHmac } from 'node:crypto';
import { hmac } from '@noble/hashes/hmac.js';
import { sha256, sha384, sha512 } from '@noble/hashes/sha2.js';
import { md5, sha1 } from '@noble/hashes/legacy.js';
import type { CHash } from '@noble/hashes/utils.js';

export type PrfHash = 'md5' | 'sha1' | 'sha256' | 'sha384' | 'sha512';
export type PrfBackend = 'node' | 'noble';

const HASH_LEN: Readonly<Record<PrfHash, number>> = { md5: 16, sha1: 20, sha256: 32, sha384: 48, sha512: 64 };
const NOBLE: Readonly<Record<PrfHash, CHash>> = { md5, sha1, sha256, sha384, sha512 };

export const PRF_HASHES: readonly PrfHash[] = ['md5', 'sha1', 'sha256', 'sha384', 'sha512'];

export function isPrfHash(s: string): s is PrfHash {
  return Object.hasOwn(HASH_LEN, s);
}

/** Output bytes of the hash (and of the HMAC PRF built on it). */
export function hashLength(h: PrfHash): number {
  return HASH_LEN[h];
}

function joined(parts: readonly Uint8Array[]): Uint8Array {
  if (parts.length === 1) return parts[0]!;
  let n = 0;
  for (const p of parts) n += p.length;
  const out = new Uint8Array(n);
  let o = 0;
  for (const p of parts) {
    out.set(p, o);
    o += p.length;
  }
  return out;
}

/** prf(key, parts[0] | parts[1] | ...) = HMAC-hash (RFC 2104). */
export function prf(
  h: PrfHash,
  key: Uint8Array,
  parts: readonly Uint8Array[],
  backend: PrfBackend = 'node',
): Uint8Array {
  if (backend === 'noble') return hmac(NOBLE[h], key, joined(parts));
  const m = createHmac(h, key);
  for (const p of parts) m.update(p);
  return new Uint8Array(m.digest());
}

/** hash(parts[0] | parts[1] | ...) — the plain hash used for the phase 1 IV and NAT-D (RFC 2409 App. B, RFC 3947 §3.2). */
export function hash(h: PrfHash, parts: readonly Uint8Array[], backend: PrfBackend = 'node'): Uint8Array {
  if (backend === 'noble') return NOBLE[h](joined(parts));
  const m = createHash(h);
  for (const p of parts) m.update(p);
  return new Uint8Array(m.digest());
}
