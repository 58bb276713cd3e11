// Runs the shell blocks of a Markdown document (docs/quickstart.md, examples/*/README.md) as written, so that the
// documentation and the code cannot drift. The convention, an HTML comment right above a fenced block:
//
//   <!-- doctest -->                   run this ```sh block; every command must exit 0
//   <!-- doctest status=1 -->          ... and its last command must exit 1 (the others 0)
//   <!-- doctest expect="REGEX" -->    the block's output (stdout and stderr) must match (repeatable)
//   <!-- doctest wait="REGEX" -->      then wait until the output since the block began matches: background
//                                      programs started by the block (daemons, listeners, tshark) got ready
//   <!-- doctest needs=tshark,editcap --> skip the block, saying why, when a program is not installed
//   <!-- doctest file=NAME -->         write this block (a configuration shown in the page) to NAME
//   <!-- doctest skip="reason" -->     not run; the reason is printed
//
// Every ```sh block must carry one (the test checks), so no command is left untried. Blocks run in order in
// one bash, as a reader types them into one terminal (jobs, `kill %1`, the working directory carry over), in a
// private network namespace with a private /tmp and /run/netns: the fixed ports, /tmp paths and `ip netns` names
// of the pages collide with nothing. The working directory holds links to the repository's bin/ and dist/ and a copy of examples/.
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { cpSync, mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export interface Directive {
  skip?: string;
  status: number;
  expect: RegExp[];
  wait: RegExp[];
  needs: string[];
  file?: string;
}

export interface DocBlock {
  /** 1-based line of the opening fence. */
  line: number;
  lang: string;
  body: string;
  directive?: Directive;
}

const ATTR = /(\w+)(?:=(?:"([^"]*)"|'([^']*)'|(\S+)))?/g;

/** `doctest status=1 expect="x" wait='y' needs=a,b` (the comment's text without `<!--`/`-->`). */
export function parseDirective(text: string): Directive {
  const d: Directive = { status: 0, expect: [], wait: [], needs: [] };
  const body = text.trim().replace(/^doctest:?/, '');
  for (const m of body.matchAll(ATTR)) {
    const v = m[2] ?? m[3] ?? m[4] ?? '';
    switch (m[1]) {
      case 'skip':
        d.skip = v || 'no reason given';
        break;
      case 'status':
        d.status = Number(v);
        break;
      case 'expect':
        d.expect.push(new RegExp(v));
        break;
      case 'wait':
        d.wait.push(new RegExp(v));
        break;
      case 'needs':
        d.needs.push(...v.split(',').filter(Boolean));
        break;
      case 'file':
        d.file = v;
        break;
      default:
        throw new Error(`doctest: unknown attribute '${m[1]}' in <!-- ${text.trim()} -->`);
    }
  }
  return d;
}

/** The fenced blocks of a document, each with the doctest directive right above it (blank lines allowed). */
export function parseDoc(md: string): DocBlock[] {
  const lines = md.split('\n');
  const blocks: DocBlock[] = [];
  let pending: Directive | undefined;
  for (let i = 0; i < lines.length; i++) {
    const l = lines[i]!;
    const c = /^<!--\s*(doctest\b.*?)\s*-->\s*$/.exec(l);
    if (c) {
      pending = parseDirective(c[1]!);
      continue;
    }
    const f = /^```(\S*)/.exec(l);
    if (f) {
      const start = i;
      const body: string[] = [];
      for (i++; i < lines.length && !lines[i]!.startsWith('```'); i++) body.push(lines[i]!);
      blocks.push({ line: start + 1, lang: f[1]!, body: body.join('\n') + '\n', directive: pending });
      pending = undefined;
    } else if (l.trim() !== '') pending = undefined;
  }
  return blocks;
}

/** Logical commands of a block: `\` continuations joined, blank and comment-only lines dropped. */
export function commandsOf(body: string): string[] {
  const out: string[] = [];
  let cur = '';
  for (const raw of body.split('\n')) {
    if (!cur && (raw.trim() === '' || raw.trim().startsWith('#'))) continue;
    cur += (cur ? '\n' : '') + raw;
    if (!raw.endsWith('\\')) {
      out.push(cur);
      cur = '';
    }
  }
  if (cur) out.push(cur);
  return out;
}

const END = '@@DOCTEST-END';

/**
 * The script for block `n`: a failing command before the last is recorded by the ERR trap; the last one's
 * status is reported as it is (for `status=N`).
 */
export function blockScript(n: number, body: string): string {
  const cmds = commandsOf(body);
  const last = cmds.pop() ?? ':';
  return [
    '__dt_fails=""',
    `trap '__dt_fails="$__dt_fails line $LINENO: exit $?;"' ERR`,
    ...cmds,
    'trap - ERR',
    last,
    '__dt_last=$?',
    `echo "${END} ${n} $__dt_last $__dt_fails"`,
    '',
  ].join('\n');
}

