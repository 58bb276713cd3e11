// Where an XAuth login is checked (racoon.conf(5) mode_cfg `auth_source system|radius|ldap|pam`; racoon
// isakmp_xauth.c xauth_login_*): the pre-shared key file's user lines, RADIUS, LDAP or PAM. The three outside
// back-ends are asynchronous and bounded together: at most MAX_PENDING_LOGINS checks wait at once, a login past
// that is refused at once (counted), so a flood of XAuth REPLYs cannot make unbounded RADIUS/LDAP requests or
// PAM threads. A verdict's reason never holds the password; the caller zeroes it after the check.
import type { EngineCtx } from '../../engine/context.js';
import type { RadiusClientOpts } from './radius-client.js';
import type { XauthLogin, XauthVerdict } from './auth-types.js';
import { checkLocalUser } from './xauth.js';
import { groupsOf, readUnixDb, type UnixDb } from '../../unix-ids.js';

export type { XauthLogin, XauthVerdict } from './auth-types.js';

/** Logins checked at once by RADIUS, LDAP or PAM, all peers together. */
export const MAX_PENDING_LOGINS = 16;

/** The accounting record of a login, kept on its phase 1. */
export interface AcctSession {
  user: string;
  peer: Uint8Array;
  sessionId: string;
  addr4?: Uint8Array;
}

export class XauthAuthenticator {
  private pending = 0;
  /** Logins refused because MAX_PENDING_LOGINS were waiting. */
  busy = 0;

  constructor(
    private readonly ctx: EngineCtx,
    /** Where /etc/passwd and /etc/group are (group_source system); tests give their own. */
    private readonly unixRoot = '/etc',
  ) {}

  get inFlight(): number {
    return this.pending;
  }

  /** The verdict now (system) or later (radius, ldap, pam); then group_source system's check, if any. */
  check(login: XauthLogin): XauthVerdict | Promise<XauthVerdict> {
    const v = this.checkLogin(login);
    const mc = this.ctx.conf.modeCfg;
    if (mc?.groupSource !== 'system' || mc.authGroups.length === 0) return v;
    const inGroups = (r: XauthVerdict) =>
      r.ok ? systemGroupCheck(readUnixDb(this.unixRoot), login.user, mc.authGroups) : r;
    return v instanceof Promise ? v.then(inGroups) : inGroups(v);
  }

  private checkLogin(login: XauthLogin): XauthVerdict | Promise<XauthVerdict> {
    const src = this.ctx.conf.modeCfg?.authSource ?? 'system';
    if (src === 'system') return { ok: checkLocalUser(this.ctx.psk, login.user, login.pass) };
    if (this.pending >= MAX_PENDING_LOGINS) {
      this.busy++;
      return { ok: false, why: `${MAX_PENDING_LOGINS} logins already being checked (auth_source ${src})` };
    }
    this.pending++;
    return this.outside(src, login)
      .catch((e: unknown) => ({ ok: false, why: `auth_source ${src}: ${e instanceof Error ? e.message : String(e)}` }))
      .finally(() => this.pending--);
  }

  private async outside(src: 'radius' | 'ldap' | 'pam', login: XauthLogin): Promise<XauthVerdict> {
    const conf = this.ctx.conf;
    if (src === 'radius') {
      if (!conf.radius?.auth.length) return { ok: false, why: 'auth_source radius without radiuscfg auth servers' };
      const { radiusLogin } = await import('./auth-radius.js');
      return radiusLogin(conf.radius, login, this.radiusOpts());
    }
    if (src === 'ldap') {
      const { ldapLogin } = await import('./auth-ldap.js');
      const groups = conf.modeCfg?.groupSource === 'ldap' ? conf.modeCfg.authGroups : [];
      return ldapLogin(conf.ldap, login, conf.modeCfg?.confSource === 'ldap', groups);
    }
    const { pamLogin } = await import('./auth-pam.js');
    return pamLogin(login);
  }

  private radiusOpts(): RadiusClientOpts {
    const r = this.ctx.conf.radius!;
    return {
      clock: this.ctx.clock,
      rng: this.ctx.rng,
      timeoutMs: Math.max(1, r.timeoutSec) * 1000,
      retries: r.retries,
      requireMessageAuth: false,
      onBad: (why) => this.ctx.log('warn', `RADIUS: ignored a response: ${why}`),
    };
  }

  /** `accounting radius`: Start after a login, Stop when its phase 1 goes (failures are logged, not fatal). */
  account(what: 'start' | 'stop', s: AcctSession): void {
    const conf = this.ctx.conf;
    if (conf.modeCfg?.accounting !== 'radius' || !conf.radius?.acct.length) return;
    const radius = conf.radius;
    void import('./auth-radius.js')
      .then(({ radiusAccount }) => radiusAccount(radius, what, s, this.radiusOpts()))
      .then((err) => err && this.ctx.log('warn', `RADIUS accounting ${what} failed: ${err}`));
  }
}

/**
 * group_source system (ipsec-tools xauth_group_system): the login passes when the user is in one of
 * `auth_groups` in the system group database — its primary group or a member list (getgrouplist(3); racoon's
 * getgrnam(3) check reads the member lists only).
 */
export function systemGroupCheck(db: UnixDb, user: string, groups: readonly string[]): XauthVerdict {
  const mine = groupsOf(db, user);
  if (groups.some((g) => mine.includes(g))) return { ok: true };
  return { ok: false, why: `user ${JSON.stringify(user)} is in none of the auth_groups (${groups.join(', ')})` };
}
