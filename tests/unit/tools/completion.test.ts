// Shell completion (completions/uipsec.bash, completions/zsh/_uipsec): bash loads it and registers all five
// commands (`complete -p`), and its functions, called as bash calls them, offer every option of each command's
// --help (and none the command refuses), racoonctl's commands and SA types, uipsec's subcommands, setkey's -f
// files and pcap's .pcap files.
// zsh does the same through a real interactive shell on a pseudo-terminal (tests/support/zsh-complete.zsh).
import { strict as assert } from 'node:assert';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { helpTexts, optionsOf } from '../../support/help-texts.js';
import { repoRoot } from '../../support/root.js';
import { KEV_FILTER_NAMES } from '../../../kernel/ext/events.js';
import { RACOONCTL_COMMANDS } from '../../../racoon/racoonctl.js';

const ROOT = repoRoot();
const BASH_FILE = join(ROOT, 'completions', 'uipsec.bash');
const ZSH_DIR = join(ROOT, 'completions', 'zsh');
const COMMANDS = ['setkey', 'racoon', 'racoonctl', 'uipsecd', 'uipsec'];

/** The command lines every shell is asked to complete, and what each must offer (at least). */
interface Case {
  line: string;
  /** Candidates that must be offered. */
  want: string[];
  /** Candidates that may be offered besides (undefined: anything else may be). */
  also?: string[];
}

async function cases(): Promise<Case[]> {
  const help = await helpTexts();
  const out: Case[] = [];
  // Offered options must be options the command accepts: its --help's, and for setkey the letters its help names
  // inside sentences and the usual clusters.
  for (const [cmd, text] of Object.entries(help))
    out.push({
      line: `${cmd} -`,
      want: optionsOf(text),
      also: cmd === 'setkey' ? ['-P', '-a', '-l', '-p', '-DP', '-Da', '-Dp', '-Dl', '-FP', '-xx'] : [],
    });
  out.push(
    { line: 'uipsec ', want: ['demo', 'status', 'send', 'listen', 'ping', 'pcap', 'ctl', 'events'] },
    { line: 'uipsec ctl ', want: ['list'], also: [] },
    { line: 'uipsec ctl org.uipsec.example.counter ', want: ['get', 'set', 'send'], also: [] },
    { line: 'uipsec events --class ', want: Object.keys(KEV_FILTER_NAMES), also: [] },
    { line: 'uipsec pcap ', want: ['encap', 'decap'], also: [] },
    { line: 'uipsec pcap encap ', want: ['in.pcap'], also: [] },
    { line: 'setkey -f ', want: ['a.conf', 'in.pcap'] },
    { line: 'racoon -f ', want: ['a.conf'], also: [] },
    {
      line: 'racoonctl ',
      want: [...RACOONCTL_COMMANDS],
      also: [],
    },
    { line: 'racoonctl -s x.sock ss ', want: ['isakmp', 'ike', 'esp', 'ah', 'ipsec'], also: [] },
    { line: 'racoonctl fs ', want: ['isakmp', 'esp', 'ah', 'ipsec'], also: [] },
    { line: 'racoonctl establish-sa ', want: ['isakmp'], also: [] },
  );
  return out;
}

function check(got: Map<string, string[]>, all: Case[]): void {
  const problems: string[] = [];
  for (const c of all) {
    const g = [...new Set(got.get(c.line) ?? [])].sort();
    const missing = c.want.filter((w) => !g.includes(w));
    if (missing.length) problems.push(`"${c.line}": missing ${missing.join(' ')} (got ${g.join(' ')})`);
    const extra = c.also && g.filter((x) => !c.want.includes(x) && !c.also!.includes(x));
    if (extra?.length) problems.push(`"${c.line}": offers ${extra.join(' ')}, which the command does not take`);
  }
  assert.deepEqual(problems, []);
}

