// Recursive-descent parser for setkey(8) scripts (ipsec-tools parse.y, with the FreeBSD/NetBSD spellings).
//
//   script    := { statement }                       every statement ends with ';'
//   statement := (add|update) opts host host proto spi ext* algs ';'
//              | (get|delete) opts host host proto spi ext* ';'
//              | deleteall opts addr addr proto ';'
//              | (flush|dump) [proto] ';'
//              | (spdadd|spdupdate) ( tagged QUOTED | opts sel sel upper [misc] [ctx] ) -P POLICY ';'
//              | spddelete opts sel sel upper [misc] [ctx] -P POLICY ';'
//              | spdflush ';' | spddump ';' | (exit|quit|bye) ';'
//   opts      := { -[46n]+ }                         host := ADDR ['[' port ']']
//   sel       := ADDR ['/' DEC] ['[' port ']']       port := DEC | any | service-name
//   proto     := esp | esp-old | ah | ah-old | ipcomp | tcp | esp-udp [ADDR]
//   spi       := DEC | 0xHEX                         upper := any | DEC | protocol-name (icmp6, ip4, ...)
//   ext       := -m (transport|tunnel|any) | -r DEC | -u DEC | -f (zero-pad|random-pad|seq-pad|nocyclic-seq)
//              | (-lh|-ls|-bh|-bs) DEC | -ctx DEC DEC QUOTED
//              | -natt ADDR '[' port ']' ADDR '[' port ']' | -natt_mtu DEC | -esn | -hwif WORD   (FreeBSD)
//   algs      := -E ealg [key] [-A aalg [key]] | -A aalg [key] | -C calg [-R]
//   key       := 0xHEX | QUOTED                      misc := type[,code] (icmp/icmp6/mh) | key (gre)
//
// On an error the statement is dropped, the error recorded with its line, and parsing resumes after the
// next ';' so that one run reports every bad statement. POLICY is parsed by policy.ts.
import { parseAddr, addrFamily, type Family } from '../common/inet.js';
import type * as A from './ast.js';
import { tokenize, stripPolicyComments, type Token } from './lexer.js';
import { parsePolicy } from './policy.js';
import { NEAR_KEY, diagnostic, type SetkeyError } from './diagnostics.js';
import { lookupAlg, suggestAlg, supportedAlgNames, type AlgKind } from './algorithms.js';
import { protoByName, portByName } from './netdb.js';
import { IPSEC_ULPROTO_ANY } from '../pfkey/constants.js';
import { upperMiscPorts } from './upper-spec.js';
import { checkStatement } from './check.js';

export interface ParseOptions {
  /** Name used in messages; '' (the default) means stdin, reported as `line N`. */
  file?: string;
  /** Resolves a host name (no `-n`); without it only numeric addresses are accepted. */
  resolveHost?: (name: string, family?: Family) => Uint8Array[];
  /** Run the semantic checks of check.ts (default true). */
  check?: boolean;
  /** Line number of the first line of `src` (a piece of a larger script; default 1). */
  firstLine?: number;
}

export interface ParseResult {
  statements: A.Statement[];
  errors: SetkeyError[];
  warnings: SetkeyError[];
}

/** Thrown inside the parser only (not an Error: no stack to capture); `at` is where to resynchronise. */
class Fail {
  constructor(
    readonly err: SetkeyError,
    readonly at: Token,
    /** Resume at `at` itself (the next statement's first word) instead of after the next ';'. */
    readonly resumeAt = false,
  ) {}
}

/** The words that begin a statement: after one of them on a new line, a missing ';' is the likely mistake. */
const COMMAND_WORDS = new Set([
  'add',
  'update',
  'get',
  'delete',
  'deleteall',
  'flush',
  'dump',
  'spdadd',
  'spdupdate',
  'spddelete',
  'spdflush',
  'spddump',
  'exit',
  'quit',
  'bye',
]);

