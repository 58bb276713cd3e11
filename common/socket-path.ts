// Whether a Unix-domain socket path can be trusted, before a daemon listens on it or a client sends keys to it
// (issue 11 item 3). A local user who owns the socket's directory, or can write to it, can put their own
// socket there and receive what root sends (SADB_ADD with its keys). The rule is ssh's for key files
// (OpenSSH misc.c safe_path: every directory owned by root or the user, none writable by others), relaxed
// only for sticky ancestors such as /tmp: there others cannot rename or remove a directory that is not theirs.
import { lstatSync, mkdirSync, realpathSync, type Stats } from 'node:fs';
import { dirname, resolve } from 'node:path';

/** A socket path that is not safe to use; `message` says which file or directory and why. */
export class SocketPathError extends Error {
  readonly code = 'EUNSAFESOCKET';
  constructor(
    readonly path: string,
    readonly problem: string,
  ) {
    super(`refusing ${path}: ${problem}`);
    this.name = 'SocketPathError';
  }
}

const S_ISVTX = 0o1000;
const GROUP_OTHER_WRITE = 0o022;

function lstatOrNone(p: string): Stats | undefined {
  try {
    return lstatSync(p);
  } catch {
    return undefined;
  }
}

function octal(mode: number): string {
  return '0' + (mode & 0o7777).toString(8);
}

function owners(me: number): string {
  return me === 0 ? 'root' : `root or uid ${me}`;
}

/** '/', '/a', '/a/b' for '/a/b'. */
function prefixes(abs: string): string[] {
  const out = ['/'];
  let cur = '';
  for (const part of abs.split('/')) {
    if (part === '') continue;
    cur += '/' + part;
    out.push(cur);
  }
  return out;
}

/** Why directory `p` (a real path, no symlinks) must not hold or lead to our socket, or undefined. */
function unsafeDirEntry(p: string, st: Stats, me: number, own: boolean): string | undefined {
  if (!st.isDirectory()) return `${p} is not a directory`;
  if (st.uid !== 0 && st.uid !== me) return `directory ${p} is owned by uid ${st.uid}, not by ${owners(me)}`;
  const loose = (st.mode & GROUP_OTHER_WRITE) !== 0;
  // The socket's own directory: nobody else may create entries in it. An ancestor: sticky is enough.
  if (loose && (own || (st.mode & S_ISVTX) === 0))
    return `directory ${p} has mode ${octal(st.mode)}: others can replace what is in it (chmod go-w ${p}, or choose another path)`;
  return undefined;
}

/**
 * Why `dir` may not hold a socket of uid `me`, or undefined when it may. Symbolic links on the way must be
 * owned by root or `me`; every directory of the real path must be owned by root or `me` and not writable by
 * group or others (sticky ancestors excepted). Missing components are not a problem here (connect or mkdir
 * reports them).
 */
export function unsafeSocketDir(dir: string, me: number): string | undefined {
  const abs = resolve(dir);
  for (const p of prefixes(abs)) {
    const st = lstatOrNone(p);
    if (!st) return undefined;
    if (st.isSymbolicLink() && st.uid !== 0 && st.uid !== me)
      return `${p} is a symbolic link owned by uid ${st.uid}, not by ${owners(me)}`;
  }
  let real: string;
  try {
    real = realpathSync(abs);
  } catch {
    return undefined;
  }
  const ps = prefixes(real);
  for (let i = 0; i < ps.length; i++) {
    const st = lstatOrNone(ps[i]!);
    if (!st) return undefined;
    const why = unsafeDirEntry(ps[i]!, st, me, i === ps.length - 1);
    if (why) return why;
  }
  return undefined;
}

/**
 * Why a client of uid `me` must not connect to the socket at `path`, or undefined: its directory as
 * unsafeSocketDir says, and the socket file (or a symlink to it) owned by root or `me`.
 */
export function unsafeSocket(path: string, me: number): string | undefined {
  const abs = resolve(path);
  const dirWhy = unsafeSocketDir(dirname(abs), me);
  if (dirWhy) return dirWhy;
  const st = lstatOrNone(abs);
  if (!st) return undefined;
  if (st.uid !== 0 && st.uid !== me) return `${abs} is owned by uid ${st.uid}, not by ${owners(me)}`;
  if (!st.isSymbolicLink()) return undefined;
  let real: string;
  try {
    real = realpathSync(abs);
  } catch {
    return undefined;
  }
  return unsafeSocket(real, me);
}

/** The effective uid, or undefined where there is none (Windows: no checks). */
function euid(): number | undefined {
  return process.geteuid?.();
}

/** Throws SocketPathError when a client should not connect to `path` (every PF_KEY, IKE and admin client). */
export function assertSafeSocket(path: string, me: number | undefined = euid()): void {
  if (me === undefined) return;
  const why = unsafeSocket(path, me);
  if (why) throw new SocketPathError(path, why);
}

/**
 * For a server about to listen on `path`: creates its directory (mode 0700) if missing, then throws
 * SocketPathError unless the directory is safe (unsafeSocketDir). Checking after mkdir closes the race
 * with someone creating the directory first.
 */
export function prepareSocketDir(path: string, me: number | undefined = euid()): void {
  const dir = dirname(resolve(path));
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  if (me === undefined) return;
  const why = unsafeSocketDir(dir, me);
  if (why) throw new SocketPathError(path, why);
}
