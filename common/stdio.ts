// Process stdio helpers shared by the command-line tools.

/** `tool | head`: a closed stdout ends the process quietly (exit 0) instead of an EPIPE stack trace. */
export function exitQuietlyOnEpipe(): void {
  process.stdout.on('error', (e: NodeJS.ErrnoException) => {
    if (e.code === 'EPIPE') process.exit(0);
    throw e;
  });
}
