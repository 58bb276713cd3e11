// BSD socket addresses as PF_KEY carries them (4.4BSD layout: sa_len, sa_family, then the family's fields).
// sockaddr_in is 16 bytes, sockaddr_in6 28 (RFC 3493 §3.3); port, address and flowinfo are network order,
// sin6_scope_id host order. Family numbers are FreeBSD's (constants.ts).
import { AF_INET, AF_INET6, SOCKADDR_IN_LEN, SOCKADDR_IN6_LEN } from './constants.js';
import { PfkeyError, invalid } from './errors.js';
import { SOCKADDR_IN, SOCKADDR_IN6, getField, setField } from './layout.js';
import { bytesAt, putBytes, zeroBytes } from './ext/codec.js';

/** struct sockaddr_in. */
export interface Sockaddr4 {
  family: 4;
  port: number;
  addr: Uint8Array; // 4 bytes
}

/** struct sockaddr_in6. */
export interface Sockaddr6 {
  family: 6;
  port: number;
  addr: Uint8Array; // 16 bytes
  flowinfo: number;
  scopeId: number;
}

export type Sockaddr = Sockaddr4 | Sockaddr6;

/** sa_len for a family. */
export function sockaddrLength(sa: Sockaddr): number {
  return sa.family === 4 ? SOCKADDR_IN_LEN : SOCKADDR_IN6_LEN;
}

/**
 * Decodes a sockaddr at `off` with `avail` bytes available. sa_len must match the family exactly
 * (EINVAL); families other than inet/inet6 give EAFNOSUPPORT.
 */
export function decodeSockaddr(dv: DataView, off: number, avail: number): { value: Sockaddr; next: number } {
  if (avail < 2) invalid(`sockaddr: ${avail} bytes, need at least 2`, off);
  const saLen = dv.getUint8(off);
  const family = dv.getUint8(off + 1);
  if (family === AF_INET) {
    if (saLen !== SOCKADDR_IN_LEN) invalid(`sockaddr_in: sa_len ${saLen}, must be ${SOCKADDR_IN_LEN}`, off);
  } else if (family === AF_INET6) {
    if (saLen !== SOCKADDR_IN6_LEN) invalid(`sockaddr_in6: sa_len ${saLen}, must be ${SOCKADDR_IN6_LEN}`, off);
  } else {
    throw new PfkeyError('EAFNOSUPPORT', `sockaddr family ${family} not supported`, off);
  }
  if (saLen > avail) invalid(`sockaddr: sa_len ${saLen} runs past its extension (${avail} bytes left)`, off);
  const port = getField(dv, off, SOCKADDR_IN.fields.port);
  if (family === AF_INET) {
    return { value: { family: 4, port, addr: bytesAt(dv, off + SOCKADDR_IN.fields.addr.off, 4) }, next: off + saLen };
  }
  const f = SOCKADDR_IN6.fields;
  const value: Sockaddr6 = {
    family: 6,
    port,
    addr: bytesAt(dv, off + f.addr.off, 16),
    flowinfo: getField(dv, off, f.flowinfo),
    scopeId: getField(dv, off, f.scope_id),
  };
  return { value, next: off + saLen };
}

/** Encodes a sockaddr at `off`; returns the offset after it (off + sa_len). */
export function encodeSockaddr(sa: Sockaddr, dv: DataView, off: number): number {
  const len = sockaddrLength(sa);
  if (sa.addr.length !== (sa.family === 4 ? 4 : 16))
    invalid(`sockaddr: inet${sa.family === 6 ? '6' : ''} address of ${sa.addr.length} bytes`);
  zeroBytes(dv, off, len);
  const layout = sa.family === 4 ? SOCKADDR_IN : SOCKADDR_IN6;
  setField(dv, off, layout.fields.len, len);
  setField(dv, off, layout.fields.family, sa.family === 4 ? AF_INET : AF_INET6);
  setField(dv, off, layout.fields.port, sa.port, 'port');
  putBytes(dv, off + layout.fields.addr.off, sa.addr);
  if (sa.family === 6) {
    setField(dv, off, SOCKADDR_IN6.fields.flowinfo, sa.flowinfo, 'flowinfo');
    setField(dv, off, SOCKADDR_IN6.fields.scope_id, sa.scopeId, 'scope_id');
  }
  return off + len;
}

/** Convenience constructor: an inet or inet6 sockaddr from address bytes and a port. */
export function makeSockaddr(addr: Uint8Array, port = 0): Sockaddr {
  if (addr.length === 4) return { family: 4, port, addr };
  if (addr.length === 16) return { family: 6, port, addr, flowinfo: 0, scopeId: 0 };
  return invalid(`address of ${addr.length} bytes`);
}
