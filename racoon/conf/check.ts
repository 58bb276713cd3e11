// `racoon -C`: parse and validate a configuration, and say "configuration OK" or list every error.
import type { ConfigError } from '../../common/errors.js';
import type { RacoonConf } from './ast.js';
import { loadRacoonConf, nodeFs, type ConfFs } from './parser.js';
import { validateRacoonConf } from './validate.js';

export interface CheckResult {
  ok: boolean;
  conf: RacoonConf;
  /** Syntax errors first, then semantic ones; each message reads `file:line: text`. */
  errors: ConfigError[];
  /** What `racoon -C` prints: one error per line, or "configuration OK". */
  text: string;
}

/** Parses and validates the racoon.conf at `path` (and its includes). */
export function checkConfig(path: string, fs: ConfFs = nodeFs): CheckResult {
  const { conf, errors } = loadRacoonConf(path, fs);
  const all = [...errors, ...validateRacoonConf(conf)];
  return {
    ok: all.length === 0,
    conf,
    errors: all,
    text: all.length ? all.map((e) => e.message).join('\n') : 'configuration OK',
  };
}
