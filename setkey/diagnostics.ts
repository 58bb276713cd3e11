// Parse and check errors of the setkey language, reported as `file:line: message near 'token'`
// (or `line N: ...` for stdin), as ipsec-tools' yyerror does with its `line N: ... at [tok]`. A token that
// may be key material is never quoted: `file:line: message at column N (not shown: may be key material)`.
import { ConfigError } from '../common/errors.js';
import { mayBeKeyMaterial } from '../common/redact.js';

/** `near` for a token in a key position: never shown, whatever it holds. */
export const NEAR_KEY = '\u0000key';

/** One diagnostic; `file` is '' for stdin. Warnings do not stop a statement. */
export class SetkeyError extends ConfigError {
  constructor(
    readonly reason: string,
    file: string,
    line: number,
    col: number,
    readonly near?: string,
    readonly severity: 'error' | 'warning' = 'error',
  ) {
    super(reason, file, line, col);
    this.name = 'SetkeyError';
    // Kept hidden in the object too: diagnostics are re-made from `near` (stdin-joiner.ts).
    if (near !== undefined && isHidden(near)) this.near = NEAR_KEY;
    this.message = formatDiagnostic(file, line, reason, this.near, col);
  }
}

/**
 * Builds a diagnostic without capturing a stack trace: scripts with many errors (and the fuzzer) make
 * thousands of them, and a stack says nothing about where in the script the problem is.
 */
export function diagnostic(
  reason: string,
  file: string,
  line: number,
  col: number,
  near?: string,
  severity: 'error' | 'warning' = 'error',
): SetkeyError {
  const limit = Error.stackTraceLimit;
  Error.stackTraceLimit = 0;
  try {
    return new SetkeyError(reason, file, line, col, near, severity);
  } finally {
    Error.stackTraceLimit = limit;
  }
}

/** Token text shown after `near`: printable, at most 40 characters. */
export function quoteNear(text: string): string {
  const clean = text.replace(/[^\x20-\x7e]/g, (c) => `\\x${c.charCodeAt(0).toString(16).padStart(2, '0')}`);
  return clean.length > 40 ? clean.slice(0, 37) + '...' : clean;
}

function isHidden(near: string): boolean {
  return near === NEAR_KEY || mayBeKeyMaterial(near);
}

export function formatDiagnostic(file: string, line: number, reason: string, near?: string, col = 0): string {
  const where = file ? `${file}:${line}` : `line ${line}`;
  if (near === undefined) return `${where}: ${reason}`;
  if (isHidden(near)) return `${where}: ${reason} at column ${col} (not shown: may be key material)`;
  return `${where}: ${reason} near '${quoteNear(near)}'`;
}
