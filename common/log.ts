// Leveled logger, injected everywhere. Keys are printed only at debug level.

export type LogLevel = 'error' | 'warn' | 'notice' | 'info' | 'debug';
const ORDER: Record<LogLevel, number> = { error: 0, warn: 1, notice: 2, info: 3, debug: 4 };

export interface Logger {
  level: LogLevel;
  log(level: LogLevel, msg: string): void;
  enabled(level: LogLevel): boolean;
}

export function makeLogger(
  level: LogLevel = 'notice',
  sink: (line: string) => void = (l) => process.stderr.write(l + '\n'),
  tag = '',
): Logger {
  return {
    level,
    enabled(l) {
      return ORDER[l] <= ORDER[this.level];
    },
    log(l, msg) {
      if (ORDER[l] > ORDER[this.level]) return;
      sink(`${new Date().toISOString()} ${l.toUpperCase()}${tag ? ' ' + tag : ''}: ${msg}`);
    },
  };
}

/** A logger that keeps nothing; the default for embedded hosts in tests. */
export const nullLogger: Logger = { level: 'error', log() {}, enabled: () => false };

export function isLogLevel(s: string): s is LogLevel {
  return s in ORDER;
}
