// `sainfo` sections (racoon.conf(5) "Policy Specifications"): the phase 2 proposal for a pair of ids.
// The id grammar is cfparse.y's sainfo_id: `IDTYPE ADDR [/prefix] [port] ul_proto`, `IDTYPE ADDR-ADDR ...`, or
// `IDTYPE "name"`; as in racoon the prefix, not the keyword, decides between a host and a subnet ID.
import { parseAddr, parsePrefix } from '../../common/inet.js';
import { IPPROTO_ICMP, IPPROTO_ICMPV6 } from '../../pfkey/constants.js';
import { DH_GROUPS, PH2_AUTH, PH2_COMP, PH2_ENC, UL_PROTOS } from './algorithms.js';
import {
  DEFAULT_PH2_LIFETIME_SEC,
  type RacoonConf,
  type SainfoConf,
  type SainfoId,
  type SainfoNameId,
  type SainfoSide,
} from './ast.js';
import { checkNumber, posOf, type Handler, type TokenReader } from './reader.js';
import type { Token } from './lexer.js';
import { algorithmList, algorithmRef, idSpec, lifetime, optionalPort } from './values.js';

/** The address, an optional `/prefix` (glued or, as cftoken.l's PREFIX token allows, after a blank), a range. */
function sainfoAddress(r: TokenReader, kind: string): Pick<SainfoId, 'prefix' | 'rangeEnd' | 'idType'> {
  const a = r.word(`${kind} value`);
  let text = a.text;
  const p = r.peek();
  if (p.kind === 'word' && /^\/[0-9]{1,3}$/.test(p.text)) text += r.next().text;
  let rangeEnd: Uint8Array | undefined;
  const dash = text.indexOf('-');
  if (dash > 0) {
    rangeEnd = parseAddr(text.slice(dash + 1));
    if (!rangeEnd) r.fail(a, `bad address range '${text}'`);
    text = text.slice(0, dash);
  }
  const prefix = parsePrefix(text);
  if (!prefix) r.fail(a, `bad ${kind} '${a.text}'`);
  if (rangeEnd && rangeEnd.length !== prefix.addr.length) r.fail(a, `address range '${a.text}' mixes families`);
  // ipsecdoi_sockaddr2id: a prefix shorter than the address is a subnet ID, anything else a host ID.
  const idType = rangeEnd ? 'range' : prefix.len < prefix.addr.length * 8 ? 'subnet' : 'addr';
  return { prefix, rangeEnd, idType };
}

/** `address|subnet A[/P][-B] [port] proto` or `fqdn|user_fqdn|keyid "name"` */
function sainfoId(r: TokenReader): SainfoSide {
  const kindTok = r.word('address, subnet or anonymous');
  const kind = kindTok.text;
  if ((kind === 'fqdn' || kind === 'user_fqdn' || kind === 'keyid') && r.peek().kind === 'string') {
    r.use(`sainfo.id ${kind}`, kindTok);
    return { kind, value: r.str(), pos: posOf(kindTok) } satisfies SainfoNameId;
  }
  if (kind === 'asn1dn') r.fail(kindTok, 'asn1dn cannot name a sainfo id (racoon: "id type forbidden")');
  if (kind !== 'address' && kind !== 'subnet')
    r.fail(kindTok, `expected address, subnet or anonymous, found '${kind}'`);
  const pos = posOf(r.peek());
  const addr = sainfoAddress(r, kind);
  if (addr.idType === 'range') r.use('sainfo.id range', pos);
  const portTok = r.peek();
  const port = optionalPort(r, 0);
  const p = r.word('upper-layer protocol (any, tcp, udp, icmp, ... or a number)');
  const proto = Object.hasOwn(UL_PROTOS, p.text)
    ? UL_PROTOS[p.text]!
    : checkNumber(r, p, 'upper-layer protocol', 0, 255);
  // cfparse.y sainfo_id: ICMP has no ports, and each ICMP goes with its own family.
  if ((proto === IPPROTO_ICMP || proto === IPPROTO_ICMPV6) && port !== 0)
    r.fail(portTok, 'port number must be "any" with icmp/icmp6');
  if ((proto === IPPROTO_ICMPV6 && addr.prefix.family === 4) || (proto === IPPROTO_ICMP && addr.prefix.family === 6))
    r.fail(p, `upper layer protocol ${p.text} does not match the IPv${addr.prefix.family} address`);
  return { kind, ...addr, port, proto, pos };
}

