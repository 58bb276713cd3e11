// Syslog for the daemons: racoon's default log destination when it runs as a daemon (no -F, no -l), facility
// daemon, as ipsec-tools' plog does, and uipsecd's --syslog. Node has no syslog(3) and cannot open a Unix datagram socket, so the lines go through
// util-linux logger(1) (`--prio-prefix`: each line carries its own priority, RFC 3164 §4.1.1). When logger is
// missing or exits (no /dev/log in a container), the daemon says so once on stderr and logs there instead.
import { spawn, type ChildProcess } from 'node:child_process';
import type { LogLevel, Logger } from '../common/log.js';

/** syslog(3) facility `daemon` (3), as racoon's openlog. */
export const LOG_DAEMON = 3;

/** Our levels as syslog severities (RFC 5424 §6.2.1): err 3, warning 4, notice 5, info 6, debug 7. */
const SEVERITY: Record<LogLevel, number> = { error: 3, warn: 4, notice: 5, info: 6, debug: 7 };
const ORDER: Record<LogLevel, number> = { error: 0, warn: 1, notice: 2, info: 3, debug: 4 };

export interface SyslogOptions {
  level: LogLevel;
  /** The program name in each line (openlog's ident). */
  tag: string;
  facility?: number;
  /** logger -u: a Unix socket other than /dev/log (tests). */
  socket?: string;
  /** Where lines go once logger is gone. */
  fallback: (line: string) => void;
}

/** A Logger writing to syslog through one long-lived logger(1) process. */
export class SyslogLogger implements Logger {
  level: LogLevel;
  private child: ChildProcess | undefined;
  private readonly facility: number;

  constructor(private readonly o: SyslogOptions) {
    this.level = o.level;
    this.facility = o.facility ?? LOG_DAEMON;
    const args = ['--prio-prefix', '-t', o.tag, `--id=${process.pid}`, ...(o.socket ? ['-u', o.socket] : [])];
    const child = spawn('logger', args, { stdio: ['pipe', 'ignore', 'pipe'] });
    let why = '';
    child.stderr!.on('data', (c: Buffer) => (why += c.toString()));
    const gone = (e?: Error) => {
      if (this.child !== child) return;
      this.child = undefined;
      o.fallback(`${o.tag}: syslog unavailable (${(e?.message ?? why.trim()) || 'logger exited'}): logging to stderr`);
    };
    child.on('error', gone);
    child.on('exit', () => gone());
    child.stdin!.on('error', () => {});
    this.child = child;
  }

  enabled(l: LogLevel): boolean {
    return ORDER[l] <= ORDER[this.level];
  }

  log(l: LogLevel, msg: string): void {
    if (!this.enabled(l)) return;
    const line = msg.replace(/\n/g, ' ');
    if (this.child) this.child.stdin!.write(`<${this.facility * 8 + SEVERITY[l]}>${line}\n`);
    else this.o.fallback(`${new Date().toISOString()} ${l.toUpperCase()} ${this.o.tag}: ${line}`);
  }

  /** Lets logger write what it has, then exit. */
  close(): void {
    this.child?.stdin!.end();
    this.child = undefined;
  }
}
