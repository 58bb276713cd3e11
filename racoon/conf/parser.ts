// racoon.conf parser: recursive descent over the ipsec-tools grammar (racoon.conf(5)), with an include file
// stack, every error reported as file:line and parsing resumed at the next `;` or `}`.
//
//   config    := statement*
//   statement := path TYPE "str" ; | include "glob" ; | log LEVEL ; | pfkey_buffer N ; | complex_bundle on|off ;
//              | listen { listen-stmt* } | timer { timer-stmt* } | padding { padding-stmt* }
//              | remote HEAD ( { remote-stmt* } | ; ) | sainfo IDS [from ID] [group G] { sainfo-stmt* }
//              | privsep { ... } | mode_cfg { ... } | ldapcfg { ... } | radiuscfg { ... } | gss_id_enc E ;
// Every directive is also recorded in `conf.uses` for the support table (support.ts), which validation reads.
import { readdirSync } from 'node:fs';
import { FileReadError, readConfigText } from '../../common/bounded-file.js';
import { basename, dirname, isAbsolute, join, resolve } from 'node:path';
import type { ConfigError } from '../../common/errors.js';
import { configError } from './diagnostic.js';
import {
  DEFAULT_PADDING,
  DEFAULT_TIMER,
  ISAKMP_NATT_PORT,
  ISAKMP_PORT,
  type AdminSock,
  type ListenConf,
  type LogLevel,
  type PaddingConf,
  type PathType,
  type RacoonConf,
  type TimerConf,
} from './ast.js';
import { tokenize, type Token } from './lexer.js';
import { parseRemote } from './parse-remote.js';
import { parseSainfo } from './parse-sainfo.js';
import { xauthSectionHandlers } from './parse-xauth.js';
import { describe, posOf, TokenReader, unknownDirective, type Handler } from './reader.js';
import { address, optionalPort } from './values.js';

/** racoon refuses deeper include nesting than this (a loop guard besides the stack check). */
export const MAX_INCLUDE_DEPTH = 16;

/** The file system the parser reads through (injectable for tests). */
export interface ConfFs {
  readFile(path: string): string;
  readdir(dir: string): string[];
}

export const nodeFs: ConfFs = {
  readFile: readConfigText, // a regular file of at most 4 MiB: `include "/dev/zero"` is refused
  readdir: (d) => readdirSync(d),
};

export interface ParseResult {
  conf: RacoonConf;
  errors: ConfigError[];
}

const PATH_TYPES: readonly PathType[] = ['include', 'pre_shared_key', 'certificate', 'script', 'backupsa', 'pidfile'];
const LOG_LEVELS: readonly LogLevel[] = ['error', 'warning', 'notify', 'info', 'debug', 'debug2'];

const LISTEN_HANDLERS: Readonly<Record<string, Handler<ListenConf>>> = {
  isakmp: (r, kw, l) => {
    l.isakmp.push({
      addr: address(r, 'listen address'),
      port: optionalPort(r, ISAKMP_PORT),
      natt: false,
      pos: posOf(kw),
    });
    r.semi();
  },
  isakmp_natt: (r, kw, l) => {
    l.isakmp.push({
      addr: address(r, 'listen address'),
      port: optionalPort(r, ISAKMP_NATT_PORT),
      natt: true,
      pos: posOf(kw),
    });
    r.semi();
  },
  strict_address: (r, _kw, l) => {
    l.strictAddress = true;
    r.semi();
  },
  adminsock: (r, kw, l) => {
    if (r.accept('disabled')) l.adminsock = { disabled: true, pos: posOf(kw) };
    else {
      const s: AdminSock = { disabled: false, path: r.str('adminsock path'), pos: posOf(kw) };
      const o = r.acceptKind('string');
      if (o) {
        s.owner = o.text;
        s.group = r.str('adminsock group');
        const m = r.word('adminsock mode');
        if (!/^[0-7]{1,4}$/.test(m.text)) r.fail(m, `bad adminsock mode '${m.text}' (octal)`);
        s.mode = parseInt(m.text, 8);
      }
      l.adminsock = s;
    }
    r.semi();
  },
};

const TIMER_HANDLERS: Readonly<Record<string, Handler<TimerConf>>> = {
  counter: (r, _kw, t) => {
    t.counter = r.num('counter', 1);
    r.semi();
  },
  interval: (r, _kw, t) => {
    t.intervalSec = r.timeSec('interval', 1);
    r.semi();
  },
  persend: (r, kw, t) => {
    t.persend = r.num('persend', 1);
    if (t.persend !== 1) r.use('timer.persend', kw);
    r.semi();
  },
  phase1: (r, _kw, t) => {
    t.phase1Sec = r.timeSec('phase1');
    r.semi();
  },
  phase2: (r, kw, t) => {
    t.phase2Sec = r.timeSec('phase2');
    r.use('timer.phase2', kw);
    r.semi();
  },
  natt_keepalive: (r, _kw, t) => {
    t.nattKeepaliveSec = r.timeSec('natt_keepalive');
    r.semi();
  },
};