const SA_PROTOS = new Set<A.SaProtoName>(['esp', 'esp-old', 'ah', 'ah-old', 'ipcomp', 'tcp', 'esp-udp']);
const SPI_RE = /^(?:\d+|0[xX][0-9a-fA-F]+)$/;
const HEX_RE = /^0[xX][0-9a-fA-F]+$/;
const EXIT_WORDS = new Set(['exit', 'quit', 'bye']);

/** What a diagnostic shows of token `t`: quoted strings with their quotes, so that they are never shown. */
function nearText(t: Token): string {
  if (t.kind === 'eof') return 'end of input';
  if (t.kind === 'policy') return t.text.trim();
  return t.kind === 'quoted' ? `"${t.text}"` : t.text;
}

class Parser {
  private i = 0;
  readonly warnings: SetkeyError[] = [];

  constructor(
    private readonly toks: Token[],
    private readonly opts: ParseOptions,
    private readonly file: string,
  ) {}

  peek(k = 0): Token {
    return this.toks[Math.min(this.i + k, this.toks.length - 1)]!;
  }
  next(): Token {
    const t = this.peek();
    if (t.kind !== 'eof') this.i++;
    return t;
  }
  atEnd(): boolean {
    return this.peek().kind === 'eof';
  }

  /** `inKeyPosition`: the token stands where a key goes, so it is never shown (issue 11 item 11). */
  err(reason: string, t: Token | undefined = this.peek(), inKeyPosition = false): SetkeyError {
    const at = t ?? this.peek();
    return diagnostic(reason, this.file, at.line, at.col, inKeyPosition ? NEAR_KEY : nearText(at));
  }
  fail(reason: string, t?: Token, inKeyPosition = false): never {
    throw new Fail(this.err(reason, t, inKeyPosition), t ?? this.peek());
  }
  warn(reason: string, t: Token): void {
    this.warnings.push(diagnostic(reason, this.file, t.line, t.col, nearText(t), 'warning'));
  }

  /** Continues just after the first ';' at or after token `at` (or at the end), or at `at` itself. */
  resync(at: Token, resumeAt = false): void {
    this.i = at.index;
    if (resumeAt) return;
    while (!this.atEnd()) if (this.next().kind === 'semi') return;
  }

  word(what: string): Token {
    const t = this.next();
    if (t.kind !== 'word') this.fail(`syntax error: expected ${what}`, t);
    return t;
  }

  end(first: Token): { file: string; line: number; endLine: number } {
    const t = this.next();
    if (t.kind !== 'semi') {
      // The statement is complete and the next command (or the end) follows on a later line: the ';' was
      // forgotten. Say so where it belongs, and parse that next statement normally.
      const last = this.toks[t.index - 1];
      const nextStatement = t.kind === 'eof' || (t.kind === 'word' && COMMAND_WORDS.has(t.text));
      if (last && last.endLine < t.line && nextStatement) {
        const err = diagnostic("missing ';' at the end of the statement", this.file, last.endLine, last.col, last.text);
        throw new Fail(err, t, true);
      }
      this.fail(t.kind === 'eof' ? "missing ';' at end of statement" : "syntax error: expected ';'", t);
    }
    return { file: this.file, line: first.line, endLine: t.line };
  }

  statement(): A.Statement {
    const first = this.next();
    if (first.kind !== 'word') this.fail('syntax error: expected a command', first);
    const cmd = first.text;
    switch (cmd) {
      case 'add':
      case 'update':
      case 'get':
      case 'delete':
        return this.saCommand(first, cmd);
      case 'deleteall':
        return this.deleteAll(first);
      case 'flush':
      case 'dump': {
        const proto = this.peek().kind === 'word' ? this.saProto(false) : undefined;
        return { kind: cmd, proto, ...this.end(first) };
      }
      case 'spdadd':
      case 'spdupdate':
      case 'spddelete':
        return this.spdCommand(first, cmd);
      case 'spdflush':
      case 'spddump':
        return { kind: cmd, ...this.end(first) };
      default:
        if (EXIT_WORDS.has(cmd)) return { kind: 'exit', ...this.end(first) };
        this.fail('syntax error: unknown command', first);
    }
  }

