// `sainfo` sections (racoon.conf(5) "Policy Specifications"): the phase 2 proposal for a pair of ids.
import { parseAddr, parsePrefix } from '../../common/inet.js';
import { DH_GROUPS, PH2_AUTH, PH2_COMP, PH2_ENC, UL_PROTOS } from './algorithms.js';
import { DEFAULT_PH2_LIFETIME_SEC, type RacoonConf, type SainfoConf, type SainfoId } from './ast.js';
import { checkNumber, posOf, type TokenReader } from './reader.js';
import type { Token } from './lexer.js';
import { algorithmList, algorithmRef, idSpec, optionalPort } from './values.js';

/** `address|subnet A[/P][-B] [port] proto` */
function sainfoId(r: TokenReader): SainfoId {
  const kindTok = r.word('address or subnet');
  const kind = kindTok.text;
  if (kind !== 'address' && kind !== 'subnet') r.fail(kindTok, `expected address, subnet or anonymous, found '${kind}'`);
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
  const proto = Object.hasOwn(UL_PROTOS, p.text) ? UL_PROTOS[p.text]! : checkNumber(r, p, 'upper-layer protocol', 0, 255);
  return { kind, prefix, rangeEnd, port, proto, pos: posOf(a) };
}

function localSide(r: TokenReader): SainfoId | 'anonymous' {
  return r.accept('anonymous') ? 'anonymous' : sainfoId(r);
}

function remoteSide(r: TokenReader): SainfoId | 'anonymous' | 'clientaddr' {
  if (r.accept('clientaddr')) return 'clientaddr';
  return localSide(r);
}

/** `sainfo (anonymous | LOCAL REMOTE) [from idtype ["str"]] [group "name"] { ... }` */
export function parseSainfo(r: TokenReader, kw: Token, conf: RacoonConf): void {
  const local = localSide(r);
  // `sainfo anonymous { }` means anonymous on both sides.
  const n = r.peek();
  const remote = local === 'anonymous' && (n.kind === '{' || (n.kind === 'word' && (n.text === 'from' || n.text === 'group'))) ? 'anonymous' : remoteSide(r);
  const sa: SainfoConf = { pos: posOf(kw), local, remote, lifetimeSec: DEFAULT_PH2_LIFETIME_SEC, encryption: [], authentication: [], compression: [] };
  if (r.accept('from')) sa.from = idSpec(r, 'from');
  if (r.accept('group')) {
    sa.group = r.strOrWord('group name').text;
    conf.later.push({ what: 'sainfo group (XAuth groups)', pos: posOf(kw) });
  }
  r.block('sainfo', kw, {
    pfs_group: (rr) => { sa.pfsGroup = algorithmRef(rr, DH_GROUPS, 'pfs_group', conf.later); rr.semi(); },
    lifetime: (rr) => {
      if (rr.accept('time')) sa.lifetimeSec = rr.timeSec('lifetime');
      else if (rr.accept('byte')) sa.lifetimeBytes = rr.bytes('lifetime');
      else rr.fail(rr.peek(), "expected 'time' or 'byte' after lifetime");
      rr.semi();
    },
    remoteid: (rr) => { sa.remoteid = rr.num('remoteid'); rr.semi(); },
    my_identifier: (rr, k) => { idSpec(rr, 'my_identifier'); rr.semi(); conf.later.push({ what: 'sainfo my_identifier (XAuth)', pos: posOf(k) }); },
    encryption_algorithm: (rr) => { sa.encryption.push(...algorithmList(rr, PH2_ENC, 'encryption_algorithm')); rr.semi(); },
    authentication_algorithm: (rr) => { sa.authentication.push(...algorithmList(rr, PH2_AUTH, 'authentication_algorithm')); rr.semi(); },
    compression_algorithm: (rr) => { sa.compression.push(...algorithmList(rr, PH2_COMP, 'compression_algorithm')); rr.semi(); },
  });
  conf.sainfos.push(sa);
}
