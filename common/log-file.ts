// The daemons' log file (`racoon -l FILE`, `uipsecd --log-file FILE`). Each line opens, writes and closes it, as ipsec-tools logger.c log_print does
// with fopen(..., "a"), so rotation by renaming needs no signal. The file is created mode 0600 whatever the
// umask; it must be a regular file (not a symlink, FIFO or device) owned by root or by us, and an existing one
// open to group or others is narrowed to 0600 (issue 11 item 12: racoon created its log 0644).
import { closeSync, constants, fchmodSync, fstatSync, openSync, writeSync } from 'node:fs';

/** The mode a log file is created with, and narrowed to. */
export const LOG_FILE_MODE = 0o600;

// O_NOFOLLOW: never through a symlink someone planted; O_NONBLOCK: a FIFO cannot stall the open.
const FLAGS = constants.O_WRONLY | constants.O_APPEND | constants.O_CREAT | constants.O_NOFOLLOW | constants.O_NONBLOCK;

const OPEN_FAILURES: Readonly<Record<string, string>> = {
  ELOOP: 'is a symbolic link; refusing to follow it',
  ENXIO: 'is not a regular file (a FIFO or a device)', // O_NONBLOCK open of a FIFO with no reader
  EISDIR: 'is not a regular file (a directory)',
};

/** A log file the daemon refuses to write (the reason in words). */
export class LogFileError extends Error {
  constructor(
    readonly path: string,
    reason: string,
  ) {
    super(`log file ${path}: ${reason}`);
    this.name = 'LogFileError';
  }
}

/** What opening found: `narrowedFrom` is the old mode when group/other bits were removed. */
export interface LogFileCheck {
  narrowedFrom?: number;
}

function openChecked(path: string, me: number | undefined): { fd: number; check: LogFileCheck } {
  let fd: number;
  try {
    fd = openSync(path, FLAGS, LOG_FILE_MODE);
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code ?? '';
    throw new LogFileError(path, OPEN_FAILURES[code] ?? `cannot open (${code || (e as Error).message})`);
  }
  try {
    const st = fstatSync(fd);
    if (!st.isFile()) throw new LogFileError(path, 'is not a regular file');
    if (me !== undefined && st.uid !== 0 && st.uid !== me)
      throw new LogFileError(path, `is owned by uid ${st.uid}, not by root${me ? ` or uid ${me}` : ''}`);
    if ((st.mode & 0o077) === 0) return { fd, check: {} };
    fchmodSync(fd, LOG_FILE_MODE);
    return { fd, check: { narrowedFrom: st.mode & 0o7777 } };
  } catch (e) {
    closeSync(fd);
    throw e;
  }
}

/** Opens (creating) and checks the log file once at start; throws LogFileError when it must not be used. */
export function prepareLogFile(path: string, me: number | undefined = process.geteuid?.()): LogFileCheck {
  const { fd, check } = openChecked(path, me);
  closeSync(fd);
  return check;
}

/** Appends one line with the same checks as prepareLogFile (the file may have been rotated or replaced). */
export function appendLogLine(path: string, line: string, me: number | undefined = process.geteuid?.()): void {
  const { fd } = openChecked(path, me);
  try {
    writeSync(fd, line + '\n');
  } finally {
    closeSync(fd);
  }
}

/**
 * A line writer for `-l FILE`: appendLogLine, and when the file becomes unusable (replaced by a symlink or by
 * someone else's file), `fallback` (stderr) with one line saying why, rather than a crash or a lost line.
 */
export function logFileWriter(
  path: string,
  fallback: (line: string) => void,
  program = 'racoon',
): (line: string) => void {
  let failing = false;
  return (line) => {
    try {
      appendLogLine(path, line);
      failing = false;
    } catch (e) {
      if (!failing) fallback(`${program}: ${(e as Error).message}; logging here instead`);
      failing = true;
      fallback(line);
    }
  };
}
