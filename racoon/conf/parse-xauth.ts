// The global sections of racoon's later features, parsed whole into the tree so the features can consume them:
// `privsep { }`, `mode_cfg { }` (ISAKMP mode config server), `ldapcfg { }` and `radiuscfg { }` (XAuth back-ends).
// Grammar: cfparse.y privsep_stmt, modecfg_stmt, ldapcfg_stmt, radcfg_stmt; the whole section is recorded as
// one use (`mode_cfg`, ...) for the support table.
import { parseAddr, parsePrefix } from '../../common/inet.js';
import type { LdapConf, ModeCfgConf, PrivsepConf, RacoonConf, RadiusConf, RadiusServer } from './ast.js';
import type { Token } from './lexer.js';
import { checkNumber, posOf, type Handler, type TokenReader } from './reader.js';

/** racoon's MAXNS / MAXWINS (isakmp_cfg.h) and the radius server limit (isakmp_xauth.h RADIUS_MAX_SERVERS). */
const MAXNS = 4;
const MAXWINS = 4;
const RADIUS_MAX_SERVERS = 5;

/** A quoted name or a numeric id (privsep user/group). */
function nameOrId(r: TokenReader, what: string): string | number {
  const t = r.strOrWord(what);
  return t.kind === 'string' ? t.text : checkNumber(r, t, what, 0, 0xffffffff);
}

const PRIVSEP: Readonly<Record<string, Handler<PrivsepConf>>> = {
  user: (r, _kw, p) => {
    p.user = nameOrId(r, 'user');
    r.semi();
  },
  group: (r, _kw, p) => {
    p.group = nameOrId(r, 'group');
    r.semi();
  },
  chroot: (r, _kw, p) => {
    p.chroot = r.str('chroot directory');
    r.semi();
  },
};

function ipv4(r: TokenReader, what: string): Uint8Array {
  const t = r.strOrWord(what);
  const a = parseAddr(t.text);
  if (!a || a.length !== 4) r.fail(t, `bad IPv4 ${what} '${t.text}'`);
  return a;
}

/** `A, B, ...` of IPv4 addresses, at most `max`. */
function ipv4List(r: TokenReader, what: string, max: number): Uint8Array[] {
  const out = [ipv4(r, what)];
  while (r.acceptKind(',')) out.push(ipv4(r, what));
  if (out.length > max) r.fail(r.peek(), `no more than ${max} ${what} addresses`);
  return out;
}

function strList(r: TokenReader, what: string): string[] {
  const out = [r.str(what)];
  while (r.acceptKind(',')) out.push(r.str(what));
  return out;
}

const MODECFG: Readonly<Record<string, Handler<ModeCfgConf>>> = {
  network4: (r, _kw, m) => ((m.network4 = ipv4(r, 'network4')), r.semi()),
  netmask4: (r, _kw, m) => ((m.netmask4 = ipv4(r, 'netmask4')), r.semi()),
  dns4: (r, _kw, m) => (m.dns4.push(...ipv4List(r, 'dns4', MAXNS)), r.semi()),
  wins4: (r, _kw, m) => (m.wins4.push(...ipv4List(r, 'wins4', MAXWINS)), r.semi()),
  nbns4: (r, _kw, m) => (m.wins4.push(...ipv4List(r, 'nbns4', MAXWINS)), r.semi()),
  split_network: (r, _kw, m) => {
    const kind = r.choice(['include', 'local_lan'] as const, 'split_network kind');
    do {
      const t = r.word('network/prefix');
      const p = parsePrefix(t.text);
      if (!p || p.family !== 4) return r.fail(t, `bad IPv4 split network '${t.text}'`);
      m.splitNetworks.push({ kind, prefix: p });
    } while (r.acceptKind(','));
    r.semi();
  },
  split_dns: (r, _kw, m) => (m.splitDns.push(...strList(r, 'split_dns domain')), r.semi()),
  default_domain: (r, _kw, m) => ((m.defaultDomain = r.str('default_domain')), r.semi()),
  auth_source: (r, kw, m) => {
    m.authSource = r.choice(['system', 'radius', 'pam', 'ldap'] as const, 'auth_source');
    r.use(`mode_cfg.auth_source ${m.authSource}`, kw);
    r.semi();
  },
  auth_groups: (r, _kw, m) => (m.authGroups.push(...strList(r, 'auth group')), r.semi()),
  group_source: (r, kw, m) => {
    m.groupSource = r.choice(['system', 'ldap'] as const, 'group_source');
    r.use(`mode_cfg.group_source ${m.groupSource}`, kw);
    r.semi();
  },
  accounting: (r, kw, m) => {
    m.accounting = r.choice(['none', 'system', 'radius', 'pam'] as const, 'accounting');
    r.use(`mode_cfg.accounting ${m.accounting}`, kw);
    r.semi();
  },
  conf_source: (r, kw, m) => {
    m.confSource = r.choice(['local', 'radius', 'ldap'] as const, 'conf_source');
    r.use(`mode_cfg.conf_source ${m.confSource}`, kw);
    r.semi();
  },
  pool_size: (r, _kw, m) => ((m.poolSize = r.num('pool_size', 1, 0xffff)), r.semi()),
  banner: (r, _kw, m) => ((m.banner = r.str('banner file')), r.semi()),
  auth_throttle: (r, _kw, m) => ((m.authThrottleSec = r.num('auth_throttle')), r.semi()),
  pfs_group: (r, kw, m) => ((m.pfsGroup = r.num('pfs_group', 0, 255)), r.use('mode_cfg.pfs_group', kw), r.semi()),
  save_passwd: (r, kw, m) => {
    m.savePasswd = r.onOff('save_passwd');
    if (m.savePasswd) r.use('mode_cfg.save_passwd', kw);
    r.semi();
  },
};