const PADDING_HANDLERS: Readonly<Record<string, Handler<PaddingConf>>> = {
  randomize: (r, kw, p) => {
    p.randomize = r.onOff('randomize');
    if (p.randomize !== DEFAULT_PADDING.randomize) r.use('padding.randomize', kw);
    r.semi();
  },
  randomize_length: (r, kw, p) => {
    p.randomizeLength = r.onOff('randomize_length');
    if (p.randomizeLength !== DEFAULT_PADDING.randomizeLength) r.use('padding.randomize_length', kw);
    r.semi();
  },
  maximum_length: (r, kw, p) => {
    p.maximumLength = r.num('maximum_length');
    if (p.maximumLength !== DEFAULT_PADDING.maximumLength) r.use('padding.maximum_length', kw);
    r.semi();
  },
  exclusive_tail: (r, kw, p) => {
    p.exclusiveTail = r.onOff('exclusive_tail');
    if (p.exclusiveTail !== DEFAULT_PADDING.exclusiveTail) r.use('padding.exclusive_tail', kw);
    r.semi();
  },
  strict_check: (r, kw, p) => {
    p.strictCheck = r.onOff('strict_check');
    if (p.strictCheck !== DEFAULT_PADDING.strictCheck) r.use('padding.strict_check', kw);
    r.semi();
  },
};

export function emptyConf(): RacoonConf {
  return {
    files: [],
    paths: {},
    listen: { isakmp: [], strictAddress: false },
    timer: { ...DEFAULT_TIMER },
    padding: { ...DEFAULT_PADDING },
    complexBundle: false,
    remotes: [],
    sainfos: [],
    uses: [],
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
  const re = glob
    .replace(/[.+^${}()|[\]\\]/g, '\\$&')
    .replace(/\*/g, '[^/]*')
    .replace(/\?/g, '[^/]');
  return new RegExp(`^${re}$`);
}

/** One parse run: the config being built, the errors, and the include stack (racoon's `incstack`). */
class ConfParser {
  readonly conf = emptyConf();
  readonly errors: ConfigError[] = [];
  private readonly stack: string[] = [];

  constructor(private readonly fs: ConfFs) {}

  parseFile(path: string, from: Token | undefined): void {
    if (this.stack.includes(path)) {
      this.report(from, `include loop: ${path} is already being read`, path);
      return;
    }
    if (this.stack.length >= MAX_INCLUDE_DEPTH) {
      this.report(from, `includes nested deeper than ${MAX_INCLUDE_DEPTH}`, path);
      return;
    }
    let text: string;
    try {
      text = this.fs.readFile(path);
    } catch (e) {
      const why = e instanceof FileReadError ? e.reason : ((e as NodeJS.ErrnoException).code ?? (e as Error).message);
      this.report(from, `cannot read ${path}: ${why}`, path);
      return;
    }
    this.parseText(text, path);
  }

  parseText(text: string, file: string): void {
    this.conf.files.push(file);
    this.stack.push(file);
    const r: TokenReader = new TokenReader(tokenize(text, file, this.errors), this.errors, this.conf.uses);
    const handlers = this.topHandlers();
    while (r.peek().kind !== 'eof') {
      r.statement(() => {
        const kw = r.next();
        if (kw.kind !== 'word') r.fail(kw, `expected a directive, found ${describe(kw)}`);
        const h = Object.hasOwn(handlers, kw.text) ? handlers[kw.text] : undefined;
        if (!h) r.fail(kw, unknownDirective(kw.text));
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
    if (!/[*?]/.test(basename(full))) {
      this.parseFile(full, kw);
      return;
    }
    let names: string[];
    try {
      names = this.fs.readdir(dirname(full));
    } catch (e) {
      r.error(
        kw,
        `cannot read directory ${dirname(full)}: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`,
      );
      return;
    }
    const re = globToRegExp(basename(full));
    const matches = names.filter((n) => re.test(n)).sort();
    if (matches.length === 0) r.error(kw, `include: no file matches ${full}`);
    for (const m of matches) this.parseFile(join(dirname(full), m), kw);
  }

  private topHandlers(): Record<string, Handler> {
    const c = this.conf;
    return {
      path: (r, kw) => {
        const t = r.choice(PATH_TYPES, 'path type');
        c.paths[t] = { value: r.str(`path ${t}`), pos: posOf(kw) };
        r.use(`path ${t}`, kw);
        r.semi();
      },
      include: (r, kw) => this.include(r, kw),
      log: (r, kw) => {
        c.log = { level: r.choice(LOG_LEVELS, 'log level'), pos: posOf(kw) };
        r.semi();
      },
      pfkey_buffer: (r, kw) => {
        c.pfkeyBufferKB = r.num('pfkey_buffer', 1, 1 << 20);
        r.use('pfkey_buffer', kw);
        r.semi();
      },
      complex_bundle: (r, kw) => {
        c.complexBundle = r.onOff('complex_bundle');
        if (c.complexBundle) r.use('complex_bundle on', kw);
        r.semi();
      },
      gss_id_enc: (r, kw) => {
        c.gssIdEnc = r.choice(['latin1', 'utf-16le'] as const, 'gss_id_enc');
        r.use('gss_id_enc', kw);
        r.semi();
      },
      listen: (r, kw) => r.block('listen', kw, LISTEN_HANDLERS, c.listen),
      timer: (r, kw) => r.block('timer', kw, TIMER_HANDLERS, c.timer),
      padding: (r, kw) => r.block('padding', kw, PADDING_HANDLERS, c.padding),
      remote: (r, kw) => parseRemote(r, kw, c),
      sainfo: (r, kw) => parseSainfo(r, kw, c),
      ...xauthSectionHandlers(c),
    };
  }
}
