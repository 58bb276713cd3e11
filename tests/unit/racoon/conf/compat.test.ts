// ipsec-tools 0.8.2 grammar compatibility (cftoken.l / cfparse.y) and the support table (support.ts): forms real
// racoon.conf files use, the hints for what ipsec-tools only accepts by dropping characters, and the
// "not supported" report of every directive whose feature uipsec lacks, at file:line.
import { strict as assert } from 'node:assert';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fixturePath, repoRoot } from '../support/codec-check.js';
import { formatAddr, formatPrefix } from '../../../../common/inet.js';
import * as C from '../../../../racoon/isakmp/constants.js';
import { checkConfig } from '../../../../racoon/conf/check.js';
import { tokenize } from '../../../../racoon/conf/lexer.js';
import { lookupSainfo } from '../../../../racoon/conf/lookup.js';
import { parseRacoonConf } from '../../../../racoon/conf/parser.js';
import { SUPPORT, supportOf } from '../../../../racoon/conf/support.js';
import { validateRacoonConf, validateRacoonConfFull } from '../../../../racoon/conf/validate.js';

const PROPOSAL =
  'proposal { encryption_algorithm aes; hash_algorithm sha1; authentication_method pre_shared_key; dh_group 2; }';
const ALGS = 'encryption_algorithm aes; authentication_algorithm hmac_sha1; compression_algorithm deflate;';

/** Parse errors and validation errors of `text` (file `t.conf`), as messages. */
function messages(text: string): string[] {
  const r = parseRacoonConf(text, 't.conf');
  return [...r.errors, ...validateRacoonConf(r.conf)].map((e) => e.message);
}