  addrOptions(): A.AddrOptions {
    const o: A.AddrOptions = { numericOnly: false };
    while (this.peek().kind === 'flag' && /^-[46n]+$/.test(this.peek().text)) {
      for (const c of this.next().text.slice(1)) {
        if (c === 'n') o.numericOnly = true;
        else o.family = c === '4' ? 4 : 6;
      }
    }
    const t = this.peek();
    if (t.kind === 'flag' && t.text !== '-P') this.fail('invalid flag', t);
    return o;
  }

  /** Resolves an address word under `-4/-6/-n` (getaddrinfo with AI_NUMERICHOST in ipsec-tools). */
  address(t: Token, o: A.AddrOptions): { addr: Uint8Array; family: Family } {
    let list: Uint8Array[];
    const numeric = parseAddr(t.text);
    if (numeric) list = [numeric];
    else if (!/^[A-Za-z0-9]([A-Za-z0-9.-]*[A-Za-z0-9])?$/.test(t.text)) this.fail('invalid address', t);
    else if (o.numericOnly) this.fail('not a numeric address (-n given)', t);
    else if (!this.opts.resolveHost) this.fail('cannot resolve host name: give a numeric address', t);
    else list = this.resolve(t, o);
    list = list!.filter((a) => a.length === 4 || a.length === 16);
    if (o.family) list = list.filter((a) => addrFamily(a) === o.family);
    if (list.length === 0)
      this.fail(o.family ? `no IPv${o.family} address (-${o.family} given)` : 'host has no address', t);
    if (list.length > 1) this.fail('multiple address specified', t);
    return { addr: list[0]!, family: addrFamily(list[0]!) };
  }

  /** Calls the injected resolver; its failures become errors on this token, not exceptions. */
  resolve(t: Token, o: A.AddrOptions): Uint8Array[] {
    try {
      return this.opts.resolveHost!(t.text, o.family);
    } catch (e) {
      this.fail(`cannot resolve host name: ${e instanceof Error ? e.message : String(e)}`, t);
    }
  }

  /** `[port]` contents: decimal, `any`, or a service name. */
  portInBrackets(): number {
    this.next(); // '['
    const t = this.next();
    const port = t.kind === 'word' ? (t.text === 'any' ? 0 : portByName(t.text)) : undefined;
    if (port === undefined) this.fail('invalid port', t);
    if (this.next().kind !== 'rbracket') this.fail("syntax error: expected ']'", this.toks[this.i - 1]);
    return port;
  }

  host(o: A.AddrOptions, allowPort: boolean): A.HostSpec {
    const t = this.word('an address');
    const { addr, family } = this.address(t, o);
    const h: A.HostSpec = { text: t.text, addr, family, pos: { line: t.line, col: t.col } };
    if (this.peek().kind === 'lbracket') {
      if (!allowPort) this.fail('a port is not allowed here', this.peek());
      h.port = this.portInBrackets();
    }
    return h;
  }

  saProto(allowOa: boolean): A.SaProto {
    const t = this.word('a protocol (esp, ah, ipcomp, tcp, esp-udp)');
    if (!SA_PROTOS.has(t.text as A.SaProtoName)) this.fail('unknown security protocol', t);
    const p: A.SaProto = { name: t.text as A.SaProtoName, pos: { line: t.line, col: t.col } };
    const n = this.peek();
    if (p.name === 'esp-udp' && allowOa && n.kind === 'word' && !SPI_RE.test(n.text))
      p.natOa = this.host({ numericOnly: false }, false);
    return p;
  }

  spi(): number {
    const t = this.word('an SPI');
    if (!SPI_RE.test(t.text)) this.fail('invalid SPI', t);
    const v = t.text.length > 24 ? Infinity : Number(t.text.replace(/^0X/, '0x'));
    if (!(v <= 0xffffffff)) this.fail('SPI too big.', t);
    return v;
  }

