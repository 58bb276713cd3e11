// The environment racoon gives a phase 1 script (isakmp.c script_hook, isakmp_cfg.c isakmp_cfg_setenv):
// both ends' addresses and ports, the peer's ID, the XAuth user, and what mode config gave or received.
import { formatAddr } from '../../common/inet.js';
import { formatIdData } from '../isakmp/payloads/id.js';
import { scriptPath, type ScriptEvent, type ScriptRunner } from '../script-hooks.js';
import type { RacoonConf } from '../conf/ast.js';
import { cfgEnv } from './cfg/attributes.js';
import type { Phase1 } from './handles.js';

export function scriptEnv(ph1: Phase1): Record<string, string> {
  const env: Record<string, string> = {
    LOCAL_ADDR: formatAddr(ph1.local.addr),
    LOCAL_PORT: String(ph1.local.port),
    REMOTE_ADDR: formatAddr(ph1.remote.addr),
    REMOTE_PORT: String(ph1.remote.port),
  };
  if (ph1.peerId) env.REMOTE_ID = formatIdData(ph1.peerId).replace(/[^\x20-\x7e]/g, '?');
  const c = ph1.cfg;
  if (c?.user !== undefined && c.xauth === 'server') env.XAUTH_USER = c.user.replace(/[^\x20-\x7e]/g, '?');
  if (c?.result) Object.assign(env, cfgEnv(c.result));
  return env;
}

/** Runs the remote's scripts for `event` (each `script` line naming it, in file order). */
export function runScripts(conf: RacoonConf, runner: ScriptRunner, ph1: Phase1, event: ScriptEvent): void {
  for (const s of ph1.rmconf.scripts)
    if (s.event === event) runner.run(scriptPath(conf, s.path), event, scriptEnv(ph1));
}
