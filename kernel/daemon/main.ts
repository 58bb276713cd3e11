// uipsecd's entry module (bin/uipsecd loads dist/kernel/daemon/main.js): the daemon (daemon.ts) and the
// program around it (cli.ts).
export { exitAfterFlush } from '../../common/stdio.js';
export { startDaemon, type Daemon, type DaemonOptions } from './daemon.js';
export { cli, statsLine, type CliIo } from './cli.js';
