// racoon.conf parser: recursive descent over the ipsec-tools grammar (racoon.conf(5)), with an include file
// stack, every error reported as file:line and parsing resumed at the next `;` or `}`.
//
//   config    := statement*
//   statement := path TYPE "str" ; | include "glob" ; | log LEVEL ; | pfkey_buffer N ; | complex_bundle on|off ;
//              | listen { listen-stmt* } | timer { timer-stmt* } | padding { padding-stmt* }
//              | remote HEAD ( { remote-stmt* } | ; ) | sainfo IDS [from ID] [group G] { sainfo-stmt* }
//              | privsep { ... } | mode_cfg { ... } | ldapcfg { ... } | radiuscfg { ... } | gss_id_enc E ;  (later)
import { readdirSync, readFileSync } from 'node:fs';
import { basename, dirname, isAbsolute, join, resolve } from 'node:path';
import type { ConfigError } from '../../common/errors.js';
import { configError } from './diagnostic.js';
import {
  DEFAULT_PADDING, DEFAULT_TIMER, ISAKMP_NATT_PORT, ISAKMP_PORT, type LogLevel, type PathType, type RacoonConf,
} from './ast.js';
import { tokenize, type Token } from './lexer.js';
import { parseRemote } from './parse-remote.js';
import { parseSainfo } from './parse-sainfo.js';
import { describe, posOf, TokenReader, type Handler } from './reader.js';
import { address, optionalPort } from './values.js';

/** racoon refuses deeper include nesting than this (a loop guard besides the stack check). */
export const MAX_INCLUDE_DEPTH = 16;

/** The file system the parser reads through (injectable for tests). */
export interface ConfFs {
  readFile(path: string): string;
  readdir(dir: string): string[];
}

export const nodeFs: ConfFs = {
  readFile: (p) => readFileSync(p, 'utf8'),
  readdir: (d) => readdirSync(d),
};

export interface ParseResult {
  conf: RacoonConf;
  errors: ConfigError[];
}

const PATH_TYPES: readonly PathType[] = ['include', 'pre_shared_key', 'certificate', 'script', 'backupsa', 'pidfile'];
const LOG_LEVELS: readonly LogLevel[] = ['error', 'warning', 'notify', 'info', 'debug', 'debug2'];

export function emptyConf(): RacoonConf {
  return {
    files: [], paths: {}, listen: { isakmp: [], strictAddress: false }, timer: { ...DEFAULT_TIMER },
    padding: { ...DEFAULT_PADDING }, complexBundle: false, remotes: [], sainfos: [], later: [],
  };
}

/** Parses racoon.conf text; `file` names it in errors and anchors relative includes. */
export function parseRacoonConf(text: string, file: string, fs: ConfFs = nodeFs): ParseResult {
  const p = new ConfParser(fs);
  p.parseText(text, file);
  return { conf: p.conf, errors: p.errors };
}

/** Reads and parses a racoon.conf file. */
export function loadRacoonConf(path: string, fs: ConfFs = nodeFs): ParseResult {
  const p = new ConfParser(fs);
  p.parseFile(resolve(path), undefined);
  return { conf: p.conf, errors: p.errors };
}

function globToRegExp(glob: string): RegExp {
  const re = glob.replace(/[.+^${}()|[\]\\]/g, '\\$&').replace(/\*/g, '[^/]*').replace(/\?/g, '[^/]');
  return new RegExp(`^${re}$`);
}

/** One parse run: the config being built, the errors, and the include stack (racoon's `incstack`). */
class ConfParser {
  readonly conf = emptyConf();
  readonly errors: ConfigError[] = [];
  private readonly stack: string[] = [];

  constructor(private readonly fs: ConfFs) {}

  parseFile(path: string, from: Token | undefined): void {
    if (this.stack.includes(path)) { this.report(from, `include loop: ${path} is already being read`, path); return; }
    if (this.stack.length >= MAX_INCLUDE_DEPTH) { this.report(from, `includes nested deeper than ${MAX_INCLUDE_DEPTH}`, path); return; }
    let text: string;
    try {
      text = this.fs.readFile(path);
    } catch (e) {
      this.report(from, `cannot read ${path}: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`, path);
      return;
    }
    this.parseText(text, path);
  }

  parseText(text: string, file: string): void {
    this.conf.files.push(file);
    this.stack.push(file);
    const r: TokenReader = new TokenReader(tokenize(text, file, this.errors), this.errors);
    const handlers = this.topHandlers();
    while (r.peek().kind !== 'eof') {
      r.statement(() => {
        const kw = r.next();
        if (kw.kind !== 'word') r.fail(kw, `expected a directive, found ${describe(kw)}`);
        const h = Object.hasOwn(handlers, kw.text) ? handlers[kw.text] : undefined;
        if (!h) r.fail(kw, `unknown directive '${kw.text}'`);
        h(r, kw);
      });
    }
    this.stack.pop();
  }

  private report(at: Token | undefined, message: string, path: string): void {
    this.errors.push(at ? configError(message, at.file, at.line, at.col) : configError(message, path, 0));
  }

  /**
   * `include "file"`: absolute, else under `path include` (itself relative to the file that set it), else next
   * to the including file; a `*`/`?` glob in the last component includes every match in name order.
   */
  private include(r: TokenReader, kw: Token): void {
    const spec = r.str('include file');
    r.semi();
    const pi = this.conf.paths.include;
    const base = pi ? resolve(dirname(pi.pos.file), pi.value) : dirname(kw.file);
    const full = isAbsolute(spec) ? spec : resolve(base, spec);
    if (!/[*?]/.test(basename(full))) { this.parseFile(full, kw); return; }
    let names: string[];
    try {
      names = this.fs.readdir(dirname(full));
    } catch (e) {
      r.error(kw, `cannot read directory ${dirname(full)}: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`);
      return;
    }
    const re = globToRegExp(basename(full));
    const matches = names.filter((n) => re.test(n)).sort();
    if (matches.length === 0) r.error(kw, `include: no file matches ${full}`);
    for (const m of matches) this.parseFile(join(dirname(full), m), kw);
  }

