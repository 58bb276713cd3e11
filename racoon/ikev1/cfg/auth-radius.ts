// XAuth `auth_source radius` and `accounting radius` (racoon isakmp_xauth.c xauth_login_radius and
// isakmp_cfg.c isakmp_cfg_accounting_radius): an Access-Request with the user, the hidden password, the peer's
// address as Calling-Station-Id; Framed-IP-Address / Framed-IP-Netmask of an Access-Accept become the mode
// config address (conf_source radius). Accounting Start when a login succeeds, Stop when its phase 1 goes.
import { formatAddr } from '../../../common/inet.js';
import { randomBytes } from '../../../common/rng.js';
import type { RadiusConf } from '../../conf/ast.js';
import * as R from './radius-codec.js';
import { radiusExchange, type RadiusClientOpts, type RadiusTarget } from './radius-client.js';
import type { XauthLogin, XauthVerdict } from './auth-types.js';

/** RFC 2865 §3 / RFC 2866 §3 ports, used when radiuscfg gives none. */
export const RADIUS_AUTH_PORT = 1812;
export const RADIUS_ACCT_PORT = 1813;
const NAS_IDENTIFIER = new Uint8Array(Buffer.from('racoon'));

function targets(list: RadiusConf['auth'], port: number): RadiusTarget[] {
  return list.map((s) => ({ host: s.host, port: s.port ?? port, secret: new Uint8Array(Buffer.from(s.secret)) }));
}

function str(s: string): Uint8Array {
  return new Uint8Array(Buffer.from(s, 'utf8'));
}

/** What every request of ours carries (RFC 2865 §5.4/§5.32: a NAS-IP-Address or NAS-Identifier is required). */
function nasAttrs(peer: Uint8Array): R.RadiusAttr[] {
  return [
    { type: R.RAD_NAS_IDENTIFIER, value: NAS_IDENTIFIER },
    { type: R.RAD_NAS_PORT_TYPE, value: Uint8Array.of(0, 0, 0, R.RAD_NAS_PORT_TYPE_VIRTUAL) },
    { type: R.RAD_CALLING_STATION_ID, value: str(formatAddr(peer)) },
  ];
}

/** One XAuth login checked by the radiuscfg auth servers. */
export async function radiusLogin(conf: RadiusConf, login: XauthLogin, o: RadiusClientOpts): Promise<XauthVerdict> {
  if (login.pass.length > R.RADIUS_MAX_PASSWORD_BYTES) return { ok: false, why: 'password over 128 bytes' };
  const user = str(login.user);
  const extra: R.RadiusAttr[] = [{ type: R.RAD_SERVICE_TYPE, value: Uint8Array.of(0, 0, 0, R.RAD_SERVICE_FRAMED) }];
  extra.push(...nasAttrs(login.peer));
  const r = await radiusExchange(
    targets(conf.auth, RADIUS_AUTH_PORT),
    (id, t) => R.encodeAccessRequest(id, randomBytes(o.rng, 16), t.secret, user, login.pass, extra),
    o,
  );
  if (typeof r === 'string') return { ok: false, why: r };
  const p = r.packet;
  if (p.code === R.RADIUS_ACCESS_REJECT) return { ok: false, why: `Access-Reject from ${r.target.host}` };
  if (p.code !== R.RADIUS_ACCESS_ACCEPT) return { ok: false, why: `RADIUS code ${p.code} (only Accept logs in)` };
  const addr = R.radiusAttr(p, R.RAD_FRAMED_IP_ADDRESS);
  const mask = R.radiusAttr(p, R.RAD_FRAMED_IP_NETMASK);
  return {
    ok: true,
    addr4: addr?.length === 4 ? addr : undefined,
    mask4: mask?.length === 4 ? mask : undefined,
  };
}

/** Accounting Start/Stop for a login (RFC 2866 §5.1 Acct-Status-Type, §5.5 Acct-Session-Id). */
export async function radiusAccount(
  conf: RadiusConf,
  what: 'start' | 'stop',
  s: { user: string; peer: Uint8Array; sessionId: string; addr4?: Uint8Array },
  o: RadiusClientOpts,
): Promise<string | undefined> {
  const attrs: R.RadiusAttr[] = [
    {
      type: R.RAD_ACCT_STATUS_TYPE,
      value: Uint8Array.of(0, 0, 0, what === 'start' ? R.RAD_ACCT_START : R.RAD_ACCT_STOP),
    },
    { type: R.RAD_ACCT_SESSION_ID, value: str(s.sessionId) },
    { type: R.RAD_USER_NAME, value: str(s.user) },
    ...nasAttrs(s.peer),
  ];
  if (s.addr4) attrs.push({ type: R.RAD_FRAMED_IP_ADDRESS, value: s.addr4 });
  const r = await radiusExchange(
    targets(conf.acct, RADIUS_ACCT_PORT),
    (id, t) => R.encodeAccountingRequest(id, t.secret, attrs),
    o,
  );
  if (typeof r === 'string') return r;
  return r.packet.code === R.RADIUS_ACCOUNTING_RESPONSE ? undefined : `RADIUS code ${r.packet.code} to accounting`;
}
