// The `-P` policy string (libipsec ipsec_set_policy, policy_parse.y), parsed by recursive descent:
//   policy   := dir [ (priority|prio) prio ] action rule*  |  dir
//   prio     := [-]N | (low|def|high) [ (+|-) N ]
//   action   := discard | none | ipsec | entrust | bypass
//   rule     := proto/mode[/[addrs][/[level]]]        proto := esp|ah|ipcomp, mode := transport|tunnel
//   addrs    := A[[port]]-B[[port]] | me-any | any-me  level := default|use|require|unique[:N]
// Priorities are sadb_x_policy_priority values (Linux ≥ 2.6.6); smaller means earlier.
import { parseAddr, addrFamily } from '../common/inet.js';
import type { Direction, Level, PolicyAction, PolicyRequest, PolicySpec, Pos } from './ast.js';
import {
  PRIORITY_HIGH,
  PRIORITY_DEFAULT,
  PRIORITY_LOW,
  PRIORITY_OFFSET_NEGATIVE_MAX,
  PRIORITY_OFFSET_POSITIVE_MAX,
} from '../pfkey/constants.js';

interface PTok {
  kind: 'word' | 'slash' | 'hyphen' | 'plus' | 'port' | 'bad' | 'end';
  text: string;
  line: number;
  col: number;
}

export interface PolicyError {
  message: string;
  near: string;
  line: number;
  col: number;
}

export type PolicyResult = { ok: true; value: PolicySpec } | { ok: false; error: PolicyError };

const DIRS: Record<string, Direction> = { in: 'in', out: 'out', fwd: 'fwd' };
const ACTIONS = new Set<PolicyAction>(['discard', 'none', 'ipsec', 'entrust', 'bypass']);
const BASES: Record<string, number> = { low: PRIORITY_LOW, def: PRIORITY_DEFAULT, high: PRIORITY_HIGH };
const LEVELS = new Set<Level>(['default', 'use', 'require', 'unique']);

function lex(text: string, start: Pos): PTok[] {
  const out: PTok[] = [];
  let line = start.line,
    col = start.col,
    i = 0;
  const re = /[A-Za-z0-9:._%]+|\[[0-9]+\]|./gsy;
  while (i < text.length) {
    re.lastIndex = i;
    const m = re.exec(text)!;
    const t = m[0];
    if (t === '\n') {
      line++;
      col = 1;
      i++;
      continue;
    }
    if (t === ' ' || t === '\t' || t === '\r') {
      col++;
      i++;
      continue;
    }
    const kind: PTok['kind'] =
      t === '/'
        ? 'slash'
        : t === '-'
          ? 'hyphen'
          : t === '+'
            ? 'plus'
            : t.startsWith('[') && t.length > 2
              ? 'port'
              : /^[A-Za-z0-9:._%]+$/.test(t)
                ? 'word'
                : 'bad';
    out.push({ kind, text: t, line, col });
    col += t.length;
    i += t.length;
  }
  out.push({ kind: 'end', text: '', line, col });
  return out;
}

/** Thrown inside the policy parser only (not an Error: no stack to capture). */
class Fail {
  constructor(readonly perr: PolicyError) {}
}

class PolicyParser {
  private i = 0;
  constructor(private readonly toks: PTok[]) {}

  peek(): PTok {
    return this.toks[this.i]!;
  }
  next(): PTok {
    const t = this.toks[this.i]!;
    if (t.kind !== 'end') this.i++;
    return t;
  }
  fail(message: string, t: PTok = this.peek()): never {
    throw new Fail({ message, near: t.kind === 'end' ? 'end of policy' : t.text, line: t.line, col: t.col });
  }

  policy(text: string, pos: Pos): PolicySpec {
    const d = this.next();
    const dir = d.kind === 'word' ? DIRS[d.text] : undefined;
    if (!dir) this.fail('invalid policy direction (want in, out or fwd)', d);
    if (this.peek().kind === 'end') return { dir, requests: [], text, pos };
    let priority: number | undefined;
    if (this.peek().text === 'priority' || this.peek().text === 'prio') {
      this.next();
      priority = this.priority();
    }
    const a = this.next();
    if (a.kind !== 'word' || !ACTIONS.has(a.text as PolicyAction))
      this.fail('invalid policy action (want discard, none, ipsec, entrust or bypass)', a);
    const action = a.text as PolicyAction;
    const requests: PolicyRequest[] = [];
    while (this.peek().kind !== 'end') requests.push(this.rule(dir));
    return { dir, priority, action, requests, text, pos };
  }

  private number(max: number, what: string): number {
    const t = this.next();
    if (t.kind !== 'word' || !/^\d+$/.test(t.text)) this.fail(`${what}: a decimal number is required`, t);
    const n = Number(t.text);
    if (n > max) this.fail(`${what} out of range (at most ${max})`, t);
    return n;
  }

