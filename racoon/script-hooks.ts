// racoon's `script "path" phase1_up|phase1_down|phase1_dead;` (isakmp.c script_hook / script_exec): the script
// runs with argv[1] the event name and the phase 1's facts in its environment (LOCAL_ADDR, LOCAL_PORT,
// REMOTE_ADDR, REMOTE_PORT, REMOTE_ID, XAUTH_USER, and the mode config's INTERNAL_ADDR4... variables).
// Hardened beyond racoon: the file must be a regular file owned by root (or by us) and writable by nobody
// else, at configuration time and again before each run; at most MAX_RUNNING scripts run at once (the
// rest queue, up to MAX_QUEUED), each killed after SCRIPT_TIMEOUT_MS; its output goes to our log, bounded.
import { spawn } from 'node:child_process';
import { statSync } from 'node:fs';
import { isAbsolute, join } from 'node:path';
import type { RacoonConf, ScriptHook } from './conf/ast.js';

export const MAX_RUNNING = 4;
export const MAX_QUEUED = 64;
export const SCRIPT_TIMEOUT_MS = 30_000;
const MAX_OUTPUT_LINES = 20;

export type ScriptEvent = ScriptHook['event'];

/** Where scripts go: the daemon spawns them; tests record them. */
export interface ScriptRunner {
  run(path: string, event: ScriptEvent, env: Record<string, string>): void;
}

/** racoon script_path_add: a relative path is under `path script`. */
export function scriptPath(conf: RacoonConf, path: string): string {
  const dir = conf.paths.script?.value;
  return isAbsolute(path) || !dir ? path : join(dir, path);
}

/** Why a script file must not run, or undefined when it is safe (owner root or us, no group/other write). */
export function unsafeScript(path: string, myUid = process.geteuid?.() ?? 0): string | undefined {
  let st;
  try {
    st = statSync(path);
  } catch (e) {
    return `cannot stat: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`;
  }
  if (!st.isFile()) return 'not a regular file';
  if (st.uid !== 0 && st.uid !== myUid) return `owned by uid ${st.uid}, not root`;
  if (st.mode & 0o022)
    return `writable by ${st.mode & 0o002 ? 'everyone' : 'its group'} (mode ${(st.mode & 0o7777).toString(8)})`;
  if (!(st.mode & 0o100)) return 'not executable by its owner';
  return undefined;
}

/** The spawning runner with its bounds; `log` receives racoon's lines about each run. */
export class SpawnScripts implements ScriptRunner {
  private running = 0;
  private readonly queue: (() => void)[] = [];
  dropped = 0;

  constructor(
    private readonly log: (level: 'info' | 'warn' | 'error', msg: string) => void,
    private readonly timeoutMs = SCRIPT_TIMEOUT_MS,
  ) {}

  run(path: string, event: ScriptEvent, env: Record<string, string>): void {
    if (this.running >= MAX_RUNNING) {
      if (this.queue.length >= MAX_QUEUED) {
        this.dropped++;
        this.log('error', `script ${path} ${event} not run: ${MAX_QUEUED} scripts already waiting`);
        return;
      }
      this.queue.push(() => this.start(path, event, env));
      return;
    }
    this.start(path, event, env);
  }

  private start(path: string, event: ScriptEvent, env: Record<string, string>): void {
    const bad = unsafeScript(path);
    if (bad) {
      this.log('error', `script ${path} refused: ${bad}`);
      this.next();
      return;
    }
    this.running++;
    const child = spawn(path, [event], {
      env: { PATH: '/usr/sbin:/usr/bin:/sbin:/bin', ...env },
      stdio: ['ignore', 'pipe', 'pipe'],
      detached: true,
    });
    let lines = 0;
    const out = (b: Buffer) => {
      for (const l of b.toString('utf8').split('\n')) {
        if (!l || ++lines > MAX_OUTPUT_LINES) continue;
        this.log('info', `script ${event}: ${l.slice(0, 200)}`);
      }
    };
    child.stdout.on('data', out);
    child.stderr.on('data', out);
    const timer = setTimeout(() => {
      this.log('error', `script ${path} ${event} still running after ${this.timeoutMs / 1000} s: killed`);
      try {
        if (child.pid) process.kill(-child.pid, 'SIGKILL');
      } catch {
        child.kill('SIGKILL');
      }
    }, this.timeoutMs);
    timer.unref();
    let done = false;
    const finish = (how: string) => {
      if (done) return;
      done = true;
      clearTimeout(timer);
      this.running--;
      if (how !== 'exit 0') this.log('warn', `script ${path} ${event}: ${how}`);
      this.next();
    };
    child.on('error', (e) => finish(`cannot run: ${(e as NodeJS.ErrnoException).code ?? e.message}`));
    child.on('close', (code, sig) => finish(sig ? `killed by ${sig}` : `exit ${code}`));
  }

  private next(): void {
    const n = this.queue.shift();
    if (n) n();
  }
}
