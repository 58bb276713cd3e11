// SPD statements of setkey scripts (spdadd, spdupdate, spddelete, and the tagged forms): the selectors with
// prefix and port, the upper-layer protocol with its ICMP type/code or GRE key, -ctx, and `-P policy`
// (parsed by policy.ts).
import { IPSEC_ULPROTO_ANY } from '../pfkey/constants.js';
import type * as A from './ast.js';
import { COMMAND_WORDS, Fail, type Cursor } from './cursor.js';
import { diagnostic } from './diagnostics.js';
import { stripPolicyComments, type Token } from './lexer.js';
import { protoByName } from './netdb.js';
import { address, addrOptions, portInBrackets } from './parse-host.js';
import { secCtx } from './parse-sa.js';
import { parsePolicy } from './policy.js';
import { upperMiscPorts } from './upper-spec.js';

/** `ADDR[/prefix][[port]]` of an SPD statement. */
function selector(c: Cursor, o: A.AddrOptions): A.Selector {
  const t = c.word('an address');
  const { addr, family } = address(c, t, o);
  const max = family === 4 ? 32 : 128;
  const sel: A.Selector = {
    text: t.text,
    addr,
    family,
    prefixLen: max,
    prefixGiven: false,
    port: 0,
    portGiven: false,
    pos: { line: t.line, col: t.col },
  };
  if (c.peek().kind === 'slash') {
    c.next();
    sel.prefixLen = c.decimal('prefix length', max);
    sel.prefixGiven = true;
  }
  if (c.peek().kind === 'lbracket') {
    sel.port = portInBrackets(c);
    sel.portGiven = true;
  }
  return sel;
}

/** The upper-layer protocol (`any`, a number, a name) and its optional type/code or key word. */
function upperLayer(c: Cursor): A.UpperSpec {
  const t = c.word('an upper-layer protocol');
  let proto: number | undefined;
  if (t.text === 'any') proto = IPSEC_ULPROTO_ANY;
  else if (/^\d+$/.test(t.text)) proto = t.text.length <= 3 && Number(t.text) <= 255 ? Number(t.text) : undefined;
  else proto = protoByName(t.text);
  if (proto === undefined) c.fail('invalid upper layer protocol', t);
  const up: A.UpperSpec = { proto, text: t.text };
  if (c.peek().kind === 'word') up.misc = c.next().text;
  return up;
}

/** ipsec-tools fix_portstr: ICMP type/code and GRE keys travel in the selector ports. */
function applyUpperMisc(c: Cursor, up: A.UpperSpec, src: A.Selector, dst: A.Selector, at: Token): void {
  if (up.misc === undefined) return;
  if (src.portGiven || dst.portGiven) c.fail('ports and an upper-layer spec cannot be combined', at);
  const r = upperMiscPorts(up.proto, up.misc);
  if (typeof r === 'string') c.fail(r, at);
  src.port = r.sport;
  dst.port = r.dport;
}

/** `-P policy`, parsed by policy.ts; its errors carry their own line and column. */
function policyArg(c: Cursor): A.PolicySpec {
  const f = c.next();
  if (f.kind !== 'flag' || f.text !== '-P') c.fail('syntax error: expected -P policy', f);
  const t = c.next();
  if (t.kind !== 'policy') c.fail('missing policy after -P', t);
  policyRunOn(c, t);
  const r = parsePolicy(stripPolicyComments(t.text), { line: t.line, col: t.col });
  if (!r.ok)
    throw new Fail(diagnostic(`policy: ${r.error.message}`, c.file, r.error.line, r.error.col, r.error.near), t);
  return r.value;
}

/** A policy runs to the next ';': one that swallowed the next statement's command word lost its own ';'. */
function policyRunOn(c: Cursor, t: Token): void {
  const lines = stripPolicyComments(t.text).split('\n');
  for (let k = 1; k < lines.length; k++) {
    if (!COMMAND_WORDS.has(/^\s*([a-z]+)/.exec(lines[k]!)?.[1] ?? '')) continue;
    let j = k - 1;
    while (j > 0 && lines[j]!.trim() === '') j--;
    const near = lines[j]!.trim().split(/\s+/).pop() ?? '';
    throw new Fail(diagnostic("missing ';' at the end of the statement", c.file, t.line + j, 1, near), t);
  }
}

/** spdadd, spdupdate, spddelete (and the tagged forms): `opts sel sel upper [ctx] -P policy ;`. */
export function spdCommand(c: Cursor, first: Token, kind: 'spdadd' | 'spdupdate' | 'spddelete'): A.Statement {
  if (kind !== 'spddelete' && c.peek().kind === 'word' && c.peek().text === 'tagged') {
    c.next();
    const tag = c.quoted('a tag name').text;
    const policy = policyArg(c);
    return { kind: kind === 'spdadd' ? 'spdadd-tagged' : 'spdupdate-tagged', tag, policy, ...c.end(first) };
  }
  const opts = addrOptions(c);
  const src = selector(c, opts);
  const dst = selector(c, opts);
  const upTok = c.peek();
  const upper = upperLayer(c);
  applyUpperMisc(c, upper, src, dst, upTok);
  let ctx: A.SecCtx | undefined;
  if (c.peek().kind === 'flag' && c.peek().text === '-ctx') {
    c.next();
    ctx = secCtx(c);
  }
  const policy = policyArg(c);
  return { kind, opts, src, dst, upper, ctx, policy, ...c.end(first) };
}
