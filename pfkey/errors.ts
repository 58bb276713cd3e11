// PfkeyError: the one error type PF_KEY codecs and checks raise; its errno name goes back in
// sadb_msg_errno (RFC 2367 §1.8). Errno numbers are FreeBSD's (sys/errno.h), as a KAME kernel sends them.

/** The errno vocabulary a KAME kernel uses in PF_KEY replies. */
export type PfkeyErrno =
  | 'ENOENT'
  | 'ESRCH'
  | 'ENOMEM'
  | 'EEXIST'
  | 'EINVAL'
  | 'EMSGSIZE'
  | 'EPROTONOSUPPORT'
  | 'EOPNOTSUPP'
  | 'EAFNOSUPPORT'
  | 'ENOBUFS'
  | 'EBUSY'
  | 'EPERM';

/** FreeBSD errno numbers (what goes in the u8 sadb_msg_errno). */
export const ERRNO_NUMBERS: Readonly<Record<PfkeyErrno, number>> = Object.freeze({
  EPERM: 1,
  ENOENT: 2,
  ESRCH: 3,
  ENOMEM: 12,
  EBUSY: 16,
  EEXIST: 17,
  EINVAL: 22,
  EMSGSIZE: 40,
  EPROTONOSUPPORT: 43,
  EOPNOTSUPP: 45,
  EAFNOSUPPORT: 47,
  ENOBUFS: 55,
});

const ERRNO_NAMES = new Map<number, PfkeyErrno>(Object.entries(ERRNO_NUMBERS).map(([k, v]) => [v, k as PfkeyErrno]));

/** The errno name for a number found in sadb_msg_errno, or undefined if outside our vocabulary. */
export function errnoName(n: number): PfkeyErrno | undefined {
  return ERRNO_NAMES.get(n);
}

/** A malformed or unacceptable PF_KEY message; `errno` is what the kernel answers with. */
export class PfkeyError extends Error {
  readonly code = 'EPFKEY';
  constructor(
    readonly errno: PfkeyErrno,
    message: string,
    readonly offset = -1,
  ) {
    super(`${errno}: ${message}${offset >= 0 ? ` (at byte ${offset})` : ''}`);
    this.name = 'PfkeyError';
  }
  /** The numeric errno for sadb_msg_errno. */
  get errnoNumber(): number {
    return ERRNO_NUMBERS[this.errno];
  }
}

/** Throws PfkeyError(EINVAL) — the common case for malformed input. */
export function invalid(message: string, offset = -1): never {
  throw new PfkeyError('EINVAL', message, offset);
}