  private laterBlock(what: string): Handler {
    return (r, kw) => {
      this.conf.later.push({ what, pos: posOf(kw) });
      r.expectKind('{', `'{' after ${kw.text}`);
      for (;;) {
        const t = r.peek();
        if (t.kind === '}') { r.next(); return; }
        if (t.kind === 'eof') { r.error(t, `missing '}' for ${kw.text} opened at line ${kw.line}`); return; }
        r.statement(() => {
          // Peek before consuming, so a `}` that ends the section is left for the loop above.
          for (let n = r.peek(); n.kind !== ';'; n = r.peek()) {
            if (n.kind === '{' || n.kind === '}' || n.kind === 'eof') r.fail(n, `expected ';' in ${kw.text}, found ${describe(n)}`);
            r.next();
          }
          r.next();
        });
      }
    };
  }

  private topHandlers(): Record<string, Handler> {
    const c = this.conf;
    return {
      path: (r, kw) => {
        const t = r.choice(PATH_TYPES, 'path type');
        c.paths[t] = { value: r.str(`path ${t}`), pos: posOf(kw) };
        r.semi();
      },
      include: (r, kw) => this.include(r, kw),
      log: (r, kw) => { c.log = { level: r.choice(LOG_LEVELS, 'log level'), pos: posOf(kw) }; r.semi(); },
      pfkey_buffer: (r) => { c.pfkeyBufferKB = r.num('pfkey_buffer', 1, 1 << 20); r.semi(); },
      complex_bundle: (r, kw) => {
        c.complexBundle = r.onOff('complex_bundle');
        if (c.complexBundle) c.later.push({ what: 'complex_bundle on', pos: posOf(kw) });
        r.semi();
      },
      gss_id_enc: (r, kw) => { r.choice(['latin1', 'utf-16le'], 'gss_id_enc'); r.semi(); c.later.push({ what: 'gss_id_enc (GSS-API)', pos: posOf(kw) }); },
      listen: (r, kw) => r.block('listen', kw, {
        isakmp: (rr, k) => { c.listen.isakmp.push({ addr: address(rr, 'listen address'), port: optionalPort(rr, ISAKMP_PORT), natt: false, pos: posOf(k) }); rr.semi(); },
        isakmp_natt: (rr, k) => { c.listen.isakmp.push({ addr: address(rr, 'listen address'), port: optionalPort(rr, ISAKMP_NATT_PORT), natt: true, pos: posOf(k) }); rr.semi(); },
        strict_address: (rr) => { c.listen.strictAddress = true; rr.semi(); },
        adminsock: (rr, k) => {
          if (rr.accept('disabled')) c.listen.adminsock = { disabled: true, pos: posOf(k) };
          else {
            const s: NonNullable<RacoonConf['listen']['adminsock']> = { disabled: false, path: rr.str('adminsock path'), pos: posOf(k) };
            const o = rr.acceptKind('string');
            if (o) {
              s.owner = o.text;
              s.group = rr.str('adminsock group');
              const m = rr.word('adminsock mode');
              if (!/^[0-7]{1,4}$/.test(m.text)) rr.fail(m, `bad adminsock mode '${m.text}' (octal)`);
              s.mode = parseInt(m.text, 8);
            }
            c.listen.adminsock = s;
          }
          rr.semi();
        },
      }),
      timer: (r, kw) => r.block('timer', kw, {
        counter: (rr) => { c.timer.counter = rr.num('counter', 1); rr.semi(); },
        interval: (rr) => { c.timer.intervalSec = rr.timeSec('interval', 1); rr.semi(); },
        persend: (rr) => { c.timer.persend = rr.num('persend', 1); rr.semi(); },
        phase1: (rr) => { c.timer.phase1Sec = rr.timeSec('phase1'); rr.semi(); },
        phase2: (rr) => { c.timer.phase2Sec = rr.timeSec('phase2'); rr.semi(); },
        natt_keepalive: (rr) => { c.timer.nattKeepaliveSec = rr.timeSec('natt_keepalive'); rr.semi(); },
      }),
      padding: (r, kw) => r.block('padding', kw, {
        randomize: (rr) => { c.padding.randomize = rr.onOff('randomize'); rr.semi(); },
        randomize_length: (rr) => { c.padding.randomizeLength = rr.onOff('randomize_length'); rr.semi(); },
        maximum_length: (rr) => { c.padding.maximumLength = rr.num('maximum_length'); rr.semi(); },
        exclusive_tail: (rr) => { c.padding.exclusiveTail = rr.onOff('exclusive_tail'); rr.semi(); },
        strict_check: (rr) => { c.padding.strictCheck = rr.onOff('strict_check'); rr.semi(); },
      }),
      remote: (r, kw) => parseRemote(r, kw, c),
      sainfo: (r, kw) => parseSainfo(r, kw, c),
      privsep: this.laterBlock('privsep (privilege separation)'),
      mode_cfg: this.laterBlock('mode_cfg (ISAKMP mode config)'),
      ldapcfg: this.laterBlock('ldapcfg (XAuth LDAP)'),
      radiuscfg: this.laterBlock('radiuscfg (XAuth RADIUS)'),
    };
  }
}
