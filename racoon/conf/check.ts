// `racoon -C`: parse and validate a configuration, and say "configuration OK" or list every error.
import type { ConfigError } from '../../common/errors.js';
import type { RacoonConf } from './ast.js';
import { loadRacoonConf, nodeFs, type ConfFs } from './parser.js';
import { RemoteAuthTable } from './remote-auth.js';
import { validateRacoonConfFull } from './validate.js';

export interface CheckResult {
  ok: boolean;
  conf: RacoonConf;
  /** Each remote's certificates, keys and identities, loaded as racoon does while parsing. */
  auth: RemoteAuthTable;
  /** Syntax errors first, then semantic ones; each message reads `file:line: text`. */
  errors: ConfigError[];
  /** Directives accepted without effect (`file:line: warning: ...`); they do not make the check fail. */
  warnings: ConfigError[];
  /** What `racoon -C` prints: the warnings, then one error per line or "configuration OK". */
  text: string;
}

/** Parses and validates the racoon.conf at `path` (and its includes). */
export function checkConfig(path: string, fs: ConfFs = nodeFs): CheckResult {
  const { conf, errors } = loadRacoonConf(path, fs);
  const v = validateRacoonConfFull(conf);
  const auth = new RemoteAuthTable(conf);
  // File loading problems sit among the others at their lines (racoon reports them while parsing).
  const byLine = (a: ConfigError, b: ConfigError) => (a.file === b.file ? a.line - b.line : 0);
  const all = [...errors, ...[...v.errors, ...auth.errors()].sort(byLine)];
  const lines = [...v.warnings, ...all].map((e) => e.message);
  return {
    ok: all.length === 0,
    conf,
    auth,
    errors: all,
    warnings: v.warnings,
    text: [...lines, ...(all.length ? [] : ['configuration OK'])].join('\n'),
  };
}
