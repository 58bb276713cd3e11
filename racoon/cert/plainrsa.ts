// Plain RSA key files as plainrsa-gen(8) writes them and racoon reads them (prsa_tok.l, prsa_par.y,
// rsalist.c): `[SRC [DST]] : RSA { Modulus: 0x.. PublicExponent: 0x.. ... }` for private keys and
// `[SRC [DST]] : PUB 0s<base64>` (RFC 3110 layout) for public keys; `#` comments. A single address is the
// peer's (DST); `any` or no address matches every peer.
import { createPrivateKey, createPublicKey, type KeyObject } from 'node:crypto';
import { statSync } from 'node:fs';
import { FileReadError, readConfigText } from '../../common/bounded-file.js';
import { ConfigError } from '../../common/errors.js';
import { addrFamily, maskAddr, parseAddr, prefixContains, type Prefix } from '../../common/inet.js';
import { checkPskMode, type PskStat } from '../psk.js';
import { CertLoadError } from './errors.js';

export interface PlainRsaKey {
  /** Our address range (undefined = any). */
  src?: Prefix;
  /** The peer's address range (undefined = any). */
  dst?: Prefix;
  key: KeyObject;
  isPrivate: boolean;
  line: number;
}

type Tok = { t: string; v: string; line: number };

const KEYWORDS = [
  'Modulus',
  'PublicExponent',
  'PrivateExponent',
  'Prime1',
  'Prime2',
  'Exponent1',
  'Exponent2',
  'Coefficient',
];
const RULES: Array<[string, RegExp]> = [
  ['{', /\{/y],
  ['}', /\}/y],
  [':', /:/y],
  ['WORD', /(?:RSA|PSK|PUB|any|Modulus|PublicExponent|PrivateExponent|Prime1|Prime2|Exponent1|Exponent2|Coefficient)/y],
  ['HEX', /0x[0-9a-fA-F]+/y],
  ['BASE64', /0s[A-Za-z0-9+/=]+/y],
  ['/', /\//y],
  ['NUMBER', /[0-9]+/y],
  ['ADDR4', /\d{1,3}\.\d{1,3}\.\d{1,3}\.\d{1,3}/y],
  [
    'ADDR6',
    /(?:::(?:[0-9a-fA-F]{1,4}|\d+\.\d+\.\d+\.\d+)?|(?:[0-9a-fA-F]{0,4}:)+:?(?:[0-9a-fA-F]{1,4}|\d+\.\d+\.\d+\.\d+)?)/y,
  ],
];

/** prsa_tok.l: the longest match wins, the earlier rule on a tie (so a lone ':' is a colon). */
function tokenize(text: string, file: string): Tok[] {
  const out: Tok[] = [];
  let line = 1;
  for (let i = 0; i < text.length;) {
    const c = text[i]!;
    if (c === '\n') line++;
    if (c === ' ' || c === '\t' || c === '\r' || c === '\n') {
      i++;
      continue;
    }
    if (c === '#') {
      while (i < text.length && text[i] !== '\n') i++;
      continue;
    }
    let best: Tok | undefined;
    for (const [t, re] of RULES) {
      re.lastIndex = i;
      const m = re.exec(text);
      if (m && m[0].length > (best?.v.length ?? 0)) best = { t: t === 'WORD' ? m[0] : t, v: m[0], line };
    }
    if (!best) throw new ConfigError(`unexpected character '${c}'`, file, line);
    out.push(best);
    i += best.v.length;
  }
  return out;
}

const b64url = (b: Buffer): string => b.toString('base64url');

function bn(v: string): Buffer {
  const h = v.slice(2);
  return Buffer.from(h.length % 2 ? '0' + h : h, 'hex');
}

/** RFC 3110 §2: exponent length (one octet, or 0 then two octets), exponent, modulus. */
export function rsaPublicFromRfc3110(bin: Buffer): KeyObject | string {
  if (bin.length < 3) return 'public key too short';
  let elen = bin[0]!;
  let off = 1;
  if (elen === 0) {
    elen = bin.readUInt16BE(1);
    off = 3;
  }
  if (elen === 0 || off + elen >= bin.length) return "decoded public key doesn't make sense";
  const e = bin.subarray(off, off + elen);
  const n = bin.subarray(off + elen);
  try {
    return createPublicKey({ key: { kty: 'RSA', n: b64url(n), e: b64url(e) }, format: 'jwk' });
  } catch {
    return 'not a usable RSA public key';
  }
}

class Parser {
  private i = 0;
  constructor(
    private readonly toks: Tok[],
    private readonly file: string,
    private readonly wantPrivate: boolean,
  ) {}

  private err(msg: string, tok?: Tok): ConfigError {
    return new ConfigError(msg, this.file, (tok ?? this.toks[this.i] ?? this.toks[this.i - 1])?.line ?? 0);
  }

  private next(): Tok | undefined {
    return this.toks[this.i++];
  }

  private peek(): Tok | undefined {
    return this.toks[this.i];
  }

  private addr(): Prefix | undefined | 'none' {
    const t = this.peek();
    if (!t || (t.t !== 'ADDR4' && t.t !== 'ADDR6' && t.t !== 'any')) return 'none';
    this.i++;
    if (t.t === 'any') return undefined;
    const a = parseAddr(t.v);
    if (!a || (t.t === 'ADDR4') !== (a.length === 4)) throw this.err(`bad address '${t.v}'`, t);
    let len = a.length * 8;
    if (this.peek()?.t === '/') {
      this.i++;
      const n = this.next();
      if (n?.t !== 'NUMBER' || Number(n.v) > a.length * 8)
        throw this.err(`invalid ${t.t === 'ADDR4' ? 'IPv4' : 'IPv6'} prefix`, t);
      len = Number(n.v);
    }
    return { family: addrFamily(a), addr: maskAddr(a, len), len };
  }

  private rsaBlock(open: Tok): KeyObject {
    const p: Record<string, Buffer> = {};
    for (;;) {
      const t = this.next();
      if (!t) throw this.err('unterminated RSA { block', open);
      if (t.t === '}') break;
      if (!KEYWORDS.includes(t.t) || this.next()?.t !== ':') throw this.err(`unexpected '${t.v}' in RSA { block`, t);
      const v = this.next();
      if (v?.t !== 'HEX') throw this.err(`${t.t} needs a 0x... value`, t);
      if (p[t.t]) throw this.err(`${t.t} already defined`, t);
      p[t.t] = bn(v.v);
    }
    const need = this.wantPrivate ? ['Modulus', 'PublicExponent', 'PrivateExponent'] : ['Modulus', 'PublicExponent'];
    if (need.some((k) => !p[k])) throw this.err('Incomplete key. Mandatory parameters are missing!', open);
    const pub = { kty: 'RSA', n: b64url(p.Modulus!), e: b64url(p.PublicExponent!) };
    try {
      if (!this.wantPrivate) return createPublicKey({ key: pub, format: 'jwk' });
      const crt = ['Prime1', 'Prime2', 'Exponent1', 'Exponent2', 'Coefficient'];
      if (crt.some((k) => !p[k])) throw this.err('private key without Prime1..Coefficient is not supported', open);
      const [pp, q, dp, dq, qi] = crt.map((k) => b64url(p[k]!));
      return createPrivateKey({ key: { ...pub, d: b64url(p.PrivateExponent!), p: pp, q, dp, dq, qi }, format: 'jwk' });
    } catch (e) {
      if (e instanceof ConfigError) throw e;
      throw this.err('the RSA parameters do not form a valid key', open);
    } finally {
      for (const b of Object.values(p)) b.fill(0);
    }
  }

  private rsaStatement(): KeyObject {
    const t = this.next();
    if (t?.t === 'RSA') {
      const open = this.next();
      if (open?.t !== '{') throw this.err("expected '{' after RSA", t);
      return this.rsaBlock(open);
    }
    if (t?.t === 'PUB') {
      if (this.wantPrivate) throw this.err('Public key in private-key file!', t);
      const v = this.next();
      if (v?.t !== 'BASE64' && v?.t !== 'HEX') throw this.err('PUB needs a 0s... or 0x... value', t);
      const bin = v.t === 'BASE64' ? Buffer.from(v.v.slice(2), 'base64') : bn(v.v);
      const k = rsaPublicFromRfc3110(bin);
      if (typeof k === 'string') throw this.err(`Plain RSA pubkey format error: ${k}`, v);
      return k;
    }
    throw this.err(
      t?.t === 'PSK' ? 'PSK entries are not supported here' : `expected RSA or PUB, got '${t?.v ?? 'end of file'}'`,
      t,
    );
  }

  statements(): PlainRsaKey[] {
    const out: PlainRsaKey[] = [];
    while (this.peek()) {
      const start = this.peek()!;
      const a1 = this.addr();
      const a2 = a1 === 'none' ? 'none' : this.addr();
      if (this.next()?.t !== ':') throw this.err("expected ':' before the key", start);
      // prsa_par.y: `addr addr :` is SRC DST, `addr :` is DST alone.
      const src = a2 !== 'none' && a1 !== 'none' ? a1 : undefined;
      const dst = a2 !== 'none' ? a2 : a1 !== 'none' ? a1 : undefined;
      const key = this.rsaStatement();
      out.push({
        ...(src ? { src } : {}),
        ...(dst ? { dst } : {}),
        key,
        isPrivate: this.wantPrivate,
        line: start.line,
      });
    }
    return out;
  }
}

/** Parses a plainrsa key file's text: private keys (`certificate_type plain_rsa`) or public ones (`peers_certfile plain_rsa`). */
export function parsePlainRsa(text: string, file: string, isPrivate: boolean): PlainRsaKey[] {
  return new Parser(tokenize(text, file), file, isPrivate).statements();
}

/** Loads a plainrsa file; a private key file open to group or others is refused (prsa_parse_file). */
export function loadPlainRsaFile(
  path: string,
  isPrivate: boolean,
  fs: { stat(p: string): PskStat; read(p: string): string } = { stat: statSync, read: readConfigText },
): PlainRsaKey[] {
  // A missing or unreadable file reads as the certificate files do: `FILE: cannot read: ENOENT`.
  const io = <T>(fn: () => T): T => {
    try {
      return fn();
    } catch (e) {
      const why = e instanceof FileReadError ? e.reason : ((e as NodeJS.ErrnoException).code ?? (e as Error).message);
      throw new CertLoadError(`cannot read: ${why}`, path);
    }
  };
  if (isPrivate) {
    const bad = checkPskMode(
      io(() => fs.stat(path)),
      path,
      process.getuid?.(),
    );
    if (bad) throw bad;
  }
  return parsePlainRsa(
    io(() => fs.read(path)),
    path,
    isPrivate,
  );
}

/** naddr_score: -1 = no match, else the prefix length that matched (`any` scores 0). */
export function addrScore(p: Prefix | undefined, addr: Uint8Array): number {
  if (!p) return 0;
  if (p.addr.length !== addr.length) return -1;
  return prefixContains(p, addr) ? p.len : -1;
}

/**
 * rsa_lookup_keys: the keys whose SRC covers our address and DST the peer's, most specific first (file
 * order between equals). racoon signs with the first and tries each for a peer's signature.
 */
export function lookupPlainRsa(keys: readonly PlainRsaKey[], local: Uint8Array, remote: Uint8Array): PlainRsaKey[] {
  return keys
    .map((k, i) => ({ k, i, s: addrScore(k.src, local), d: addrScore(k.dst, remote) }))
    .filter((x) => x.s >= 0 && x.d >= 0)
    .sort((a, b) => b.s + b.d - (a.s + a.d) || a.i - b.i)
    .map((x) => x.k);
}
