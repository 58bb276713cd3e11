// A child process as the e2e tests use it: output collected, "wait until it printed X", exit status.
import { spawn, type ChildProcess } from 'node:child_process';
import { repoRoot } from './support.js';

export class Proc {
  readonly child: ChildProcess;
  out = '';
  err = '';
  readonly exited: Promise<number | null>;
  private waiters: (() => void)[] = [];

  constructor(
    readonly label: string,
    args: string[],
    env: NodeJS.ProcessEnv = process.env,
  ) {
    this.child = spawn(process.execPath, args, { cwd: repoRoot(), stdio: ['pipe', 'pipe', 'pipe'], env });
    this.child.stdout!.on('data', (d: Buffer) => {
      this.out += d.toString();
      this.poke();
    });
    this.child.stderr!.on('data', (d: Buffer) => {
      this.err += d.toString();
      this.poke();
    });
    this.exited = new Promise((resolve) =>
      this.child.on('exit', (code) => {
        this.poke();
        resolve(code);
      }),
    );
  }

  private poke(): void {
    for (const w of this.waiters.splice(0)) w();
  }

  /** Resolves when stdout+stderr match `re`; rejects if the process exits first. */
  async waitFor(re: RegExp): Promise<void> {
    for (;;) {
      if (re.test(this.out + this.err)) return;
      if (this.child.exitCode !== null)
        throw new Error(`${this.label} exited (${this.child.exitCode}) before printing ${re}:\n${this.out}${this.err}`);
      await new Promise<void>((r) => this.waiters.push(r));
    }
  }

  /** SIGINT, then the exit status. */
  async stop(): Promise<number | null> {
    if (this.child.exitCode === null) this.child.kill('SIGINT');
    return this.exited;
  }
}

/** Runs a program to completion; resolves with its status and output. */
export async function runProc(
  label: string,
  args: string[],
  stdin?: string,
): Promise<{ code: number | null; out: string; err: string }> {
  const p = new Proc(label, args);
  if (stdin !== undefined) p.child.stdin!.end(stdin);
  else p.child.stdin!.end();
  const code = await p.exited;
  return { code, out: p.out, err: p.err };
}