/** Why the documents cannot run here, or '' when they can. */
export function doctestSkipReason(repo: string): string {
  if (process.getuid?.() !== 0) return 'needs root (a private network namespace for the fixed ports and /tmp paths)';
  if (spawnSync('unshare', ['--version']).error) return 'unshare not installed (Debian package: util-linux)';
  if (spawnSync('ip', ['-V']).error) return 'ip not installed (Debian package: iproute2)';
  if (spawnSync('test', ['-f', join(repo, 'dist', 'app', 'uipsec.js')]).status !== 0)
    return 'dist/ not built: npm run build';
  return '';
}

export function missingPrograms(names: readonly string[]): string[] {
  return names.filter((n) => spawnSync('sh', ['-c', `command -v ${n}`]).status !== 0);
}

export interface BlockResult {
  out: string;
  last: number;
  /** Commands before the last that failed (`line N: exit S;` each). */
  fails: string;
}

/** One bash in its own network and mount namespaces, fed one block at a time. */
export class DocShell {
  private output = '';
  private waiters: (() => void)[] = [];
  private readonly child: ChildProcess;
  private exited = false;
  readonly hostDir: string;
  readonly workDir: string;

  constructor(repo: string) {
    this.hostDir = mkdtempSync(join(tmpdir(), 'uipsec-doctest-'));
    this.workDir = join(this.hostDir, 'doc');
    mkdirSync(join(this.workDir, '.doctest'), { recursive: true });
    mkdirSync(join(this.workDir, 'home'));
    for (const d of ['bin', 'dist', 'node_modules']) symlinkSync(join(repo, d), join(this.workDir, d));
    cpSync(join(repo, 'examples'), join(this.workDir, 'examples'), { recursive: true });
    const env = Object.fromEntries(Object.entries(process.env).filter(([k]) => !/^(UIPSEC_|npm_)/i.test(k)));
    this.child = spawn(
      'unshare',
      [
        '--net',
        '--mount',
        '--fork',
        '--kill-child',
        'bash',
        '--norc',
        '--noprofile',
        '-c',
        `mount --bind ${this.hostDir} /tmp && mkdir -p /run/netns && mount -t tmpfs -o mode=0755 doctest /run/netns && ` +
          `ip link set lo up && cd /tmp/doc && exec bash --norc --noprofile`,
      ],
      { detached: true, stdio: ['pipe', 'pipe', 'pipe'], env: { ...env, HOME: '/tmp/doc/home', LC_ALL: 'C.UTF-8' } },
    );
    const take = (d: Buffer) => {
      this.output += d.toString();
      for (const w of this.waiters.splice(0)) w();
    };
    this.child.stdout!.on('data', take);
    this.child.stderr!.on('data', take);
    this.child.on('exit', () => {
      this.exited = true;
      for (const w of this.waiters.splice(0)) w();
    });
  }

  get text(): string {
    return this.output;
  }

  /** Resolves when the output from `from` on matches `re`; rejects after `boundMs` or when bash is gone. */
  async waitFor(re: RegExp, from: number, boundMs: number): Promise<void> {
    const deadline = Date.now() + boundMs;
    for (;;) {
      if (re.test(this.output.slice(from))) return;
      if (this.exited) throw new Error(`the shell exited before ${re} appeared:\n${this.output.slice(from)}`);
      const left = deadline - Date.now();
      if (left <= 0) throw new Error(`${re} did not appear within ${boundMs / 1000} s:\n${this.output.slice(from)}`);
      await new Promise<void>((r) => {
        const t = setTimeout(r, Math.min(left, 1000));
        this.waiters.push(() => {
          clearTimeout(t);
          r();
        });
      });
    }
  }

  /** Writes NAME in the working directory (a file= block). */
  writeFile(name: string, body: string): void {
    writeFileSync(join(this.workDir, name), body);
  }

  /** Runs block `n` to its end marker; background programs it started keep running. */
  async run(n: number, body: string, boundMs: number): Promise<BlockResult> {
    const file = `.doctest/${n}.sh`;
    writeFileSync(join(this.workDir, file), blockScript(n, body));
    const from = this.output.length;
    this.child.stdin!.write(`source ${file} </dev/null\n`);
    const marker = new RegExp(`${END} ${n} (\\d+) ?(.*)\\n`);
    await this.waitFor(marker, from, boundMs);
    const rest = this.output.slice(from);
    const m = marker.exec(rest)!;
    return { out: rest.slice(0, m.index), last: Number(m[1]), fails: m[2]!.trim() };
  }

  /** Stops every job of the shell, then the namespace; removes the directory. */
  async close(): Promise<void> {
    if (!this.exited) {
      this.child.stdin!.write('kill $(jobs -p) 2>/dev/null; wait; exit 0\n');
      const done = new Promise<void>((r) => this.child.once('exit', () => r()));
      const t = setTimeout(() => {
        try {
          process.kill(-this.child.pid!, 'SIGKILL');
        } catch {
          /* gone */
        }
      }, 20_000);
      await done;
      clearTimeout(t);
    }
    rmSync(this.hostDir, { recursive: true, force: true });
  }
}
