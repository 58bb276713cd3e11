// The algorithm contracts that ESP, AH and IPComp code against (RFC 4303 §3.2, RFC 4302 §3.3.2, RFC 3173).
// Names are the ones setkey uses (`-E aes-cbc`, `-A hmac-sha1`, `-C deflate`); key lengths are in bits as
// setkey counts them, i.e. including the RFC 3686 nonce / RFC 4106 salt that the key string carries.

/**
 * Which implementation backs an algorithm: `evp` (the node binary's OpenSSL through an FFI, one context per
 * SA) on the packet path where it is available, node:crypto (OpenSSL, a context per packet) as the portable
 * fallback, @noble as a second, independent one, node-forge for single DES.
 */
export type Backend = 'evp' | 'node' | 'noble' | 'forge';

/** A block or stream cipher used with a separate integrity algorithm (ESP "confidentiality only" part). */
export interface CipherAlg {
  kind: 'cipher';
  name: string;
  aliases: readonly string[];
  /** Allowed key lengths in bits, including any nonce the key string carries. */
  keyBits: readonly number[];
  /** ESP payload alignment: the padded plaintext is a multiple of this (at least 4; RFC 4303 §2.4). */
  blockSize: number;
  /** Bytes of IV carried in each packet. */
  ivLen: number;
  /** Counter modes need unique IVs, CBC needs unpredictable ones (RFC 4303 §3.3.2 / RFC 3602 §2.3). */
  ivKind: 'random' | 'counter' | 'none';
  backends: readonly Backend[];
  create(key: Uint8Array, backend?: Backend): CipherCtx;
}

export interface CipherCtx {
  /** Encrypts `len` bytes of `buf` at `off` in place (length already padded to blockSize). */
  encrypt(iv: Uint8Array, buf: Uint8Array, off: number, len: number): void;
  /** Decrypts `len` bytes of `buf` at `off` in place. */
  decrypt(iv: Uint8Array, buf: Uint8Array, off: number, len: number): void;
  wipe(): void;
}

/** A combined-mode algorithm (RFC 4106 GCM, RFC 7634 ChaCha20-Poly1305, RFC 4543 GMAC). */
export interface AeadAlg {
  kind: 'aead';
  name: string;
  aliases: readonly string[];
  keyBits: readonly number[];
  blockSize: number;
  ivLen: number;
  icvLen: number;
  /** GMAC (RFC 4543 §3): the payload is authenticated, not encrypted; it is part of the AAD. */
  authOnly: boolean;
  backends: readonly Backend[];
  create(key: Uint8Array, backend?: Backend): AeadCtx;
}

export interface AeadCtx {
  /**
   * Encrypts `len` bytes at `buf[off]` in place and writes the ICV to `tag` at `tagOff`.
   * `iv` is the 8-byte explicit IV; the salt comes from the key.
   */
  seal(
    iv: Uint8Array,
    aad: Uint8Array,
    buf: Uint8Array,
    off: number,
    len: number,
    tag: Uint8Array,
    tagOff: number,
  ): void;
  /** Verifies the tag (constant time) and then decrypts in place; returns false, leaving buf untouched, on a bad tag. */
  open(
    iv: Uint8Array,
    aad: Uint8Array,
    buf: Uint8Array,
    off: number,
    len: number,
    tag: Uint8Array,
    tagOff: number,
  ): boolean;
  wipe(): void;
}

/** An integrity algorithm (ESP ICV, AH ICV); the output is truncated to icvLen. */
export interface AuthAlg {
  kind: 'auth';
  name: string;
  aliases: readonly string[];
  keyBits: readonly number[];
  icvLen: number;
  backends: readonly Backend[];
  create(key: Uint8Array, backend?: Backend): AuthCtx;
}

export interface AuthCtx {
  /** Computes the truncated ICV over the concatenation of `parts`, written to `out` at `outOff`. */
  mac(parts: readonly Uint8Array[], out: Uint8Array, outOff: number): void;
  /** Constant-time check of `icv` against the ICV over `parts`. */
  verify(parts: readonly Uint8Array[], icv: Uint8Array): boolean;
  wipe(): void;
}

/** A compression algorithm for IPComp (RFC 3173, RFC 2394). */
export interface CompAlg {
  kind: 'comp';
  name: string;
  aliases: readonly string[];
  compress(data: Uint8Array): Uint8Array;
  /** Throws RangeError when the output would exceed `maxLen` (decompression-bomb limit, RFC 3173 §3.3). */
  decompress(data: Uint8Array, maxLen: number): Uint8Array;
}
