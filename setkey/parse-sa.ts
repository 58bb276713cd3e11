// SA statements of setkey scripts (add, update, get, delete, deleteall): the protocol and SPI, the extensions
// (-m -r -u -f -lh -ls -bh -bs -ctx, FreeBSD's -natt -natt_mtu -esn -hwif) and the algorithms with their keys.
// A key is never quoted in a diagnostic (issue 11 item 11): errors in key position say NEAR_KEY instead.
import type * as A from './ast.js';
import { lookupAlg, suggestAlg, supportedAlgNames, type AlgKind } from './algorithms.js';
import type { Cursor } from './cursor.js';
import type { Token } from './lexer.js';
import { addrOptions, host } from './parse-host.js';

const SA_PROTOS = new Set<A.SaProtoName>(['esp', 'esp-old', 'ah', 'ah-old', 'ipcomp', 'tcp', 'esp-udp']);
const SPI_RE = /^(?:\d+|0[xX][0-9a-fA-F]+)$/;
const HEX_RE = /^0[xX][0-9a-fA-F]+$/;

/** `esp | ah | ipcomp | ...`; esp-udp may name its NAT-OA address (allowOa, add/update). */
export function saProto(c: Cursor, allowOa: boolean): A.SaProto {
  const t = c.word('a protocol (esp, ah, ipcomp, tcp, esp-udp)');
  if (!SA_PROTOS.has(t.text as A.SaProtoName)) c.fail('unknown security protocol', t);
  const p: A.SaProto = { name: t.text as A.SaProtoName, pos: { line: t.line, col: t.col } };
  const n = c.peek();
  if (p.name === 'esp-udp' && allowOa && n.kind === 'word' && !SPI_RE.test(n.text))
    p.natOa = host(c, { numericOnly: false }, false);
  return p;
}

/** A decimal or 0x SPI of at most 32 bits. */
function saSpi(c: Cursor): number {
  const t = c.word('an SPI');
  if (!SPI_RE.test(t.text)) c.fail('invalid SPI', t);
  const v = t.text.length > 24 ? Infinity : Number(t.text.replace(/^0X/, '0x'));
  if (!(v <= 0xffffffff)) c.fail('SPI too big.', t);
  return v;
}

/** `-ctx DOI ALG "context"` (SA and SPD statements). */
export function secCtx(c: Cursor): A.SecCtx {
  const doi = c.decimal('-ctx doi', 255);
  const alg = c.decimal('-ctx algorithm', 255);
  return { doi, alg, text: c.quoted('a security context').text };
}

/** The `-m -r -u -f -l? -b? -ctx -natt...` options after the SPI, in any order. */
function extensions(c: Cursor, proto: A.SaProto): A.SaExtensions {
  const ext: A.SaExtensions = { nocyclicSeq: false, hard: {}, soft: {}, esn: false };
  for (;;) {
    const f = c.peek();
    if (f.kind !== 'flag') return ext;
    switch (f.text) {
      case '-m': {
        c.next();
        const m = c.word('a mode (transport, tunnel or any)');
        if (m.text !== 'transport' && m.text !== 'tunnel' && m.text !== 'any') c.fail('invalid mode', m);
        ext.mode = m.text;
        break;
      }
      case '-r':
        c.next();
        if (proto.name === 'esp-old' || proto.name === 'ah-old')
          c.fail('replay prevention cannot be used with ah/esp-old', f);
        ext.replay = c.decimal('-r replay window', 0xffffffff);
        break;
      case '-u':
        c.next();
        ext.reqid = c.decimal('-u reqid', 0xffffffff);
        break;
      case '-f': {
        c.next();
        const w = c.word('zero-pad, random-pad, seq-pad or nocyclic-seq');
        if (w.text === 'nocyclic-seq') ext.nocyclicSeq = true;
        else if (w.text === 'zero-pad' || w.text === 'random-pad' || w.text === 'seq-pad') ext.pad = w.text;
        else c.fail('invalid -f extension', w);
        break;
      }
      case '-lh':
        c.next();
        ext.hard.addtimeSec = c.decimal('-lh lifetime');
        break;
      case '-ls':
        c.next();
        ext.soft.addtimeSec = c.decimal('-ls lifetime');
        break;
      case '-bh':
        c.next();
        ext.hard.bytes = c.decimal('-bh byte lifetime');
        break;
      case '-bs':
        c.next();
        ext.soft.bytes = c.decimal('-bs byte lifetime');
        break;
      case '-ctx':
        c.next();
        ext.ctx = secCtx(c);
        break;
      case '-natt': {
        c.next();
        const oai = host(c, { numericOnly: true }, true);
        const oar = host(c, { numericOnly: true }, true);
        if (oai.port === undefined || oar.port === undefined) c.fail('-natt needs oai[port] oar[port]', f);
        ext.natt = { oai, oar };
        break;
      }
      case '-natt_mtu':
        c.next();
        ext.nattFragLen = c.decimal('-natt_mtu', 0xffff);
        break;
      case '-esn':
        c.next();
        ext.esn = true;
        break;
      case '-hwif':
        c.next();
        ext.hwif = c.word('an interface name').text;
        break;
      default:
        return ext;
    }
  }
}