  decimal(what: string, max = Number.MAX_SAFE_INTEGER): number {
    const t = this.next();
    if (t.kind !== 'word' || !/^\d+$/.test(t.text)) this.fail(`${what}: a decimal number is required`, t);
    const v = t.text.length > 17 ? Infinity : Number(t.text);
    if (!(v <= max)) this.fail(`${what} out of range (at most ${max})`, t);
    return v;
  }

  quoted(what: string): Token {
    const t = this.next();
    if (t.kind !== 'quoted') this.fail(`syntax error: expected ${what} in double quotes`, t);
    return t;
  }

  secCtx(): A.SecCtx {
    const doi = this.decimal('-ctx doi', 255);
    const alg = this.decimal('-ctx algorithm', 255);
    return { doi, alg, text: this.quoted('a security context').text };
  }

  extensions(proto: A.SaProto): A.SaExtensions {
    const ext: A.SaExtensions = { nocyclicSeq: false, hard: {}, soft: {}, esn: false };
    for (;;) {
      const f = this.peek();
      if (f.kind !== 'flag') return ext;
      switch (f.text) {
        case '-m': {
          this.next();
          const m = this.word('a mode (transport, tunnel or any)');
          if (m.text !== 'transport' && m.text !== 'tunnel' && m.text !== 'any') this.fail('invalid mode', m);
          ext.mode = m.text;
          break;
        }
        case '-r':
          this.next();
          if (proto.name === 'esp-old' || proto.name === 'ah-old')
            this.fail('replay prevention cannot be used with ah/esp-old', f);
          ext.replay = this.decimal('-r replay window', 0xffffffff);
          break;
        case '-u':
          this.next();
          ext.reqid = this.decimal('-u reqid', 0xffffffff);
          break;
        case '-f': {
          this.next();
          const w = this.word('zero-pad, random-pad, seq-pad or nocyclic-seq');
          if (w.text === 'nocyclic-seq') ext.nocyclicSeq = true;
          else if (w.text === 'zero-pad' || w.text === 'random-pad' || w.text === 'seq-pad') ext.pad = w.text;
          else this.fail('invalid -f extension', w);
          break;
        }
        case '-lh':
          this.next();
          ext.hard.addtimeSec = this.decimal('-lh lifetime');
          break;
        case '-ls':
          this.next();
          ext.soft.addtimeSec = this.decimal('-ls lifetime');
          break;
        case '-bh':
          this.next();
          ext.hard.bytes = this.decimal('-bh byte lifetime');
          break;
        case '-bs':
          this.next();
          ext.soft.bytes = this.decimal('-bs byte lifetime');
          break;
        case '-ctx':
          this.next();
          ext.ctx = this.secCtx();
          break;
        case '-natt': {
          this.next();
          const oai = this.host({ numericOnly: true }, true);
          const oar = this.host({ numericOnly: true }, true);
          if (oai.port === undefined || oar.port === undefined) this.fail('-natt needs oai[port] oar[port]', f);
          ext.natt = { oai, oar };
          break;
        }
        case '-natt_mtu':
          this.next();
          ext.nattFragLen = this.decimal('-natt_mtu', 0xffff);
          break;
        case '-esn':
          this.next();
          ext.esn = true;
          break;
        case '-hwif':
          this.next();
          ext.hwif = this.word('an interface name').text;
          break;
        default:
          return ext;
      }
    }
  }

  key(): A.KeySpec {
    const t = this.next();
    const pos = { line: t.line, col: t.col };
    if (t.kind === 'quoted') return { bytes: new Uint8Array(Buffer.from(t.text, 'utf8')), form: 'quoted', pos };
    if (t.kind !== 'word' || !HEX_RE.test(t.text)) this.fail('invalid key: want 0x<hex> or "text"', t, true);
    return { bytes: hexKeyBytes(t.text.slice(2)), form: 'hex', pos };
  }

  isKeyNext(): boolean {
    const t = this.peek();
    return t.kind === 'quoted' || (t.kind === 'word' && HEX_RE.test(t.text));
  }

