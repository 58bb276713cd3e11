// Value grammars shared by remote, proposal and sainfo sections: algorithms with key lengths, identifiers,
// addresses, ports and lifetimes (racoon.conf(5) "my_identifier", "encryption_algorithm", "[port]").
import { parseAddr } from '../../common/inet.js';
import { lookupAlgorithm, type AlgorithmDef } from './algorithms.js';
import type { AlgorithmRef, IdSpec } from './ast.js';
import type { Token } from './lexer.js';
import { checkNumber, posOf, type TokenReader } from './reader.js';

/** The error for an unknown algorithm name, with `aes 256` suggested for `aes_256` / `aes256`. */
function unknownAlgorithm(table: Readonly<Record<string, AlgorithmDef>>, what: string, name: string): string {
  const m = /^([a-z0-9]*[a-z])_?([0-9]+)$/.exec(name);
  const base = m ? lookupAlgorithm(table, m[1]!) : undefined;
  if (m && base?.keyLens?.includes(Number(m[2])))
    return `unknown ${what} '${name}': write '${m[1]!} ${m[2]!}' (the key length is a separate word)`;
  return `unknown ${what} '${name}', expected one of ${Object.keys(table).join(', ')}`;
}

/**
 * `name [keylen]`: a named algorithm from `table`, with a key length when the cipher takes one. With `section`,
 * the use is recorded as `section.what name` for the support table.
 */
export function algorithmRef(
  r: TokenReader,
  table: Readonly<Record<string, AlgorithmDef>>,
  what: string,
  section?: string,
): AlgorithmRef {
  const t = r.word(what);
  const def = lookupAlgorithm(table, t.text);
  if (!def) r.fail(t, unknownAlgorithm(table, what, t.text));
  const ref: AlgorithmRef = { name: t.text, id: def.id, pos: posOf(t) };
  const k = r.peek();
  if (k.kind === 'word' && /^[0-9]/.test(k.text)) {
    r.next();
    const keyLen = checkNumber(r, k, 'key length', 1, 4096);
    if (!def.keyLens) r.fail(k, `${t.text} has a fixed key size; no key length allowed`);
    if (!def.keyLens.includes(keyLen)) r.fail(k, `bad key length ${keyLen} for ${t.text}`);
    ref.keyLen = keyLen;
  }
  if (section) r.use(`${section}.${what} ${def.canonical ?? t.text}`, t);
  return ref;
}

/** `alg [keylen], alg [keylen], ...` */
export function algorithmList(
  r: TokenReader,
  table: Readonly<Record<string, AlgorithmDef>>,
  what: string,
): AlgorithmRef[] {
  const out = [algorithmRef(r, table, what)];
  while (r.acceptKind(',')) out.push(algorithmRef(r, table, what));
  return out;
}

/** An address word; `what` names it in errors. */
export function address(r: TokenReader, what: string): Uint8Array {
  const t = r.strOrWord(what);
  const a = parseAddr(t.text);
  if (!a) r.fail(t, `bad ${what} '${t.text}'`);
  return a;
}

/** An optional `[port]`; `[any]` is 0. */
export function optionalPort(r: TokenReader, dflt: number): number {
  const t = r.acceptKind('port');
  if (!t) return dflt;
  if (t.text === 'any') return 0;
  return checkNumber(r, t, 'port', 0, 65535);
}

/**
 * An identifier: `address [A]` | `fqdn "s"` | `user_fqdn "s"` | `keyid [file|tag] "s"` | `asn1dn ["dn"]`
 * (racoon.conf(5) my_identifier / peers_identifier; also sainfo `from`).
 */
export function idSpec(r: TokenReader, what: string): IdSpec {
  const t = r.word(`${what} type`);
  const pos = posOf(t);
  switch (t.text) {
    case 'address': {
      const n = r.peek();
      if (n.kind === 'string' || (n.kind === 'word' && parseAddr(n.text)))
        return { type: 'address', addr: address(r, 'address'), pos };
      return { type: 'address', pos };
    }
    case 'fqdn':
    case 'user_fqdn': {
      // racoon sends the string as written; a user_fqdn without '@' is legal (RFC 2407 §4.6.2.4 only says
      // "fully-qualified username string"), and real configurations use a bare name.
      const v = r.strOrWord(`${t.text} value`).text;
      if (v.length === 0) r.fail(t, `empty ${t.text}`);
      return { type: t.text, value: v, pos };
    }
    case 'keyid': {
      let kind: 'file' | 'tag' = 'file';
      if (r.accept('tag')) kind = 'tag';
      else r.accept('file');
      return { type: 'keyid', keyidKind: kind, value: r.str(`keyid ${kind}`), pos };
    }
    case 'asn1dn': {
      const n = r.acceptKind('string');
      return n ? { type: 'asn1dn', value: n.text, pos } : { type: 'asn1dn', pos };
    }
    default:
      return r.fail(t, `bad ${what} type '${t.text}', expected address|fqdn|user_fqdn|keyid|asn1dn`);
  }
}

/**
 * `lifetime time N unit;` into `setSec`, or `lifetime byte N unit;`, which is parsed and recorded as
 * `section.lifetime byte` (ipsec-tools 0.8.2 refuses byte lifetimes; the support table says so).
 */
export function lifetime(r: TokenReader, kw: Token, section: string, setSec: (v: number) => void): void {
  if (r.accept('time')) setSec(r.timeSec('lifetime'));
  else if (r.accept('byte')) {
    r.bytes('lifetime');
    r.use(`${section}.lifetime byte`, kw);
  } else r.fail(r.peek(), "expected 'time' or 'byte' after lifetime");
  r.semi();
}
