// Process stdio helpers shared by the command-line tools.

/** `tool | head`: a closed stdout ends the process quietly (exit 0) instead of an EPIPE stack trace. */
export function exitQuietlyOnEpipe(): void {
  process.stdout.on('error', (e: NodeJS.ErrnoException) => {
    if (e.code === 'EPIPE') process.exit(0);
    throw e;
  });
}

/** Resolves once everything written so far to `s` has been handed to the OS (or the stream has failed). */
function drained(s: NodeJS.WriteStream): Promise<void> {
  if (s.destroyed || s.writableEnded) return Promise.resolve();
  // Writes complete in order, so the callback of an empty write runs after every earlier write.
  return new Promise((resolve) => s.write('', () => resolve()));
}

/** Resolves once stdout and stderr have drained. */
export async function flushStdio(): Promise<void> {
  await Promise.all([drained(process.stdout), drained(process.stderr)]);
}

/**
 * Exits with `code` after stdout and stderr have drained. On a pipe, Node writes asynchronously past the
 * pipe's buffer, and a bare process.exit() throws the rest away (issue 11 item 10: `uipsec status --json | jq`
 * got 65,536 bytes of 77 MB). Every command's launcher ends through here.
 */
export async function exitAfterFlush(code: number): Promise<never> {
  await flushStdio();
  process.exit(code);
}
