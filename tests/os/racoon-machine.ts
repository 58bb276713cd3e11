// One machine of the OS tests: the shipped `uipsecd --tun` and `racoon -F` as processes in a namespace, as the
// docs start them (docs/protecting-real-traffic.md), and the ping that raises ACQUIRE until one is answered.
import { mkdirSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { compiled, programArgs, repoRoot } from '../e2e/support.js';
import { nsRun, NsProc, startDaemon, type Pair } from './netns.js';

/** `node bin/racoon` when built (as a user runs it), else racoon's main from source through tsx. */
export function racoonCmd(args: string[]): string[] {
  if (compiled) return [process.execPath, join(repoRoot(), 'bin', 'racoon'), ...args];
  return [process.execPath, ...programArgs('tests/e2e/racoon-launch'), 'racoon', ...args];
}

/**
 * uipsecd --tun (policies from `setkeyFile`) and racoon (`confFile`) in `ns`; both are pushed on `procs` for
 * the caller to stop. uipsecd puts its other sockets (ike.sock...) beside the PF_KEY one: `dir` is this
 * machine's own directory, made afresh. `wrap` prefixes racoon's command (e.g. a private mount namespace).
 */
export async function startMachine(
  ns: string,
  side: string,
  dir: string,
  setkeyFile: string,
  confFile: string,
  procs: NsProc[],
  wrap: (cmd: string[]) => string[] = (cmd) => cmd,
): Promise<NsProc> {
  rmSync(dir, { recursive: true, force: true });
  mkdirSync(dir);
  const sock = join(dir, 'pfkey.sock');
  const d = startDaemon(ns, `uipsecd ${side}`, ['--socket', sock, '--tun', 'utun0', '--load', setkeyFile]);
  procs.push(d);
  await d.waitFor(/ up: TUN utun0/);
  const r = new NsProc(`racoon ${side}`, ns, wrap(racoonCmd(['-F', '-f', confFile, '-d', '--socket', sock])));
  procs.push(r);
  await r.waitFor(/racoon started/);
  return r;
}

/** Pings B from A until one is answered (the first raises ACQUIRE and is dropped), bounded. */
export function pingUntilAnswered(pair: Pair, tries = 15): boolean {
  for (let i = 0; i < tries; i++)
    if (nsRun(pair.a, ['ping', '-c', '1', '-W', '1', pair.addrB], 10_000).code === 0) return true;
  return false;
}