describe('racoon/conf ipsec-tools 0.8.2 compatibility', () => {
  it('compat.conf: glued units, bare user_fqdn, quoted names with inherit, subnet ids from prefixes', () => {
    const r = checkConfig(fixturePath('conf', 'compat.conf'));
    assert.deepEqual(r.errors, []);
    assert.equal(r.text, 'configuration OK');
    const c = r.conf;
    assert.deepEqual([c.timer.nattKeepaliveSec, c.timer.phase1Sec, c.timer.intervalSec], [10, 60, 20]);
    assert.deepEqual(
      [c.listen.adminsock?.owner, c.listen.adminsock?.group, c.listen.adminsock?.mode],
      ['root', 'operator', 0o660],
    );
    const [office, office2] = c.remotes;
    assert.deepEqual(
      [office!.name, office!.myIdentifier?.type, office!.myIdentifier?.value],
      ['office', 'user_fqdn', 'gateway'],
    );
    assert.deepEqual([office!.dpd, office!.lifetimeSec, office!.natTraversal], [false, 8 * 3600, 'force']);
    assert.deepEqual(
      [office2!.inherit, formatAddr(office2!.address!), office2!.proposals.length],
      ['office', '198.51.100.8', 1],
    );
    const [s1, s2] = c.sainfos;
    const l1 = s1!.local,
      r1 = s1!.remote,
      l2 = s2!.local,
      r2 = s2!.remote;
    assert.ok(typeof l1 !== 'string' && 'prefix' in l1 && typeof r1 !== 'string' && 'prefix' in r1);
    assert.deepEqual([l1.kind, l1.idType, formatPrefix(l1.prefix)], ['address', 'subnet', '10.1.0.0/24']);
    assert.deepEqual([r1.idType, formatPrefix(r1.prefix)], ['subnet', '10.2.0.0/16']);
    assert.ok(typeof l2 !== 'string' && 'prefix' in l2 && typeof r2 !== 'string' && 'prefix' in r2);
    assert.deepEqual([l2.kind, l2.idType, l2.proto], ['subnet', 'addr', 17]);
    assert.deepEqual([r2.idType, r2.port], ['addr', 53]);
    assert.deepEqual(
      s1!.encryption.map((a) => [a.name, a.keyLen]),
      [
        ['aes', 128],
        ['camellia', 256],
        ['3des', undefined],
      ],
    );
  });

  it('`sainfo address 10.1.0.0/24 ...` matches the subnet ID racoon sends for it', () => {
    const { conf } = parseRacoonConf(`sainfo address 10.1.0.0/24 any address 10.2.0.0/16 any { ${ALGS} }`, 's.conf');
    const net = (a: number[], len: number) => ({
      prefix: { family: 4 as const, addr: new Uint8Array(a), len },
      proto: 0,
      port: 0,
    });
    assert.equal(
      lookupSainfo(conf, { local: net([10, 1, 0, 0], 24), remote: net([10, 2, 0, 0], 16) }),
      conf.sainfos[0],
    );
    assert.equal(lookupSainfo(conf, { local: net([10, 1, 0, 0], 32), remote: net([10, 2, 0, 0], 16) }), undefined);
  });

  it('the lexer splits a number glued to its unit, keeps multi-line strings, and marks = ( ) as stray', () => {
    const toks = tokenize('natt_keepalive 10sec; x 1hour 5KB; s "a\nb"; d = ( );', 'l.conf', []);
    assert.deepEqual(
      toks.map((t) => [t.kind, t.text, t.line]),
      [
        ['word', 'natt_keepalive', 1],
        ['word', '10', 1],
        ['word', 'sec', 1],
        [';', ';', 1],
        ['word', 'x', 1],
        ['word', '1', 1],
        ['word', 'hour', 1],
        ['word', '5', 1],
        ['word', 'KB', 1],
        [';', ';', 1],
        ['word', 's', 1],
        ['string', 'a\nb', 1],
        [';', ';', 2],
        ['word', 'd', 2],
        ['stray', '=', 2],
        ['stray', '(', 2],
        ['stray', ')', 2],
        [';', ';', 2],
        ['eof', '', 2],
      ],
    );
  });

  it('gssapi_id is gss_id; pfs_group 3 and 4 are the EC2N groups, named and not supported', () => {
    const m = messages(
      `remote 192.0.2.1 { proposal { encryption_algorithm aes; hash_algorithm sha1; authentication_method pre_shared_key; dh_group 2; gssapi_id "host/x"; } }\n` +
        `sainfo anonymous { pfs_group 3; ${ALGS} }\nsainfo address 10.0.0.1 any anonymous { pfs_group 4; ${ALGS} }`,
    );
    assert.deepEqual(m, [
      't.conf:1: gss_id: not supported (GSS-API (Kerberos) authentication is not planned)',
      't.conf:2: sainfo pfs_group ec2n155: not supported (EC2N groups 3/4 (RFC 2409 §6.3/6.4) are not planned: no maintained implementation, weak)',
      't.conf:3: sainfo pfs_group ec2n185: not supported (EC2N groups 3/4 (RFC 2409 §6.3/6.4) are not planned: no maintained implementation, weak)',
    ]);
  });

  it('exchange_mode takes commas or blanks; each mode is recorded, base mode included', () => {
    const { conf, errors } = parseRacoonConf(
      `remote anonymous { exchange_mode base main, aggressive; ${PROPOSAL} }`,
      'x.conf',
    );
    assert.deepEqual(errors, []);
    assert.deepEqual(conf.remotes[0]!.exchangeMode, [C.ISAKMP_ETYPE_BASE, C.ISAKMP_ETYPE_IDENT, C.ISAKMP_ETYPE_AGG]);
    assert.deepEqual(SUPPORT['remote.exchange_mode base'], { status: 'supported' });
    assert.deepEqual(
      validateRacoonConf(conf).map((e) => e.message),
      [],
    );
  });

  it('support_proxy on is a warning: IDci/IDcr are always sent, Mobile IPv6 proxy SAs are not made', () => {
    const v = validateRacoonConfFull(
      parseRacoonConf(`remote anonymous { support_proxy on; ${PROPOSAL} }`, 'p.conf').conf,
    );
    assert.deepEqual(v.errors, []);
    assert.match(
      v.warnings[0]!.message,
      /^p\.conf:1: warning: support_proxy on: accepted and ignored \(uipsec always sends IDci\/IDcr/,
    );
  });

  it('base mode after another mode (ipsec-tools samples: main,base) is accepted from a peer, with the exposure warning', () => {
    const { conf, errors } = parseRacoonConf(`remote anonymous { exchange_mode main, base; ${PROPOSAL} }`, 'y.conf');
    assert.deepEqual(errors, []);
    assert.deepEqual(conf.remotes[0]!.exchangeMode, [C.ISAKMP_ETYPE_IDENT, C.ISAKMP_ETYPE_BASE]);
    const v = validateRacoonConfFull(conf);
    assert.deepEqual(v.errors, []);
    assert.deepEqual(
      v.warnings.map((e) => e.message),
      [
        'y.conf:1: warning: remote anonymous: base mode is not recommended (racoon.conf(5), CERT VU#886601): ' +
          'identities travel in clear and the pre-shared key can be guessed offline from one captured exchange',
      ],
    );
  });

  it('what ipsec-tools accepts only by dropping characters is refused with what to write instead', () => {
    assert.deepEqual(messages(`remote anonymous { dpd_delay = 20; ${PROPOSAL} }`), [
      "t.conf:1: unexpected '=' where dpd_delay belongs: racoon.conf has no '=' (ipsec-tools' lexer drops it); write 'keyword value;'",
    ]);
    assert.deepEqual(messages(`sainfo (address 10.0.0.0/8 any address 10.1.0.0/16 any) { ${ALGS} }`), [
      "t.conf:1: unexpected '(' where address, subnet or anonymous belongs: racoon.conf has no parentheses (ipsec-tools' lexer drops them); write 'sainfo address A any address B any { ... }'",
    ]);
    assert.deepEqual(
      messages(
        `sainfo anonymous { encryption_algorithm aes_256; authentication_algorithm hmac_sha1; compression_algorithm deflate; }`,
      ),
      [
        "t.conf:1: unknown encryption_algorithm 'aes_256': write 'aes 256' (the key length is a separate word)",
        't.conf:1: no encryption algorithm at sainfo anonymous anonymous',
      ],
    );
  });

  it('directives of other racoons say where they come from; ipsec-tools-refused forms are refused', () => {
    assert.deepEqual(messages('identifier user_fqdn "a@b";\nremote anonymous { keepalive; ' + PROPOSAL + ' }'), [
      "t.conf:1: 'identifier': KAME racoon's top-level 'identifier' is gone: write my_identifier in each remote",
      "t.conf:2: 'keepalive': KAME racoon's 'keepalive' is gone: NAT-T keepalives are timer 'natt_keepalive'",
    ]);
    assert.deepEqual(messages(`sainfo address 10.0.0.1 [7] icmp anonymous { ${ALGS} }`), [
      't.conf:1: port number must be "any" with icmp/icmp6',
    ]);
    assert.deepEqual(messages(`sainfo address 10.0.0.1 icmp6 anonymous { ${ALGS} }`), [
      't.conf:1: upper layer protocol icmp6 does not match the IPv4 address',
    ]);
    assert.deepEqual(messages(`remote anonymous { lifetime byte 5 MB; ${PROPOSAL} }`), [
      't.conf:1: lifetime byte: not supported (byte lifetimes: ipsec-tools 0.8.2 refuses them too ("byte lifetime support is deprecated"))',
    ]);
  });
});

describe('racoon/conf support table', () => {
  it('the directives the issue names (once passed silently, then reported) now load as supported', () => {
    const m = messages(
      [
        'remote anonymous {',
        ' exchange_mode aggressive;',
        ' generate_policy on;',
        ' dpd_delay 20;',
        ' ike_frag on;',
        ' passive on;',
        ` ${PROPOSAL}`,
        '}',
      ].join('\n'),
    );
    // All four are supported now (aggressive mode, generate_policy, DPD, IKE fragmentation): none is reported.
    assert.deepEqual(
      m.filter((x) => /not supported/.test(x)),
      [],
    );
  });

  it('settings that turn a feature off, and defaults, are not reported', () => {
    assert.deepEqual(
      messages(
        `remote anonymous { generate_policy off; ike_frag off; dpd_delay 0; mode_cfg off; support_proxy off; ${PROPOSAL} }`,
      ),
      [],
    );
  });

  it('warns about directives accepted without effect, and still says configuration OK', () => {
    const fs = {
      readFile: () => `padding { randomize off; maximum_length 20; }\ntimer { persend 2; }\n`,
      readdir: () => [],
    };
    const r = checkConfig('/w.conf', fs);
    assert.equal(r.ok, true);
    assert.deepEqual(
      r.warnings.map((w) => w.message),
      [
        '/w.conf:1: warning: padding randomize: accepted and ignored (uipsec pads ISAKMP bodies to the cipher block only; peers accept any padding (RFC 2409 App. B))',
        '/w.conf:2: warning: timer persend: accepted and ignored (uipsec sends each packet once per retry (persend 1))',
      ],
    );
    assert.match(r.text, /\nconfiguration OK$/);
  });

  it('rsa_pss on: an IKEv2 remote takes it; an IKEv1 remote is told it is IKEv2 only', () => {
    const v2 = parseRacoonConf(`remote anonymous { ike_version 2; rsa_pss on; ${PROPOSAL} }`, 't.conf');
    assert.equal(v2.conf.remotes[0]!.rsaPss, true);
    assert.deepEqual([...v2.errors, ...validateRacoonConf(v2.conf)], []);
    assert.deepEqual(messages(`remote anonymous { rsa_pss on; ${PROPOSAL} }`), [
      't.conf:1: rsa_pss on: not supported (rsa_pss chooses the padding of IKEv2 RFC 7427 signatures: write ike_version 2 in this remote)',
    ]);
  });

  it('docs/racoon-conf.md lists every key of the table with its status', () => {
    const doc = readFileSync(join(repoRoot(), 'docs', 'racoon-conf.md'), 'utf8');
    const label = { later: 'not yet', never: 'never', ignored: 'ignored (warning)', supported: 'supported' } as const;
    for (const [key, s] of Object.entries(SUPPORT)) assert.ok(doc.includes(`| \`${key}\` | ${label[s.status]} |`), key);
  });

  it('every table entry names its feature or reason, and unknown keys are supported', () => {
    for (const [key, s] of Object.entries(SUPPORT)) {
      assert.ok(s.status === 'supported' || (s.why && s.why.length > 5), key);
      assert.match(key, /^(ikev2\.)?([a-z_]+\.)?[a-z_0-9]+( [a-z_0-9]+)*$/, key);
    }
    assert.equal(supportOf('remote.exchange_mode main').status, 'supported');
    assert.equal(supportOf('constructor').status, 'supported');
  });

  it('keys every `later` use with the section, so one table line covers each directive', () => {
    const { conf } = parseRacoonConf(
      'privsep { user 0; }\nmode_cfg { network4 10.0.0.1; accounting pam; }\nremote anonymous { certificate_type plain_rsa "k"; ' +
        PROPOSAL +
        ' }\nsainfo anonymous clientaddr group "g" { ' +
        ALGS +
        ' }',
      'k.conf',
    );
    const v = validateRacoonConfFull(conf);
    assert.deepEqual(
      conf.uses.filter((u) => supportOf(u.key).status !== 'supported').map((u) => [u.key, u.pos.line]),
      [
        ['privsep', 1],
        ['mode_cfg.accounting pam', 2],
        ['sainfo.group', 4],
      ],
    );
    assert.equal(v.errors.length, 3);
    assert.deepEqual(conf.remotes[0]!.certificate, {
      type: 'plain_rsa',
      keyFile: 'k',
      pos: conf.remotes[0]!.certificate!.pos,
    });
    assert.equal(conf.privsep?.user, 0);
  });

  it('rsasig without certificate_type is a warning at the proposal; plain_rsa turns certificate exchange off', () => {
    const rsa = PROPOSAL.replace('pre_shared_key', 'rsasig');
    const v = validateRacoonConfFull(parseRacoonConf(`remote anonymous {\n ${PROPOSAL}\n ${rsa}\n}`, 't.conf').conf);
    assert.deepEqual(v.errors, []);
    assert.deepEqual(
      v.warnings.map((e) => e.message),
      [
        't.conf:3: warning: remote anonymous: authentication_method rsasig without certificate_type: ' +
          'phase 1 fails if this proposal is chosen',
      ],
    );
    const { conf } = parseRacoonConf(`remote anonymous { certificate_type plain_rsa "k"; ${rsa} }`, 'p.conf');
    const rm = conf.remotes[0]!;
    assert.deepEqual([rm.sendCert, rm.sendCr, rm.verifyCert], [false, false, false]);
    assert.deepEqual(validateRacoonConf(conf), []);
  });

  it('aggressive mode is named as a warning, with the offline PSK guess only when a proposal uses a PSK', () => {
    const warn = (p: string) =>
      validateRacoonConfFull(
        parseRacoonConf(`remote anonymous { exchange_mode aggressive; certificate_type plain_rsa "k"; ${p} }`, 'a.conf')
          .conf,
      ).warnings.map((e) => e.message);
    assert.match(warn(PROPOSAL)[0]!, /^a\.conf:1: warning: .*aggressive mode is not recommended.*guessed offline/);
    const rsa = warn(PROPOSAL.replace('pre_shared_key', 'rsasig'));
    assert.equal(rsa.length, 1);
    assert.doesNotMatch(rsa[0]!, /guessed/);
  });
});

describe('racoon/conf mode_cfg, ldapcfg, radiuscfg, privsep: every value in the tree', () => {
  it('parses each statement of the four sections (cfparse.y modecfg_stmt, ldapcfg_stmt, radcfg_stmt)', () => {
    const text = [
      'mode_cfg {',
      ' network4 10.8.0.1; netmask4 255.255.255.0; pool_size 200;',
      ' dns4 10.8.0.53, 10.8.0.54; wins4 10.8.0.60; nbns4 10.8.0.61;',
      ' split_network include 10.0.0.0/8, 172.16.0.0/12; split_network local_lan 192.168.0.0/16;',
      ' split_dns "corp.example", "lab.example"; default_domain "corp.example";',
      ' auth_source radius; auth_groups "vpn", "admins"; group_source ldap; accounting pam; conf_source ldap;',
      ' banner "/etc/racoon/motd"; auth_throttle 5; pfs_group 2; save_passwd on;',
      '}',
      'ldapcfg { version 3; host "ldap.example"; port 636; base "dc=example"; subtree on; bind_dn "cn=r"; bind_pw "pw";',
      ' attr_user "uid"; attr_addr "ip"; attr_mask "mask"; attr_group "cn"; attr_member "member"; }',
      'radiuscfg { auth "10.0.0.5" "s1"; acct "10.0.0.6" 1813 "s2"; timeout 7; retries 2; }',
      'privsep { user "racoon"; group 99; chroot "/var/empty"; }',
    ].join('\n');
    const { conf: c, errors } = parseRacoonConf(text, 'x.conf');
    assert.deepEqual(errors, []);
    const m = c.modeCfg!;
    assert.deepEqual(
      [formatAddr(m.network4!), formatAddr(m.netmask4!), m.poolSize, m.dns4.map(formatAddr), m.wins4.map(formatAddr)],
      ['10.8.0.1', '255.255.255.0', 200, ['10.8.0.53', '10.8.0.54'], ['10.8.0.60', '10.8.0.61']],
    );
    assert.deepEqual(
      m.splitNetworks.map((n) => `${n.kind} ${formatPrefix(n.prefix)}`),
      ['include 10.0.0.0/8', 'include 172.16.0.0/12', 'local_lan 192.168.0.0/16'],
    );
    assert.deepEqual(
      [m.splitDns, m.defaultDomain, m.authSource, m.authGroups, m.groupSource, m.accounting, m.confSource],
      [['corp.example', 'lab.example'], 'corp.example', 'radius', ['vpn', 'admins'], 'ldap', 'pam', 'ldap'],
    );
    assert.deepEqual([m.banner, m.authThrottleSec, m.pfsGroup, m.savePasswd], ['/etc/racoon/motd', 5, 2, true]);
    const l = c.ldap!;
    assert.deepEqual(
      [l.version, l.host, l.port, l.base, l.subtree, l.bindDn, l.bindPw, l.attrUser, l.attrAddr, l.attrMask],
      [3, 'ldap.example', 636, 'dc=example', true, 'cn=r', 'pw', 'uid', 'ip', 'mask'],
    );
    assert.deepEqual([l.attrGroup, l.attrMember], ['cn', 'member']);
    assert.deepEqual(
      [c.radius!.auth, c.radius!.acct, c.radius!.timeoutSec, c.radius!.retries],
      [[{ host: '10.0.0.5', secret: 's1' }], [{ host: '10.0.0.6', port: 1813, secret: 's2' }], 7, 2],
    );
    assert.deepEqual([c.privsep!.user, c.privsep!.group, c.privsep!.chroot], ['racoon', 99, '/var/empty']);
  });

  it('never echoes a radius secret or an LDAP password in an error', () => {
    const r = parseRacoonConf('radiuscfg { auth "h" 1812 hunter2; }\nldapcfg { bind_pw hunter3; }', 's.conf');
    assert.deepEqual(
      r.errors.map((e) => e.message),
      ['s.conf:1: expected the radius secret as a quoted string', 's.conf:2: expected the bind_pw as a quoted string'],
    );
  });

  it('reports their bad values at file:line and goes on', () => {
    const text = [
      'mode_cfg {',
      ' dns4 1.1.1.1, 1.1.1.2, 1.1.1.3, 1.1.1.4, 1.1.1.5;',
      ' network4 2001:db8::1;',
      ' split_network include 10.0.0.0/33;',
      ' auth_source kerberos;',
      ' pool_size 0;',
      '}',
      'ldapcfg { version 4; }',
      'radiuscfg { auth "a" "1"; auth "b" "2"; auth "c" "3"; auth "d" "4"; auth "e" "5"; auth "f" "6"; }',
    ].join('\n');
    assert.deepEqual(
      parseRacoonConf(text, 'b.conf').errors.map((e) => e.message),
      [
        'b.conf:2: no more than 4 dns4 addresses',
        "b.conf:3: bad IPv4 network4 '2001:db8::1'",
        "b.conf:4: bad IPv4 split network '10.0.0.0/33'",
        "b.conf:5: bad auth_source 'kerberos', expected system|radius|pam|ldap",
        'b.conf:6: pool_size 0 out of range 1..65535',
        'b.conf:8: ldap version 4 out of range 2..3',
        'b.conf:9: maximum radius auth servers (5) exceeded',
      ],
    );
  });
});
