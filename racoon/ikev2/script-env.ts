// racoon's `script` hooks for an IKEv2 remote (isakmp.c script_hook): phase1_up when the IKE SA is
// established (after the configuration payload, so a roadwarrior's script sees INTERNAL_ADDR4 and installs
// it, as the IKEv1 mode config client's does), phase1_down when it goes, phase1_dead when the peer stopped
// answering. The environment is IKEv1's (LOCAL_ADDR, REMOTE_ADDR, REMOTE_ID, INTERNAL_*, SPLIT_*...).
import { formatAddr } from '../../common/inet.js';
import type { RacoonConf } from '../conf/ast.js';
import { cfgEnv } from '../ikev1/cfg/attributes.js';
import { scriptPath, type ScriptEvent, type ScriptRunner } from '../script-hooks.js';
import { formatIkev2Id } from './payloads/id.js';
import { cfg6Env } from './cfg6.js';
import type { IkeSa } from './records.js';

export function ikev2ScriptEnv(sa: IkeSa): Record<string, string> {
  const env: Record<string, string> = {
    LOCAL_ADDR: formatAddr(sa.local.addr),
    LOCAL_PORT: String(sa.local.port),
    REMOTE_ADDR: formatAddr(sa.remote.addr),
    REMOTE_PORT: String(sa.remote.port),
    IKE_VERSION: '2',
  };
  if (sa.peerId) env.REMOTE_ID = formatIkev2Id(sa.peerId).replace(/[^\x20-\x7e]/g, '?');
  if (sa.cfg) Object.assign(env, cfgEnv(sa.cfg.result), cfg6Env(sa.cfg.v6));
  return env;
}

/** Runs the remote's scripts for `event` (each `script` line naming it, in file order). */
export function runIkev2Scripts(conf: RacoonConf, runner: ScriptRunner, sa: IkeSa, event: ScriptEvent): void {
  for (const s of sa.rmconf.scripts)
    if (s.event === event) runner.run(scriptPath(conf, s.path), event, ikev2ScriptEnv(sa));
}
