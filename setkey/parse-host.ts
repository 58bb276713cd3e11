// Addresses in setkey statements: `-4`/`-6`/`-n` options, numeric or resolved hosts (getaddrinfo with
// AI_NUMERICHOST under -n in ipsec-tools), and `[port]` as a number, `any` or a service name.
import { parseAddr, addrFamily, type Family } from '../common/inet.js';
import type * as A from './ast.js';
import type { Cursor } from './cursor.js';
import type { Token } from './lexer.js';
import { portByName } from './netdb.js';

/** `-4`, `-6`, `-n` before the addresses of a statement. */
export function addrOptions(c: Cursor): A.AddrOptions {
  const o: A.AddrOptions = { numericOnly: false };
  while (c.peek().kind === 'flag' && /^-[46n]+$/.test(c.peek().text)) {
    for (const ch of c.next().text.slice(1)) {
      if (ch === 'n') o.numericOnly = true;
      else o.family = ch === '4' ? 4 : 6;
    }
  }
  const t = c.peek();
  if (t.kind === 'flag' && t.text !== '-P') c.fail('invalid flag', t);
  return o;
}

/** Resolves an address word under `-4/-6/-n` (getaddrinfo with AI_NUMERICHOST in ipsec-tools). */
export function address(c: Cursor, t: Token, o: A.AddrOptions): { addr: Uint8Array; family: Family } {
  let list: Uint8Array[];
  const numeric = parseAddr(t.text);
  if (numeric) list = [numeric];
  else if (!/^[A-Za-z0-9]([A-Za-z0-9.-]*[A-Za-z0-9])?$/.test(t.text)) c.fail('invalid address', t);
  else if (o.numericOnly) c.fail('not a numeric address (-n given)', t);
  else if (!c.opts.resolveHost) c.fail('cannot resolve host name: give a numeric address', t);
  else list = resolve(c, t, o);
  list = list!.filter((a) => a.length === 4 || a.length === 16);
  if (o.family) list = list.filter((a) => addrFamily(a) === o.family);
  if (list.length === 0) c.fail(o.family ? `no IPv${o.family} address (-${o.family} given)` : 'host has no address', t);
  if (list.length > 1) c.fail('multiple address specified', t);
  return { addr: list[0]!, family: addrFamily(list[0]!) };
}

/** Calls the injected resolver; its failures become errors on this token, not exceptions. */
function resolve(c: Cursor, t: Token, o: A.AddrOptions): Uint8Array[] {
  try {
    return c.opts.resolveHost!(t.text, o.family);
  } catch (e) {
    c.fail(`cannot resolve host name: ${e instanceof Error ? e.message : String(e)}`, t);
  }
}

/** `[port]` contents: decimal, `any`, or a service name. */
export function portInBrackets(c: Cursor): number {
  c.next(); // '['
  const t = c.next();
  const port = t.kind === 'word' ? (t.text === 'any' ? 0 : portByName(t.text)) : undefined;
  if (port === undefined) c.fail('invalid port', t);
  if (c.next().kind !== 'rbracket') c.fail("syntax error: expected ']'", c.tokenBefore());
  return port;
}

/** An SA endpoint: an address with a `[port]` where `allowPort`. */
export function host(c: Cursor, o: A.AddrOptions, allowPort: boolean): A.HostSpec {
  const t = c.word('an address');
  const { addr, family } = address(c, t, o);
  const h: A.HostSpec = { text: t.text, addr, family, pos: { line: t.line, col: t.col } };
  if (c.peek().kind === 'lbracket') {
    if (!allowPort) c.fail('a port is not allowed here', c.peek());
    h.port = portInBrackets(c);
  }
  return h;
}
