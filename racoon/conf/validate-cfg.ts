// Checks of the XAuth / mode config / script statements that racoon makes at run time and uipsec makes at
// `racoon -C` too: a script that is unsafe to run is an error (a missing one a warning: it is checked again
// before each run), an XAuth client without a login and uipsec's meaning of `auth_source system` are said.
import { existsSync } from 'node:fs';
import type { ConfigError } from '../../common/errors.js';
import * as C from '../isakmp/constants.js';
import { scriptPath, unsafeScript } from '../script-hooks.js';
import type { ModeCfgConf, Pos, RacoonConf, RemoteConf } from './ast.js';
import { configError } from './diagnostic.js';

const err = (out: ConfigError[], pos: Pos, message: string) =>
  out.push(configError(message, pos.file, pos.line, pos.col));

const XAUTH_SERVER = [
  C.OAKLEY_ATTR_AUTH_METHOD_XAUTH_PSKEY_R,
  C.OAKLEY_ATTR_AUTH_METHOD_XAUTH_RSASIG_R,
  C.OAKLEY_ATTR_AUTH_METHOD_HYBRID_RSA_R,
];
const XAUTH_CLIENT = [
  C.OAKLEY_ATTR_AUTH_METHOD_XAUTH_PSKEY_I,
  C.OAKLEY_ATTR_AUTH_METHOD_XAUTH_RSASIG_I,
  C.OAKLEY_ATTR_AUTH_METHOD_HYBRID_RSA_I,
];
const uses = (rm: RemoteConf, methods: number[]) => rm.proposals.some((p) => methods.includes(p.authMethod?.id ?? 0));

function scripts(conf: RacoonConf, rm: RemoteConf, out: ConfigError[], warnings: ConfigError[]): void {
  for (const s of rm.scripts) {
    const path = scriptPath(conf, s.path);
    if (!existsSync(path)) {
      err(warnings, s.pos, `warning: script ${path} does not exist (yet): ${s.event} will not run without it`);
      continue;
    }
    const bad = unsafeScript(path);
    if (bad) err(out, s.pos, `script ${path} refused: ${bad} (it must belong to root and be writable by root only)`);
  }
}

export function validateCfg(conf: RacoonConf, out: ConfigError[], warnings: ConfigError[]): void {
  for (const rm of conf.remotes) {
    scripts(conf, rm, out, warnings);
    if (uses(rm, XAUTH_CLIENT) && !rm.xauthLogin)
      err(warnings, rm.pos, `warning: remote ${rm.name}: an xauth client proposal without xauth_login cannot log in`);
    if (uses(rm, XAUTH_SERVER) && (conf.modeCfg?.authSource ?? 'system') === 'system')
      err(
        warnings,
        conf.modeCfg?.pos ?? rm.pos,
        'warning: XAuth auth_source system: uipsec checks logins against the pre_shared_key file ' +
          '(`user password` lines), not the system password database',
      );
  }
  const mc = conf.modeCfg;
  if (mc?.network4 && !mc.netmask4)
    err(warnings, mc.pos, 'warning: mode_cfg network4 without netmask4: clients get no netmask');
  if (mc) backends(conf, mc, out, warnings);
}

/** What auth_source / conf_source / accounting / group_source need (racoon checks these at run time). */
function backends(conf: RacoonConf, mc: ModeCfgConf, out: ConfigError[], warnings: ConfigError[]): void {
  const src = mc.authSource ?? 'system';
  if (src === 'radius' && !conf.radius?.auth.length)
    err(out, mc.pos, 'auth_source radius needs a radiuscfg section with an `auth` server');
  if (mc.accounting === 'radius' && !conf.radius?.acct.length)
    err(out, mc.pos, 'accounting radius needs a radiuscfg section with an `acct` server');
  if ((src === 'ldap' || mc.groupSource === 'ldap') && !conf.ldap?.base)
    err(out, conf.ldap?.pos ?? mc.pos, 'auth_source/group_source ldap needs an ldapcfg section with `base`');
  // racoon takes the address from the back-end that checked the login: the same one must do both.
  if ((mc.confSource === 'radius' || mc.confSource === 'ldap') && mc.confSource !== src)
    err(out, mc.pos, `conf_source ${mc.confSource} needs auth_source ${mc.confSource}`);
  if (mc.groupSource === 'ldap' && src !== 'ldap')
    err(
      out,
      mc.pos,
      `group_source ldap with auth_source ${src}: not supported yet (groups are checked by LDAP logins)`,
    );
  if (mc.authGroups.length > 0 && mc.groupSource === undefined)
    err(out, mc.pos, 'auth_groups needs group_source system or ldap');
  if (src === 'pam' && !existsSync('/etc/pam.d/racoon') && !existsSync('/etc/pam.d/other'))
    err(warnings, mc.pos, 'warning: auth_source pam: no /etc/pam.d/racoon (nor other): PAM refuses every login');
  if (src === 'pam' && mc.authThrottleSec === 0)
    err(warnings, mc.pos, 'warning: auth_source pam with auth_throttle 0: only PAM modules slow password guessing');
}
