// The Internet checksum (RFC 1071), its incremental update (RFC 1624), and the IPv4/IPv6 pseudo-header
// sums used by UDP, TCP and ICMPv6 (RFC 768, RFC 8200 §8.1).

/**
 * Adds the 16-bit big-endian words of buf[off, off+len) to `acc` without folding (RFC 1071 §4.1).
 * An odd trailing byte is padded with zero, so only the last piece of a multi-piece sum may be odd.
 */
export function sumWords(buf: Uint8Array, off: number, len: number, acc = 0): number {
  const end = off + len;
  const even = end - (len & 1);
  let s = acc;
  let i = off;
  // Unrolled by 4 words; a JS number holds 2^53, so 65535 * (2^37 words) cannot overflow.
  for (; i + 8 <= even; i += 8) {
    s +=
      ((buf[i]! << 8) | buf[i + 1]!) +
      ((buf[i + 2]! << 8) | buf[i + 3]!) +
      ((buf[i + 4]! << 8) | buf[i + 5]!) +
      ((buf[i + 6]! << 8) | buf[i + 7]!);
  }
  for (; i < even; i += 2) s += (buf[i]! << 8) | buf[i + 1]!;
  if (len & 1) s += buf[end - 1]! << 8;
  return s;
}

/** Folds a sum to 16 bits with end-around carry (RFC 1071 §4.1 "fold 32-bit sum to 16 bits"). */
export function foldSum(acc: number): number {
  let s = acc;
  while (s > 0xffff) s = (s & 0xffff) + Math.floor(s / 0x10000);
  return s;
}

/** The checksum to put in a header: the one's complement of the folded sum. */
export function finishChecksum(acc: number): number {
  return ~foldSum(acc) & 0xffff;
}

/** The Internet checksum of buf[off, off+len), plus an optional pre-computed (pseudo-header) sum. */
export function internetChecksum(buf: Uint8Array, off = 0, len = buf.length - off, acc = 0): number {
  return finishChecksum(sumWords(buf, off, len, acc));
}

/**
 * True if data that includes its own checksum field sums to all ones (RFC 1071 §1 "verify": the
 * folded sum over the data and the checksum is 0xffff).
 */
export function checksumOk(buf: Uint8Array, off: number, len: number, acc = 0): boolean {
  return foldSum(sumWords(buf, off, len, acc)) === 0xffff;
}

/** The pseudo-header sum for IPv4 (RFC 768) or IPv6 (RFC 8200 §8.1): src, dst, length, protocol. */
export function pseudoHeaderSum(src: Uint8Array, dst: Uint8Array, proto: number, upperLen: number): number {
  let s = sumWords(src, 0, src.length) + sumWords(dst, 0, dst.length);
  // IPv4 carries a 16-bit length, IPv6 a 32-bit one; both sum the same for lengths below 2^16.
  s += Math.floor(upperLen / 0x10000) + (upperLen & 0xffff) + proto;
  return s;
}

/**
 * RFC 1624 eqn. 3: the new checksum after one 16-bit word changes from `oldWord` to `newWord`,
 * HC' = ~(~HC + ~m + m'). This form never yields the -0 (0x0000 from 0xffff) of eqn. 2.
 */
export function updateChecksum16(hc: number, oldWord: number, newWord: number): number {
  const s = (~hc & 0xffff) + (~oldWord & 0xffff) + (newWord & 0xffff);
  return ~foldSum(s) & 0xffff;
}

/** RFC 1624 applied to an even-length run of bytes (e.g. an address rewritten by NAT). */
export function updateChecksumBytes(hc: number, oldBytes: Uint8Array, newBytes: Uint8Array): number {
  if (oldBytes.length !== newBytes.length || oldBytes.length & 1) {
    throw new RangeError('updateChecksumBytes needs two even-length arrays of the same size');
  }
  let s = ~hc & 0xffff;
  for (let i = 0; i < oldBytes.length; i += 2) {
    s += (~((oldBytes[i]! << 8) | oldBytes[i + 1]!) & 0xffff) + ((newBytes[i]! << 8) | newBytes[i + 1]!);
  }
  return ~foldSum(s) & 0xffff;
}
