// Reading a configuration or script file with a bound (issue 11 item 13: `include "/dev/zero"` in racoon.conf
// grew racoon to 2.3 GB in 4 s and never finished). Configuration files (racoon.conf and its includes,
// psk.txt, plainrsa keys, uipsecd -f) must be regular files of at most CONFIG_FILE_MAX_BYTES, certificates and
// CRLs of at most CERT_FILE_MAX_BYTES; a setkey script may also be a
// pipe, a FIFO or /dev/stdin (`setkey -f /dev/stdin`), so it is only capped, at SCRIPT_FILE_MAX_BYTES in all and
// SCRIPT_LINE_MAX_BYTES a line (an endless stream without a newline stops at the first, not the second).
import { closeSync, constants, fstatSync, openSync, readSync } from 'node:fs';

/** racoon.conf (each include too), psk.txt, uipsecd's config file: 4 MiB, far beyond any real one. */
export const CONFIG_FILE_MAX_BYTES = 4 * 1024 * 1024;
/** Certificate and CRL files (racoon `certificate_type`, `ca_type`, a hashed CA directory): a large CA's CRL fits. */
export const CERT_FILE_MAX_BYTES = 16 * 1024 * 1024;
/** setkey -f: 256 MiB, about 1.5 million `add` lines with keys. */
export const SCRIPT_FILE_MAX_BYTES = 256 * 1024 * 1024;
/** One line of a setkey script or of `setkey -c` input: 1 MiB, some thousand statements on one line. */
export const SCRIPT_LINE_MAX_BYTES = 1024 * 1024;

const CHUNK = 64 * 1024;

/** Why a file was not read; `code` is ENOTREG, EFBIG, or the errno of open/read; `reason` omits the path. */
export class FileReadError extends Error {
  constructor(
    readonly path: string,
    readonly code: string,
    readonly reason: string,
  ) {
    super(`${path}: ${reason}`);
    this.name = 'FileReadError';
  }
}

export interface BoundedReadOptions {
  maxBytes: number;
  /** The longest line (bytes between two newlines) read before giving up; unbounded when absent. */
  maxLineBytes?: number;
  /** Refuse anything but a regular file (a device, FIFO, socket or directory). */
  regularOnly: boolean;
}

/** A byte count as the limits are written: `256 MiB`, `64 KiB`, or bytes. */
export function formatLimit(n: number): string {
  if (n >= 1024 * 1024 && n % (1024 * 1024) === 0) return `${n / (1024 * 1024)} MiB`;
  if (n >= 1024 && n % 1024 === 0) return `${n / 1024} KiB`;
  return `${n} bytes`;
}

/** Counts lines in the chunks read and fails on the first longer than `max` bytes, before its newline. */
class LineBound {
  private line = 1;
  private len = 0;

  constructor(
    private readonly path: string,
    private readonly max: number,
  ) {}

  take(chunk: Buffer): void {
    let from = 0;
    for (let nl = chunk.indexOf(0x0a, from); nl >= 0; nl = chunk.indexOf(0x0a, from)) {
      this.check(this.len + nl - from);
      this.line++;
      this.len = 0;
      from = nl + 1;
    }
    this.len += chunk.length - from;
    this.check(this.len);
  }

  private check(len: number): void {
    if (len > this.max)
      throw new FileReadError(
        this.path,
        'EFBIG',
        `line ${this.line} longer than ${formatLimit(this.max)}; refusing to read on`,
      );
  }
}

function kindOf(st: ReturnType<typeof fstatSync>): string {
  if (st.isDirectory()) return 'a directory';
  if (st.isCharacterDevice()) return 'a character device';
  if (st.isBlockDevice()) return 'a block device';
  if (st.isFIFO()) return 'a FIFO';
  if (st.isSocket()) return 'a socket';
  return 'not a regular file';
}

/** Reads all of `fd`, failing past `max` bytes or a line past `maxLine`; EAGAIN (a non-blocking stdin) is waited out. */
function readAll(fd: number, path: string, max: number, maxLine: number | undefined): Buffer {
  const lines = maxLine === undefined ? undefined : new LineBound(path, maxLine);
  const parts: Buffer[] = [];
  let total = 0;
  for (;;) {
    const buf = Buffer.allocUnsafe(CHUNK);
    let n: number;
    try {
      n = readSync(fd, buf, 0, CHUNK, null);
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'EAGAIN') throw e;
      Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 10);
      continue;
    }
    if (n === 0) return Buffer.concat(parts, total);
    total += n;
    if (total > max) throw new FileReadError(path, 'EFBIG', `larger than ${formatLimit(max)}; refusing to read on`);
    lines?.take(buf.subarray(0, n));
    parts.push(buf.subarray(0, n));
  }
}

/**
 * The bytes of `path` (`-` and `/dev/stdin` are fd 0), or a FileReadError saying why not: not a regular file when that is
 * required (checked on the open descriptor, which a FIFO cannot stall: O_NONBLOCK), or more than `maxBytes`.
 */
export function readBoundedFile(path: string, o: BoundedReadOptions): Buffer {
  let fd: number;
  try {
    // /dev/stdin too: re-opening it fails when stdin is a socket (ENXIO), as a spawned child's often is.
    fd =
      path === '-' || path === '/dev/stdin'
        ? 0
        : openSync(path, constants.O_RDONLY | (o.regularOnly ? constants.O_NONBLOCK : 0));
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code ?? 'EIO';
    throw new FileReadError(path, code, code);
  }
  try {
    const st = fstatSync(fd);
    if (st.isDirectory() || (o.regularOnly && !st.isFile()))
      throw new FileReadError(path, 'ENOTREG', `${kindOf(st)}, not a regular file`);
    if (st.isFile() && st.size > o.maxBytes)
      throw new FileReadError(path, 'EFBIG', `${st.size} bytes, larger than ${formatLimit(o.maxBytes)}`);
    return readAll(fd, path, o.maxBytes, o.maxLineBytes);
  } catch (e) {
    if (e instanceof FileReadError) throw e;
    const code = (e as NodeJS.ErrnoException).code ?? 'EIO';
    throw new FileReadError(path, code, code);
  } finally {
    if (fd !== 0) closeSync(fd);
  }
}

/** A certificate, CRL or key file: regular, at most CERT_FILE_MAX_BYTES. */
export function readCertBytes(path: string): Uint8Array {
  return readBoundedFile(path, { maxBytes: CERT_FILE_MAX_BYTES, regularOnly: true });
}

/** A configuration file as text: regular, at most CONFIG_FILE_MAX_BYTES. */
export function readConfigText(path: string): string {
  return readBoundedFile(path, { maxBytes: CONFIG_FILE_MAX_BYTES, regularOnly: true }).toString('utf8');
}
