// Typed errors with stable codes.

/** A configuration error with position; used by setkey and racoon.conf parsers. */
export class ConfigError extends Error {
  readonly code = 'ECONFIG';
  constructor(
    message: string,
    readonly file: string,
    readonly line: number,
    readonly col = 0,
  ) {
    super(`${file}:${line}: ${message}`);
    this.name = 'ConfigError';
  }
}

/** An errno-carrying error; the errno name goes back in sadb_msg_errno. */
export class ErrnoError extends Error {
  constructor(
    readonly errno: string,
    message: string,
  ) {
    super(`${errno}: ${message}`);
    this.name = 'ErrnoError';
  }
}