/** A secret as a quoted string; a mistake is reported without echoing what was written (keys never reach a log). */
function secret(r: TokenReader, what: string): string {
  const t = r.peek();
  if (t.kind !== 'string') r.fail(t, `expected the ${what} as a quoted string`);
  return r.next().text;
}

function ldapStr(set: (l: LdapConf, v: string) => void, what: string): Handler<LdapConf> {
  return (r, _kw, l) => {
    set(l, r.str(what));
    r.semi();
  };
}

const LDAP: Readonly<Record<string, Handler<LdapConf>>> = {
  version: (r, _kw, l) => ((l.version = r.num('ldap version', 2, 3)), r.semi()),
  host: ldapStr((l, v) => (l.host = v), 'host'),
  port: (r, _kw, l) => ((l.port = r.num('port', 1, 65535)), r.semi()),
  base: ldapStr((l, v) => (l.base = v), 'base'),
  subtree: (r, _kw, l) => ((l.subtree = r.onOff('subtree')), r.semi()),
  bind_dn: ldapStr((l, v) => (l.bindDn = v), 'bind_dn'),
  bind_pw: (r, _kw, l) => ((l.bindPw = secret(r, 'bind_pw')), r.semi()),
  attr_user: ldapStr((l, v) => (l.attrUser = v), 'attr_user'),
  attr_addr: ldapStr((l, v) => (l.attrAddr = v), 'attr_addr'),
  attr_mask: ldapStr((l, v) => (l.attrMask = v), 'attr_mask'),
  attr_group: ldapStr((l, v) => (l.attrGroup = v), 'attr_group'),
  attr_member: ldapStr((l, v) => (l.attrMember = v), 'attr_member'),
};

/** `"host" [port] "secret"` of radiuscfg auth/acct. */
function radiusServer(r: TokenReader, kw: Token, list: RadiusServer[]): void {
  const host = r.str('radius host');
  const n = r.peek();
  const port = n.kind === 'word' ? r.num('radius port', 1, 65535) : undefined;
  const key = secret(r, 'radius secret');
  if (list.length >= RADIUS_MAX_SERVERS)
    r.fail(kw, `maximum radius ${kw.text} servers (${RADIUS_MAX_SERVERS}) exceeded`);
  list.push(port === undefined ? { host, secret: key } : { host, port, secret: key });
  r.semi();
}

const RADIUS: Readonly<Record<string, Handler<RadiusConf>>> = {
  auth: (r, kw, c) => radiusServer(r, kw, c.auth),
  acct: (r, kw, c) => radiusServer(r, kw, c.acct),
  timeout: (r, _kw, c) => ((c.timeoutSec = r.num('timeout')), r.semi()),
  retries: (r, _kw, c) => ((c.retries = r.num('retries')), r.semi()),
};

/** The top-level handlers for the four sections, filling `conf`. */
export function xauthSectionHandlers(conf: RacoonConf): Record<string, Handler> {
  return {
    privsep: (r, kw) => {
      conf.privsep = { pos: posOf(kw) };
      r.use('privsep', kw);
      r.block('privsep', kw, PRIVSEP, conf.privsep);
    },
    mode_cfg: (r, kw) => {
      conf.modeCfg = { pos: posOf(kw), dns4: [], wins4: [], splitNetworks: [], splitDns: [], authGroups: [] };
      r.use('mode_cfg', kw);
      r.block('mode_cfg', kw, MODECFG, conf.modeCfg);
    },
    ldapcfg: (r, kw) => {
      conf.ldap = { pos: posOf(kw) };
      r.use('ldapcfg', kw);
      r.block('ldapcfg', kw, LDAP, conf.ldap);
    },
    radiuscfg: (r, kw) => {
      conf.radius = { pos: posOf(kw), auth: [], acct: [], timeoutSec: 3, retries: 3 };
      r.use('radiuscfg', kw);
      r.block('radiuscfg', kw, RADIUS, conf.radius);
    },
  };
}