  algorithm(kind: AlgKind): A.AlgSpec {
    const what =
      kind === 'enc'
        ? 'an encryption algorithm'
        : kind === 'auth'
          ? 'an authentication algorithm'
          : 'a compression algorithm';
    const t = this.word(what);
    const alg = lookupAlg(kind, t.text);
    if (!alg) {
      const guess = suggestAlg(kind, t.text);
      this.fail(
        `unknown ${kind === 'enc' ? 'encryption' : kind === 'auth' ? 'authentication' : 'compression'} algorithm` +
          `${guess ? ` (did you mean '${guess}'?)` : ''}; supported: ${supportedAlgNames(kind).join(', ')}`,
        t,
      );
    }
    const spec: A.AlgSpec = { name: t.text, pos: { line: t.line, col: t.col } };
    // ipsec-tools: null takes no key token; FreeBSD's `-E null ""` form is accepted too.
    if (kind !== 'comp' && (!alg.noKey || this.isKeyNext())) spec.key = this.key();
    return spec;
  }

  algorithms(): A.AlgorithmSpec {
    const a: A.AlgorithmSpec = { rawCpi: false };
    const f = this.next();
    if (f.text === '-E' && f.kind === 'flag') {
      a.enc = this.algorithm('enc');
      if (this.peek().kind === 'flag' && this.peek().text === '-A') {
        this.next();
        a.auth = this.algorithm('auth');
      }
    } else if (f.text === '-A' && f.kind === 'flag') {
      a.auth = this.algorithm('auth');
    } else if (f.text === '-C' && f.kind === 'flag') {
      a.comp = this.algorithm('comp');
      if (this.peek().kind === 'flag' && this.peek().text === '-R') {
        this.next();
        a.rawCpi = true;
      }
    } else {
      this.fail('syntax error: expected -E, -A or -C', f);
    }
    return a;
  }

  saCommand(first: Token, kind: A.SaStatement['kind']): A.SaStatement {
    const opts = this.addrOptions();
    const src = this.host(opts, true);
    const dst = this.host(opts, true);
    const proto = this.saProto(true);
    const spi = this.spi();
    const ext = this.extensions(proto);
    const alg = kind === 'add' || kind === 'update' ? this.algorithms() : undefined;
    if ((kind === 'get' || kind === 'delete') && ext.mode && ext.mode !== 'any')
      this.warn('WARNING: mode is obsolete', first);
    return { kind, opts, src, dst, proto, spi, ext, alg, ...this.end(first) };
  }

  deleteAll(first: Token): A.DeleteAllStatement {
    const opts = this.addrOptions();
    const src = this.host(opts, false);
    const dst = this.host(opts, false);
    const proto = this.saProto(false);
    return { kind: 'deleteall', opts, src, dst, proto, ...this.end(first) };
  }

  selector(o: A.AddrOptions): A.Selector {
    const t = this.word('an address');
    const { addr, family } = this.address(t, o);
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
    if (this.peek().kind === 'slash') {
      this.next();
      sel.prefixLen = this.decimal('prefix length', max);
      sel.prefixGiven = true;
    }
    if (this.peek().kind === 'lbracket') {
      sel.port = this.portInBrackets();
      sel.portGiven = true;
    }
    return sel;
  }

  upper(): A.UpperSpec {
    const t = this.word('an upper-layer protocol');
    let proto: number | undefined;
    if (t.text === 'any') proto = IPSEC_ULPROTO_ANY;
    else if (/^\d+$/.test(t.text)) proto = t.text.length <= 3 && Number(t.text) <= 255 ? Number(t.text) : undefined;
    else proto = protoByName(t.text);
    if (proto === undefined) this.fail('invalid upper layer protocol', t);
    const up: A.UpperSpec = { proto, text: t.text };
    if (this.peek().kind === 'word') up.misc = this.next().text;
    return up;
  }

  /** ipsec-tools fix_portstr: ICMP type/code and GRE keys travel in the selector ports. */
  applyUpperMisc(up: A.UpperSpec, src: A.Selector, dst: A.Selector, at: Token): void {
    if (up.misc === undefined) return;
    if (src.portGiven || dst.portGiven) this.fail('ports and an upper-layer spec cannot be combined', at);
    const r = upperMiscPorts(up.proto, up.misc);
    if (typeof r === 'string') this.fail(r, at);
    src.port = r.sport;
    dst.port = r.dport;
  }

