// `sainfo` sections (racoon.conf(5) "Policy Specifications"): the phase 2 proposal for a pair of ids.
import { parseAddr, parsePrefix } from '../../common/inet.js';
import { DH_GROUPS, PH2_AUTH, PH2_COMP, PH2_ENC, UL_PROTOS } from './algorithms.js';
import { DEFAULT_PH2_LIFETIME_SEC, type LaterFeature, type RacoonConf, type SainfoConf, type SainfoId } from './ast.js';
import { checkNumber, posOf, type Handler, type TokenReader } from './reader.js';
import type { Token } from './lexer.js';
import { algorithmList, algorithmRef, idSpec, optionalPort } from './values.js';

/** `address|subnet A[/P][-B] [port] proto` */
function sainfoId(r: TokenReader): SainfoId {
  const kindTok = r.word('address or subnet');
  const kind = kindTok.text;
  if (kind !== 'address' && kind !== 'subnet')
    r.fail(kindTok, `expected address, subnet or anonymous, found '${kind}'`);
  const a = r.word(`${kind} value`);
  let text = a.text;
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
  const port = optionalPort(r, 0);
  const p = r.word('upper-layer protocol (any, tcp, udp, icmp, ... or a number)');
  const proto = Object.hasOwn(UL_PROTOS, p.text)
    ? UL_PROTOS[p.text]!
    : checkNumber(r, p, 'upper-layer protocol', 0, 255);
  return { kind, prefix, rangeEnd, port, proto, pos: posOf(a) };
}

function localSide(r: TokenReader): SainfoId | 'anonymous' {
  return r.accept('anonymous') ? 'anonymous' : sainfoId(r);
}

function remoteSide(r: TokenReader): SainfoId | 'anonymous' | 'clientaddr' {
  if (r.accept('clientaddr')) return 'clientaddr';
  return localSide(r);
}

interface SainfoCtx {
  sa: SainfoConf;
  later: LaterFeature[];
}

const SAINFO_HANDLERS: Readonly<Record<string, Handler<SainfoCtx>>> = {
  pfs_group: (r, _kw, { sa, later }) => {
    sa.pfsGroup = algorithmRef(r, DH_GROUPS, 'pfs_group', later);
    r.semi();
  },
  lifetime: (r, _kw, { sa }) => {
    if (r.accept('time')) sa.lifetimeSec = r.timeSec('lifetime');
    else if (r.accept('byte')) sa.lifetimeBytes = r.bytes('lifetime');
    else r.fail(r.peek(), "expected 'time' or 'byte' after lifetime");
    r.semi();
  },
  remoteid: (r, _kw, { sa }) => {
    sa.remoteid = r.num('remoteid');
    r.semi();
  },
  my_identifier: (r, kw, { later }) => {
    idSpec(r, 'my_identifier');
    r.semi();
    later.push({ what: 'sainfo my_identifier (XAuth)', pos: posOf(kw) });
  },
  encryption_algorithm: (r, _kw, { sa }) => {
    sa.encryption.push(...algorithmList(r, PH2_ENC, 'encryption_algorithm'));
    r.semi();
  },
  authentication_algorithm: (r, _kw, { sa }) => {
    sa.authentication.push(...algorithmList(r, PH2_AUTH, 'authentication_algorithm'));
    r.semi();
  },
  compression_algorithm: (r, _kw, { sa }) => {
    sa.compression.push(...algorithmList(r, PH2_COMP, 'compression_algorithm'));
    r.semi();
  },
};

/** `sainfo (anonymous | LOCAL REMOTE) [from idtype ["str"]] [group "name"] { ... }` */
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
  if (r.accept('from')) sa.from = idSpec(r, 'from');
  if (r.accept('group')) {
    sa.group = r.strOrWord('group name').text;
    conf.later.push({ what: 'sainfo group (XAuth groups)', pos: posOf(kw) });
  }
  r.block('sainfo', kw, SAINFO_HANDLERS, { sa, later: conf.later });
  conf.sainfos.push(sa);
}
