// Where uipsecd's log goes: stderr (the default; under systemd, journald's own format: a `<N>` priority prefix
// per line and no timestamp, journald adds one, sd-daemon(3)), a log file (--log-file, kept mode 0600, each
// line re-checked as racoon's -l is), or syslog (--syslog, facility daemon, through logger(1)).
import { makeLogger, type LogLevel, type Logger } from '../../common/log.js';
import { SyslogLogger } from '../../common/syslog.js';
import { logFileWriter, prepareLogFile } from '../../common/log-file.js';
import type { DaemonConfig } from './config.js';

/** sd-daemon(3) priorities: SD_ERR 3 ... SD_DEBUG 7. */
const SD_PRIORITY: Record<LogLevel, number> = { error: 3, warn: 4, notice: 5, info: 6, debug: 7 };

export interface DaemonLog {
  log: Logger;
  /** Said once after start, e.g. that an existing log file was narrowed to 0600. */
  notes: string[];
  close(): void;
}

/** A Logger for journald's stderr capture (JOURNAL_STREAM set): `<5>uipsecd: message`. */
function journalLogger(level: LogLevel, write: (line: string) => void): Logger {
  const base = makeLogger(level, () => {});
  return {
    get level() {
      return base.level;
    },
    set level(l) {
      base.level = l;
    },
    enabled: (l) => base.enabled(l),
    log(l, msg) {
      if (base.enabled(l)) write(`<${SD_PRIORITY[l]}>uipsecd: ${msg.replace(/\n/g, ' ')}`);
    },
  };
}

/** The daemon's logger from its config; throws LogFileError when --log-file must not be used. */
export function daemonLog(
  cfg: DaemonConfig,
  env: Record<string, string | undefined>,
  stderr: (line: string) => void,
): DaemonLog {
  if (cfg.syslog) {
    const s = new SyslogLogger({ level: cfg.logLevel, tag: 'uipsecd', socket: cfg.syslogSocket, fallback: stderr });
    return { log: s, notes: [], close: () => s.close() };
  }
  if (cfg.logFile) {
    const check = prepareLogFile(cfg.logFile);
    const notes =
      check.narrowedFrom !== undefined
        ? [`log file ${cfg.logFile} was mode ${check.narrowedFrom.toString(8)}: narrowed to 600`]
        : [];
    return {
      log: makeLogger(cfg.logLevel, logFileWriter(cfg.logFile, stderr, 'uipsecd'), 'uipsecd'),
      notes,
      close: () => {},
    };
  }
  if (env.JOURNAL_STREAM) return { log: journalLogger(cfg.logLevel, stderr), notes: [], close: () => {} };
  return { log: makeLogger(cfg.logLevel, stderr, 'uipsecd'), notes: [], close: () => {} };
}
