// XAuth `auth_source ldap` (racoon isakmp_xauth.c xauth_login_ldap, ldapcfg in racoon.conf(5)): bind as
// bind_dn (or anonymously) to find the user's entry under `base` by attr_user, then bind as that entry with the
// password the user gave: the directory checks it. attr_addr / attr_mask of the entry give the mode config
// address for conf_source ldap. Client: ldapts (LDAPv3, RFC 4511); every step bounded by a timeout.
import { AndFilter, Client, EqualityFilter, OrFilter } from 'ldapts';
import type { LdapConf } from '../../conf/ast.js';
import type { XauthLogin, XauthVerdict } from './auth-types.js';

/** racoon.conf(5) ldapcfg defaults. */
export const LDAP_DEFAULTS = {
  host: 'localhost',
  port: 389,
  attrUser: 'cn',
  attrAddr: 'racoon-address',
  attrMask: 'racoon-netmask',
  attrGroup: 'cn',
  attrMember: 'member',
} as const;

/** Each LDAP operation, and the connection, give up after this long. */
export const LDAP_TIMEOUT_MS = 5000;

function urlOf(l: LdapConf | undefined): string {
  const host = l?.host ?? LDAP_DEFAULTS.host;
  return `ldap://${host.includes(':') ? `[${host}]` : host}:${l?.port ?? LDAP_DEFAULTS.port}`;
}

/** A dotted-quad attribute value as 4 bytes, else undefined. */
function ipv4Of(v: unknown): Uint8Array | undefined {
  const s = Array.isArray(v) ? v[0] : v;
  const m = /^(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})$/.exec(String(s ?? '').trim());
  if (!m) return undefined;
  const b = m.slice(1).map(Number);
  return b.every((x) => x <= 255) ? Uint8Array.from(b) : undefined;
}

/**
 * group_source ldap (racoon xauth_group_ldap): an entry under `base` whose attr_group is one of `groups` and
 * whose attr_member holds the user's DN.
 */
async function inGroup(client: Client, l: LdapConf, userDn: string, groups: readonly string[]): Promise<boolean> {
  const attrGroup = l.attrGroup ?? LDAP_DEFAULTS.attrGroup;
  const filter = new AndFilter({
    filters: [
      new OrFilter({ filters: groups.map((g) => new EqualityFilter({ attribute: attrGroup, value: g })) }),
      new EqualityFilter({ attribute: l.attrMember ?? LDAP_DEFAULTS.attrMember, value: userDn }),
    ],
  });
  const r = await client.search(l.base!, { scope: 'sub', filter, attributes: ['1.1'], sizeLimit: 1 });
  return r.searchEntries.length > 0;
}

/** One login checked against the directory; with `groups`, the user must be a member of one of them. */
export async function ldapLogin(
  l: LdapConf | undefined,
  login: XauthLogin,
  wantAddr: boolean,
  groups: readonly string[] = [],
): Promise<XauthVerdict> {
  // RFC 4513 §5.1.2: a simple bind with an empty password is an unauthenticated bind that succeeds.
  if (login.pass.length === 0) return { ok: false, why: 'empty password' };
  if (!l?.base) return { ok: false, why: 'ldapcfg has no base' };
  const client = new Client({ url: urlOf(l), timeout: LDAP_TIMEOUT_MS, connectTimeout: LDAP_TIMEOUT_MS });
  try {
    if (l.bindDn)
      await client.bind(l.bindDn, l.bindPw ?? '').catch((e: Error) => {
        throw new Error(`bind as bind_dn refused: ${e.message.trim() || e.name}`);
      });
    const attrUser = l.attrUser ?? LDAP_DEFAULTS.attrUser;
    const attrAddr = l.attrAddr ?? LDAP_DEFAULTS.attrAddr;
    const attrMask = l.attrMask ?? LDAP_DEFAULTS.attrMask;
    const { searchEntries } = await client.search(l.base, {
      scope: l.subtree ? 'sub' : 'one',
      filter: new EqualityFilter({ attribute: attrUser, value: login.user }),
      attributes: wantAddr ? [attrAddr, attrMask] : ['1.1'],
      sizeLimit: 2,
    });
    if (searchEntries.length !== 1) return { ok: false, why: `${searchEntries.length} entries for ${attrUser}` };
    const entry = searchEntries[0]!;
    const pass = Buffer.from(login.pass).toString('utf8');
    try {
      await client.bind(entry.dn, pass);
    } catch {
      return { ok: false, why: 'the directory refused the bind' };
    }
    if (groups.length > 0 && !(await inGroup(client, l, entry.dn, groups)))
      return { ok: false, why: `not a member of ${groups.map((g) => `"${g}"`).join(', ')}` };
    if (!wantAddr) return { ok: true };
    return { ok: true, addr4: ipv4Of(entry[attrAddr]), mask4: ipv4Of(entry[attrMask]) };
  } finally {
    await client.unbind().catch(() => undefined);
  }
}
