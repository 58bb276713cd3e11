// strerror(3) for the errnos racoon's admin replies carry (Linux numbers and glibc's texts), the errno name
// for the rest: never a bare number.
import { getSystemErrorName } from 'node:util';

const TEXT: Readonly<Record<number, string>> = {
  1: 'Operation not permitted',
  2: 'No such file or directory',
  5: 'Input/output error',
  12: 'Cannot allocate memory',
  17: 'File exists',
  22: 'Invalid argument',
  90: 'Message too long',
  95: 'Operation not supported',
  101: 'Network is unreachable',
};

export function errnoText(errno: number): string {
  const t = TEXT[errno];
  if (t) return t;
  try {
    return getSystemErrorName(-Math.abs(errno));
  } catch {
    return `error ${errno}`;
  }
}
