// ConfigError construction for user-input diagnostics. A bad config line needs file:line, not a JavaScript
// stack; skipping the stack capture keeps a run over a badly broken file (or a fuzz run) fast.
import { ConfigError } from '../../common/errors.js';

/** A ConfigError at file:line:col, built without capturing a stack trace. */
export function configError(message: string, file: string, line: number, col = 0): ConfigError {
  const limit = Error.stackTraceLimit;
  Error.stackTraceLimit = 0;
  try {
    return new ConfigError(message, file, line, col);
  } finally {
    Error.stackTraceLimit = limit;
  }
}
