// Remote and sainfo selection (racoon getrmconf / getsainfo semantics, priority order of sainfo.c prisainfo).
import { strict as assert } from 'node:assert';
import { parseAddr, parsePrefix } from '../../../../common/inet.js';
import * as C from '../../../../racoon/isakmp/constants.js';
import { parseRacoonConf } from '../../../../racoon/conf/parser.js';
import {
  idSpecMatches,
  lookupRemote,
  lookupSainfo,
  phase2IdOf,
  sainfoPriority,
  sainfoSearchOrder,
  type Phase2Id,
} from '../../../../racoon/conf/lookup.js';
import type { SainfoConf } from '../../../../racoon/conf/ast.js';

const P1 =
  'proposal { encryption_algorithm aes; hash_algorithm sha1; authentication_method pre_shared_key; dh_group 2; }';
const ALGS = 'encryption_algorithm aes; authentication_algorithm hmac_sha1; compression_algorithm deflate;';
const parse = (text: string) => {
  const r = parseRacoonConf(text, 'l.conf');
  assert.deepEqual(r.errors, []);
  return r.conf;
};
const id = (s: string, proto = 0, port = 0): Phase2Id => ({ prefix: parsePrefix(s)!, proto, port });
const line = (s: SainfoConf | undefined) => s?.pos.line;