/** A key: `0x` hex digits or a quoted string; never quoted back in a diagnostic. */
function key(c: Cursor): A.KeySpec {
  const t = c.next();
  const pos = { line: t.line, col: t.col };
  if (t.kind === 'quoted') return { bytes: new Uint8Array(Buffer.from(t.text, 'utf8')), form: 'quoted', pos };
  if (t.kind !== 'word' || !HEX_RE.test(t.text)) c.fail('invalid key: want 0x<hex> or "text"', t, true);
  return { bytes: hexKeyBytes(t.text.slice(2)), form: 'hex', pos };
}

/** Whether a key token follows (for algorithms whose key is optional). */
function isKeyNext(c: Cursor): boolean {
  const t = c.peek();
  return t.kind === 'quoted' || (t.kind === 'word' && HEX_RE.test(t.text));
}

/** One algorithm name of `kind`, with its key unless it takes none. */
function algorithm(c: Cursor, kind: AlgKind): A.AlgSpec {
  const what =
    kind === 'enc'
      ? 'an encryption algorithm'
      : kind === 'auth'
        ? 'an authentication algorithm'
        : 'a compression algorithm';
  const t = c.word(what);
  const alg = lookupAlg(kind, t.text);
  if (!alg) {
    const guess = suggestAlg(kind, t.text);
    c.fail(
      `unknown ${kind === 'enc' ? 'encryption' : kind === 'auth' ? 'authentication' : 'compression'} algorithm` +
        `${guess ? ` (did you mean '${guess}'?)` : ''}; supported: ${supportedAlgNames(kind).join(', ')}`,
      t,
    );
  }
  const spec: A.AlgSpec = { name: t.text, pos: { line: t.line, col: t.col } };
  // ipsec-tools: null takes no key token; FreeBSD's `-E null ""` form is accepted too.
  if (kind !== 'comp' && (!alg.noKey || isKeyNext(c))) spec.key = key(c);
  return spec;
}

/** `-E ealg key [-A aalg key]`, `-A aalg key` or `-C calg [-R]`. */
function algorithms(c: Cursor): A.AlgorithmSpec {
  const a: A.AlgorithmSpec = { rawCpi: false };
  const f = c.next();
  if (f.text === '-E' && f.kind === 'flag') {
    a.enc = algorithm(c, 'enc');
    if (c.peek().kind === 'flag' && c.peek().text === '-A') {
      c.next();
      a.auth = algorithm(c, 'auth');
    }
  } else if (f.text === '-A' && f.kind === 'flag') {
    a.auth = algorithm(c, 'auth');
  } else if (f.text === '-C' && f.kind === 'flag') {
    a.comp = algorithm(c, 'comp');
    if (c.peek().kind === 'flag' && c.peek().text === '-R') {
      c.next();
      a.rawCpi = true;
    }
  } else {
    c.fail('syntax error: expected -E, -A or -C', f);
  }
  return a;
}

/** add, update, get, delete: `opts src dst proto spi ext* [algs] ;`. */
export function saCommand(c: Cursor, first: Token, kind: A.SaStatement['kind']): A.SaStatement {
  const opts = addrOptions(c);
  const src = host(c, opts, true);
  const dst = host(c, opts, true);
  const proto = saProto(c, true);
  const spi = saSpi(c);
  const ext = extensions(c, proto);
  const alg = kind === 'add' || kind === 'update' ? algorithms(c) : undefined;
  if ((kind === 'get' || kind === 'delete') && ext.mode && ext.mode !== 'any')
    c.warn('WARNING: mode is obsolete', first);
  return { kind, opts, src, dst, proto, spi, ext, alg, ...c.end(first) };
}

/** `deleteall opts src dst proto ;` */
export function deleteAll(c: Cursor, first: Token): A.DeleteAllStatement {
  const opts = addrOptions(c);
  const src = host(c, opts, false);
  const dst = host(c, opts, false);
  const proto = saProto(c, false);
  return { kind: 'deleteall', opts, src, dst, proto, ...c.end(first) };
}

/** Hex key digits to bytes; an odd count makes the first digit a byte of its own (ipsec-tools key_string). */
export function hexKeyBytes(hex: string): Uint8Array {
  const odd = hex.length % 2;
  const out = new Uint8Array((hex.length + odd) / 2);
  if (odd) out[0] = parseInt(hex[0]!, 16);
  for (let i = odd, o = odd; i < hex.length; i += 2, o++) out[o] = parseInt(hex.slice(i, i + 2), 16);
  return out;
}