  private priority(): number {
    const t = this.peek();
    if (t.kind === 'hyphen') {
      // prio -N: lower priority, larger value
      this.next();
      return (PRIORITY_DEFAULT + this.number(0x7fffffff, 'priority offset')) >>> 0;
    }
    if (t.kind === 'word' && BASES[t.text] !== undefined) {
      this.next();
      const base = BASES[t.text]!;
      const op = this.peek();
      if (op.kind === 'plus') {
        this.next();
        return (base - this.number(PRIORITY_OFFSET_NEGATIVE_MAX, 'priority offset')) >>> 0;
      }
      if (op.kind === 'hyphen') {
        this.next();
        return (base + this.number(PRIORITY_OFFSET_POSITIVE_MAX, 'priority offset')) >>> 0;
      }
      return base;
    }
    return (PRIORITY_DEFAULT - this.number(0x80000000, 'priority offset')) >>> 0;
  }

  private rule(dir: Direction): PolicyRequest {
    const p = this.next();
    if (p.kind !== 'word' || !['esp', 'ah', 'ipcomp'].includes(p.text))
      this.fail('invalid IPsec protocol (want esp, ah or ipcomp)', p);
    if (this.next().kind !== 'slash') this.fail('too few arguments in IPsec request', this.toks[this.i - 1]);
    const m = this.next();
    if (m.kind !== 'word' || (m.text !== 'transport' && m.text !== 'tunnel'))
      this.fail('invalid IPsec mode (want transport or tunnel)', m);
    const req: PolicyRequest = {
      proto: p.text as PolicyRequest['proto'],
      mode: m.text as PolicyRequest['mode'],
      level: 'default',
      reqid: 0,
    };
    if (this.peek().kind !== 'slash') return this.checked(req, p);
    this.next();
    if (this.peek().kind === 'slash') {
      this.next();
      this.level(req);
      return this.checked(req, p);
    }
    if (!this.startsAddresses()) return this.checked(req, p);
    this.addresses(req, dir);
    if (this.peek().kind === 'slash') {
      this.next();
      if (this.peek().kind === 'word' && this.isLevel(this.peek().text)) this.level(req);
    }
    return this.checked(req, p);
  }

  private startsAddresses(): boolean {
    const t = this.peek();
    return t.kind === 'word' && !this.isLevel(t.text) && !['esp', 'ah', 'ipcomp'].includes(t.text);
  }

  private isLevel(w: string): boolean {
    return LEVELS.has(w as Level) || /^unique:\d+$/.test(w);
  }

  private level(req: PolicyRequest): void {
    const t = this.next();
    const m = /^unique:(\d+)$/.exec(t.text);
    if (t.kind === 'word' && m) {
      const id = Number(m[1]);
      if (id > 0xffffffff) this.fail('reqid out of range', t);
      req.level = 'unique';
      req.reqid = id;
      return;
    }
    if (t.kind !== 'word' || !LEVELS.has(t.text as Level))
      this.fail('invalid IPsec level (want default, use, require or unique[:id])', t);
    req.level = t.text as Level;
  }

  private addresses(req: PolicyRequest, dir: Direction): void {
    const a = this.next();
    if (a.text === 'me' || a.text === 'any') {
      if (this.next().kind !== 'hyphen') this.fail('invalid address specification', this.toks[this.i - 1]);
      const b = this.next();
      if (a.text === 'me' && b.text === 'any') {
        if (dir !== 'out') this.fail("'me-any' is only valid for out policies", a);
        return;
      }
      if (a.text === 'any' && b.text === 'me') {
        if (dir !== 'in') this.fail("'any-me' is only valid for in policies", a);
        return;
      }
      this.fail('invalid address specification', b);
    }
    req.src = this.endpoint(a);
    if (this.next().kind !== 'hyphen') this.fail('invalid address specification (want src-dst)', this.toks[this.i - 1]);
    req.dst = this.endpoint(this.next());
    if ((req.src.port === -1) !== (req.dst.port === -1))
      this.fail('give ports on both tunnel endpoints or on neither', this.toks[this.i - 1]);
    if (req.src.port === -1) {
      req.src.port = 0;
      req.dst.port = 0;
    }
  }

  private endpoint(t: PTok): NonNullable<PolicyRequest['src']> {
    const addr = t.kind === 'word' ? parseAddr(t.text) : undefined;
    if (!addr) this.fail('invalid IP address', t);
    let port = -1;
    if (this.peek().kind === 'port') {
      const p = this.next();
      port = Number(p.text.slice(1, -1));
      if (port > 65535) this.fail('port out of range', p);
    }
    return { addr, family: addrFamily(addr), port, text: t.text };
  }

  /** libipsec rule_check: tunnel needs both endpoints, and their families must agree. */
  private checked(req: PolicyRequest, at: PTok): PolicyRequest {
    if (req.mode === 'tunnel' && !req.src) this.fail('tunnel mode needs src-dst endpoints', at);
    if (req.src && req.dst && req.src.family !== req.dst.family)
      this.fail('address family mismatch between tunnel endpoints', at);
    return req;
  }
}

/** Parses policy text that started at `pos` in the script; errors carry script line/column. */
export function parsePolicy(text: string, pos: Pos = { line: 1, col: 1 }): PolicyResult {
  const p = new PolicyParser(lex(text, pos));
  try {
    return { ok: true, value: p.policy(text.trim(), pos) };
  } catch (e) {
    if (e instanceof Fail) return { ok: false, error: e.perr };
    throw e;
  }
}
