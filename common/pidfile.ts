// The daemons' pid files. racoon's (ipsec-tools main.c): `path pidfile` in racoon.conf names it, a relative
// name is taken under /var/run/, and with no statement it is /var/run/racoon.pid. racoon writes it mode 0644
// when it daemonizes (not under -F) and removes it when it exits; ours also writes it under -F when racoon.conf
// names one (a service manager may want it). uipsecd writes one only when asked (--pidfile, `pidfile`).
// Unlike racoon, a pid file naming a live process stops a second start.
import { closeSync, openSync, readFileSync, rmSync, writeSync } from 'node:fs';
import { isAbsolute, join } from 'node:path';

export const PATH_VARRUN = '/var/run/';
export const DEFAULT_PIDFILE = join(PATH_VARRUN, 'racoon.pid');

/** The pid file's path for a `path pidfile` value (undefined: the default). */
export function pidfilePath(configured: string | undefined): string {
  if (configured === undefined) return DEFAULT_PIDFILE;
  return isAbsolute(configured) ? configured : join(PATH_VARRUN, configured);
}

/** Whether process `pid` exists (signal 0; EPERM means it exists under another user). */
function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** The pid a file names when that process runs and is not us, else undefined (a stale file). */
export function runningPid(path: string): number | undefined {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch {
    return undefined;
  }
  const pid = Number(text.trim());
  return Number.isInteger(pid) && pid > 0 && pid !== process.pid && alive(pid) ? pid : undefined;
}

/** A written pid file; remove() when the daemon exits (only if it still names us). */
export interface PidFile {
  readonly path: string;
  remove(): void;
}

/** Writes our pid to `path` (mode 0644), refusing when it names another live process. */
export function writePidFile(path: string, program = 'racoon'): PidFile {
  const other = runningPid(path);
  if (other !== undefined)
    throw new Error(`${path} names a running process (pid ${other}): is ${program} already running?`);
  rmSync(path, { force: true }); // a stale file, or a link someone left: never written through
  const fd = openSync(path, 'wx', 0o644);
  try {
    writeSync(fd, `${process.pid}\n`);
  } finally {
    closeSync(fd);
  }
  return {
    path,
    remove() {
      try {
        if (Number(readFileSync(path, 'utf8').trim()) === process.pid) rmSync(path, { force: true });
      } catch {
        /* already gone */
      }
    },
  };
}