describe('shell completion', function () {
  const dir = mkdtempSync(join(tmpdir(), 'uipsec-compl-'));
  before(() => {
    for (const f of ['a.conf', 'in.pcap']) writeFileSync(join(dir, f), '');
  });
  after(() => rmSync(dir, { recursive: true, force: true }));

  describe('bash', () => {
    const bash = (script: string) =>
      spawnSync('bash', ['--norc', '--noprofile', '-c', `source ${JSON.stringify(BASH_FILE)}\n${script}`], {
        cwd: dir,
        encoding: 'utf8',
      });

    it('registers a completion function for each of the five commands (complete -p)', () => {
      const r = bash(`complete -p ${COMMANDS.join(' ')}`);
      assert.equal(r.stderr, '');
      assert.deepEqual(
        r.stdout.trim().split('\n'),
        COMMANDS.map((c) => `complete -F _uipsec_${c} ${c}`),
      );
    });

    it('offers every --help option, the subcommands, SA types and files', async () => {
      const all = await cases();
      // As bash calls a -F function: COMP_WORDS split at blanks (a trailing blank starts an empty word).
      const script = all
        .map((c) => {
          const words = c.line.split(' ');
          const fn = `_uipsec_${words[0]}`;
          return `COMP_WORDS=(${words.map((w) => `'${w}'`).join(' ')}); COMP_CWORD=${words.length - 1}; COMPREPLY=(); ${fn}; echo "@@ ${c.line}"; printf '%s\\n' "\${COMPREPLY[@]}"`;
        })
        .join('\n');
      const r = bash(script);
      assert.equal(r.stderr, '');
      const got = new Map<string, string[]>();
      let cur = '';
      for (const l of r.stdout.split('\n')) {
        if (l.startsWith('@@ ')) got.set((cur = l.slice(3)), []);
        else if (l) got.get(cur)!.push(l);
      }
      check(got, all);
    });
  });

  describe('zsh', () => {
    const missing = spawnSync('zsh', ['--version']).error ? 'zsh not installed (Debian package: zsh)' : '';

    it(`the file registers _uipsec for the five commands (compinit)${missing ? ` (skipped: ${missing})` : ''}`, function () {
      if (missing) this.skip();
      assert.equal(spawnSync('zsh', ['-n', join(ZSH_DIR, '_uipsec')], { encoding: 'utf8' }).stderr, '');
      const r = spawnSync(
        'zsh',
        [
          '-f',
          '-c',
          `fpath=(${ZSH_DIR} $fpath); autoload -Uz compinit; compinit -u -D; for c in ${COMMANDS.join(' ')}; do print -r -- "$c $_comps[$c]"; done`,
        ],
        { encoding: 'utf8', cwd: dir },
      );
      assert.deepEqual(
        r.stdout.trim().split('\n'),
        COMMANDS.map((c) => `${c} _uipsec`),
      );
    });

    it(`an interactive zsh offers every --help option, the subcommands, SA types and files${missing ? ` (skipped: ${missing})` : ''}`, async function () {
      if (missing) this.skip();
      const all = await cases();
      const out = join(dir, 'zsh-candidates');
      const r = spawnSync(
        'zsh',
        ['-f', join(ROOT, 'tests', 'support', 'zsh-complete.zsh'), ZSH_DIR, out, ...all.map((c) => c.line)],
        {
          cwd: dir,
          encoding: 'utf8',
        },
      );
      assert.equal(r.status, 0, `zsh-complete.zsh: ${r.status} ${r.stderr}`);
      const got = new Map<string, string[]>();
      let acc: string[] = [];
      for (const l of readFileSync(out, 'utf8').split('\n')) {
        const m = /^@@END (\d+)$/.exec(l);
        if (m) {
          got.set(all[Number(m[1]) - 1]!.line, acc);
          acc = [];
        } else if (l && l !== '@@READY') acc.push(l);
      }
      check(got, all);
    });
  });
});