  policy(): A.PolicySpec {
    const f = this.next();
    if (f.kind !== 'flag' || f.text !== '-P') this.fail('syntax error: expected -P policy', f);
    const t = this.next();
    if (t.kind !== 'policy') this.fail('missing policy after -P', t);
    this.policyRunOn(t);
    const r = parsePolicy(stripPolicyComments(t.text), { line: t.line, col: t.col });
    if (!r.ok)
      throw new Fail(diagnostic(`policy: ${r.error.message}`, this.file, r.error.line, r.error.col, r.error.near), t);
    return r.value;
  }

  /** A policy runs to the next ';': one that swallowed the next statement's command word lost its own ';'. */
  policyRunOn(t: Token): void {
    const lines = stripPolicyComments(t.text).split('\n');
    for (let k = 1; k < lines.length; k++) {
      if (!COMMAND_WORDS.has(/^\s*([a-z]+)/.exec(lines[k]!)?.[1] ?? '')) continue;
      let j = k - 1;
      while (j > 0 && lines[j]!.trim() === '') j--;
      const near = lines[j]!.trim().split(/\s+/).pop() ?? '';
      throw new Fail(diagnostic("missing ';' at the end of the statement", this.file, t.line + j, 1, near), t);
    }
  }

  spdCommand(first: Token, kind: 'spdadd' | 'spdupdate' | 'spddelete'): A.Statement {
    if (kind !== 'spddelete' && this.peek().kind === 'word' && this.peek().text === 'tagged') {
      this.next();
      const tag = this.quoted('a tag name').text;
      const policy = this.policy();
      return { kind: kind === 'spdadd' ? 'spdadd-tagged' : 'spdupdate-tagged', tag, policy, ...this.end(first) };
    }
    const opts = this.addrOptions();
    const src = this.selector(opts);
    const dst = this.selector(opts);
    const upTok = this.peek();
    const upper = this.upper();
    this.applyUpperMisc(upper, src, dst, upTok);
    let ctx: A.SecCtx | undefined;
    if (this.peek().kind === 'flag' && this.peek().text === '-ctx') {
      this.next();
      ctx = this.secCtx();
    }
    const policy = this.policy();
    return { kind, opts, src, dst, upper, ctx, policy, ...this.end(first) };
  }
}

/** Hex key digits to bytes; an odd count makes the first digit a byte of its own (ipsec-tools key_string). */
export function hexKeyBytes(hex: string): Uint8Array {
  const odd = hex.length % 2;
  const out = new Uint8Array((hex.length + odd) / 2);
  if (odd) out[0] = parseInt(hex[0]!, 16);
  for (let i = odd, o = odd; i < hex.length; i += 2, o++) out[o] = parseInt(hex.slice(i, i + 2), 16);
  return out;
}

/** Parses a whole script. Never throws on bad input: every problem is in `errors` with its line. */
export function parseSetkey(src: string, opts: ParseOptions = {}): ParseResult {
  const file = opts.file ?? '';
  const p = new Parser(tokenize(src, opts.firstLine), opts, file);
  const statements: A.Statement[] = [];
  const errors: SetkeyError[] = [];
  while (!p.atEnd()) {
    if (p.peek().kind === 'semi') {
      p.next();
      continue;
    } // an empty statement
    try {
      const st = p.statement();
      const problems = opts.check === false ? [] : checkStatement(st);
      for (const d of problems) (d.severity === 'warning' ? p.warnings : errors).push(d);
      if (!problems.some((d) => d.severity === 'error')) statements.push(st);
      if (st.kind === 'exit') break;
    } catch (e) {
      if (!(e instanceof Fail)) throw e;
      errors.push(e.err);
      p.resync(e.at, e.resumeAt);
    }
  }
  return { statements, errors, warnings: p.warnings };
}