function localSide(r: TokenReader): SainfoSide | 'anonymous' {
  return r.accept('anonymous') ? 'anonymous' : sainfoId(r);
}

function remoteSide(r: TokenReader): SainfoSide | 'anonymous' | 'clientaddr' {
  const t = r.peek();
  if (r.accept('clientaddr')) {
    r.use('sainfo.clientaddr', t);
    return 'clientaddr';
  }
  return localSide(r);
}

const SAINFO_HANDLERS: Readonly<Record<string, Handler<SainfoConf>>> = {
  pfs_group: (r, _kw, sa) => {
    sa.pfsGroup = algorithmRef(r, DH_GROUPS, 'pfs_group', 'sainfo');
    r.semi();
  },
  lifetime: (r, kw, sa) =>
    lifetime(r, kw, 'sainfo', (v) => {
      sa.lifetimeSec = v;
    }),
  remoteid: (r, kw, sa) => {
    sa.remoteid = r.num('remoteid');
    r.use('sainfo.remoteid', kw);
    r.semi();
  },
  my_identifier: (r, kw, sa) => {
    sa.myIdentifier = idSpec(r, 'my_identifier');
    r.use('sainfo.my_identifier', kw);
    r.semi();
  },
  encryption_algorithm: (r, _kw, sa) => {
    sa.encryption.push(...algorithmList(r, PH2_ENC, 'encryption_algorithm'));
    r.semi();
  },
  authentication_algorithm: (r, _kw, sa) => {
    sa.authentication.push(...algorithmList(r, PH2_AUTH, 'authentication_algorithm'));
    r.semi();
  },
  compression_algorithm: (r, _kw, sa) => {
    sa.compression.push(...algorithmList(r, PH2_COMP, 'compression_algorithm'));
    r.semi();
  },
  esn: (r, _kw, sa) => {
    sa.esn = r.onOff('esn');
    r.semi();
  },
};

/** `[from idtype ["str"]] [group "name"]` after the ids (cfparse.y sainfo_param; we take both). */
function sainfoParams(r: TokenReader, sa: SainfoConf): void {
  for (;;) {
    const t = r.peek();
    if (r.accept('from')) sa.from = idSpec(r, 'from');
    else if (r.accept('group')) {
      sa.group = r.strOrWord('group name').text;
      r.use('sainfo.group', t);
    } else return;
  }
}

/** `sainfo (anonymous [REMOTE] | LOCAL (REMOTE | anonymous | clientaddr)) [from ID] [group G] { ... }` */
export function parseSainfo(r: TokenReader, kw: Token, conf: RacoonConf): void {
  const local = localSide(r);
  // `sainfo anonymous { }` means anonymous on both sides.
  const n = r.peek();
  const remote =
    local === 'anonymous' && (n.kind === '{' || (n.kind === 'word' && (n.text === 'from' || n.text === 'group')))
      ? 'anonymous'
      : remoteSide(r);
  const sa: SainfoConf = {
    pos: posOf(kw),
    local,
    remote,
    lifetimeSec: DEFAULT_PH2_LIFETIME_SEC,
    encryption: [],
    authentication: [],
    compression: [],
  };
  sainfoParams(r, sa);
  r.block('sainfo', kw, SAINFO_HANDLERS, sa);
  conf.sainfos.push(sa);
}