describe('racoon/conf lookup', () => {
  it('remote: exact address+port, then the address on any port, then anonymous', () => {
    const c = parse(
      [
        `remote 192.0.2.1 [4500] { ${P1} }`,
        `remote 192.0.2.1 { ${P1} }`,
        `remote 192.0.2.2 [500] { ${P1} }`,
        `remote anonymous { ${P1} }`,
        `remote named { remote_address 192.0.2.3; ${P1} }`,
      ].join('\n'),
    );
    const at = (a: string, p: number) => lookupRemote(c, parseAddr(a)!, p)?.pos.line;
    assert.equal(at('192.0.2.1', 4500), 1);
    assert.equal(at('192.0.2.1', 500), 2);
    assert.equal(at('192.0.2.1', 7000), 2);
    assert.equal(at('192.0.2.2', 500), 3);
    assert.equal(at('192.0.2.2', 4500), 4); // port given and different: falls through to anonymous
    assert.equal(at('192.0.2.3', 500), 5); // remote_address of a named remote
    assert.equal(at('198.51.100.1', 500), 4);
    assert.equal(lookupRemote(parse(`remote 192.0.2.1 { ${P1} }`), parseAddr('192.0.2.9')!, 500), undefined);
  });

  it('sainfo: priority order (remoteid and from 3, each side 1), file order among equals', () => {
    const c = parse(
      [
        `sainfo anonymous { ${ALGS} }`,
        `sainfo subnet 10.1.0.0/16 any anonymous { ${ALGS} }`,
        `sainfo subnet 10.1.0.0/16 any subnet 10.2.0.0/16 any { ${ALGS} }`,
        `sainfo anonymous from fqdn "peer.example" { ${ALGS} }`,
        `sainfo subnet 10.1.0.0/16 any subnet 10.2.0.0/16 any { remoteid 7; ${ALGS} }`,
        `sainfo anonymous subnet 10.2.0.0/16 any { ${ALGS} }`,
      ].join('\n'),
    );
    assert.deepEqual(c.sainfos.map(sainfoPriority), [0, 1, 2, 3, 5, 1]);
    assert.deepEqual(
      sainfoSearchOrder(c).map((s) => s.pos.line),
      [5, 4, 3, 2, 6, 1],
    );
    const peer = { idType: C.IPSECDOI_ID_FQDN, protocol: 0, port: 0, data: new TextEncoder().encode('peer.example') };
    const other = { ...peer, data: new TextEncoder().encode('other.example') };
    const q = { local: id('10.1.0.0/16'), remote: id('10.2.0.0/16') };
    assert.equal(line(lookupSainfo(c, { ...q, peer })), 4); // from matches: wins over the exact ids
    assert.equal(line(lookupSainfo(c, { ...q, peer: other })), 3);
    assert.equal(line(lookupSainfo(c, { ...q, remoteid: 7 })), 5); // only sainfos with that remoteid
    assert.equal(line(lookupSainfo(c, { local: id('10.1.0.0/16'), remote: id('10.9.0.0/16') })), 2);
    assert.equal(line(lookupSainfo(c, { local: id('10.7.0.0/16'), remote: id('10.2.0.0/16') })), 6);
    assert.equal(line(lookupSainfo(c, { local: id('10.7.0.0/16'), remote: id('10.8.0.0/16') })), 1);
    assert.equal(lookupSainfo(c, { ...q, remoteid: 3 }), undefined);
  });

  it('sainfo ids compare exactly; port and protocol "any" are wildcards', () => {
    const c = parse(
      [
        `sainfo address 10.0.0.1 [22] tcp address 10.0.0.2 any { ${ALGS} }`,
        `sainfo subnet 10.0.0.0/24 any subnet 10.0.1.0/24 any { ${ALGS} }`,
      ].join('\n'),
    );
    assert.equal(line(lookupSainfo(c, { local: id('10.0.0.1', 6, 22), remote: id('10.0.0.2', 17, 53) })), 1);
    assert.equal(lookupSainfo(c, { local: id('10.0.0.1', 17, 22), remote: id('10.0.0.2') }), undefined);
    assert.equal(lookupSainfo(c, { local: id('10.0.0.1', 6, 23), remote: id('10.0.0.2') }), undefined);
    assert.equal(line(lookupSainfo(c, { local: id('10.0.0.0/24'), remote: id('10.0.1.0/24') })), 2);
    // A narrower or wider prefix is a different id (no containment matching).
    assert.equal(lookupSainfo(c, { local: id('10.0.0.0/25'), remote: id('10.0.1.0/24') }), undefined);
    assert.equal(lookupSainfo(c, { local: id('10.0.0.0/16'), remote: id('10.0.1.0/24') }), undefined);
  });

  it('clientaddr needs the remote id to be the client address', () => {
    const c = parse(`sainfo anonymous clientaddr { ${ALGS} }`);
    assert.equal(
      line(lookupSainfo(c, { local: id('0.0.0.0/0'), remote: id('10.99.0.5'), client: id('10.99.0.5') })),
      1,
    );
    assert.equal(
      lookupSainfo(c, { local: id('0.0.0.0/0'), remote: id('10.99.0.6'), client: id('10.99.0.5') }),
      undefined,
    );
    assert.equal(lookupSainfo(c, { local: id('0.0.0.0/0'), remote: id('10.99.0.5') }), undefined);
  });

  it('turns ID payloads into phase 2 ids (RFC 2407 §4.6.2): hosts, subnets; not ranges or bad masks', () => {
    const v4 = phase2IdOf({
      idType: C.IPSECDOI_ID_IPV4_ADDR,
      protocol: 6,
      port: 80,
      data: Uint8Array.of(10, 0, 0, 1),
    })!;
    assert.deepEqual([v4.prefix.len, v4.proto, v4.port], [32, 6, 80]);
    const sub = phase2IdOf({
      idType: C.IPSECDOI_ID_IPV4_ADDR_SUBNET,
      protocol: 0,
      port: 0,
      data: Uint8Array.of(10, 1, 2, 3, 255, 255, 0, 0),
    })!;
    assert.deepEqual([Array.from(sub.prefix.addr), sub.prefix.len], [[10, 1, 0, 0], 16]);
    const v6 = phase2IdOf({
      idType: C.IPSECDOI_ID_IPV6_ADDR_SUBNET,
      protocol: 0,
      port: 0,
      data: Uint8Array.from([...parseAddr('2001:db8::')!, ...parseAddr('ffff:ffff:ffff::')!]),
    })!;
    assert.deepEqual([v6.prefix.family, v6.prefix.len], [6, 48]);
    assert.equal(
      phase2IdOf({
        idType: C.IPSECDOI_ID_IPV4_ADDR_SUBNET,
        protocol: 0,
        port: 0,
        data: Uint8Array.of(10, 0, 0, 0, 255, 0, 255, 0),
      }),
      undefined,
    );
    assert.equal(
      phase2IdOf({
        idType: C.IPSECDOI_ID_IPV4_ADDR_RANGE,
        protocol: 0,
        port: 0,
        data: Uint8Array.of(10, 0, 0, 1, 10, 0, 0, 9),
      }),
      undefined,
    );
    assert.equal(phase2IdOf({ idType: C.IPSECDOI_ID_FQDN, protocol: 0, port: 0, data: Uint8Array.of(97) }), undefined);
  });

  it('matches phase 1 peer ids against identifier specs', () => {
    const c = parse(
      `remote 192.0.2.1 { peers_identifier address 192.0.2.1; peers_identifier user_fqdn "a@b.example"; peers_identifier keyid tag "k1"; peers_identifier address; peers_identifier asn1dn; ${P1} }`,
    );
    const [addr, ufqdn, tag, anyAddr, dn] = c.remotes[0]!.peersIdentifiers;
    const enc = (s: string) => new TextEncoder().encode(s);
    assert.ok(idSpecMatches(addr!, { idType: 1, protocol: 0, port: 0, data: parseAddr('192.0.2.1')! }));
    assert.ok(!idSpecMatches(addr!, { idType: 1, protocol: 0, port: 0, data: parseAddr('192.0.2.2')! }));
    assert.ok(idSpecMatches(anyAddr!, { idType: 5, protocol: 0, port: 0, data: parseAddr('2001:db8::1')! }));
    assert.ok(idSpecMatches(ufqdn!, { idType: 3, protocol: 0, port: 0, data: enc('a@b.example') }));
    assert.ok(!idSpecMatches(ufqdn!, { idType: 2, protocol: 0, port: 0, data: enc('a@b.example') }));
    assert.ok(idSpecMatches(tag!, { idType: 11, protocol: 0, port: 0, data: enc('k1') }));
    assert.ok(!idSpecMatches(dn!, { idType: 9, protocol: 0, port: 0, data: enc('x') }));
  });
});
