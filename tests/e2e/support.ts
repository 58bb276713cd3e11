// e2e support: the repository root (tests run from source and compiled), and how to start one of our
// programs as a real process either way (tsx from source, node on dist/ when compiled).
import { join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { repoRoot } from '../support/root.js';

export { repoRoot };

/** True when this test file runs compiled from dist/. */
export const compiled = fileURLToPath(import.meta.url).endsWith('.js');

/** node arguments that run the module `rel` (a path like 'app/demo', without extension) as a program. */
export function programArgs(rel: string): string[] {
  const root = repoRoot();
  if (compiled) return [join(root, 'dist', `${rel}.js`)];
  // The loader by path, so that the child may run in any working directory.
  return [
    '--import',
    pathToFileURL(join(root, 'node_modules', 'tsx', 'dist', 'loader.mjs')).href,
    join(root, `${rel}.ts`),
  ];
}

/** node arguments that run uipsecd: bin/uipsecd when compiled, else its cli() from source through tsx. */
export function daemonArgs(args: string[]): string[] {
  const root = repoRoot();
  if (compiled) return [join(root, 'bin', 'uipsecd'), ...args];
  const loader = pathToFileURL(join(root, 'node_modules', 'tsx', 'dist', 'loader.mjs')).href;
  const mainTs = pathToFileURL(join(root, 'kernel', 'daemon', 'main.ts')).href;
  return [
    '--import',
    loader,
    '-e',
    `import(${JSON.stringify(mainTs)}).then(async (m) => { process.exitCode = await m.cli(process.argv.slice(1)); })`,
    '--',
    ...args,
  ];
}

/** One of two underlay hosts: its name, its address and the peer's, their underlay endpoints and PF_KEY socket. */
export interface UnderlayHost {
  name: 'a' | 'b';
  socket: string;
  address: string;
  peer: string;
  /** HOST:PORT of this host's and the peer's underlay sockets. */
  underlay: string;
  peerUnderlay: string;
}

/** uipsecd's arguments for one host of a pair on the UDP underlay, as the quickstart starts it. */
export function underlayDaemonArgs(h: UnderlayHost, extra: string[] = []): string[] {
  return daemonArgs([
    ...['--socket', h.socket, '--name', h.name, '--address', `${h.address}/24`],
    ...['--underlay', h.underlay, '--neighbour', `${h.peer}=${h.peerUnderlay}`],
    ...extra,
  ]);
}
