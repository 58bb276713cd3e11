// `uipsec ctl NAME get|set|send ...`, `uipsec ctl list` and `uipsec events [--json] [--class C]`: the operator's
// side of uipsecd's kernel controls and kernel events (kernel/ext/, docs/extensions-control.md), over the
// daemon's control socket (ctl.sock, channel/ctl-client.ts).
import { Command, Option } from 'commander';
import { CtlClient, CtlError, type CtlEvent } from '../channel/ctl-client.js';
import { CTL_SOCKET_ENV } from '../channel/ctl-frames.js';
import { defaultCtlSocket } from '../channel/constants.js';
import { defaultSocketPath } from '../pfkey/transport-unix.js';
import { KEV_FILTER_NAMES, type KevFilter } from '../kernel/ext/events.js';
import { EXIT_FAIL, EXIT_OK, EXIT_PARTIAL, EXIT_USAGE, errorText, type CliIo } from './cli-io.js';
import { formatEvent } from './event-text.js';

const CTL_SOCKETS = `
Socket: --ctl-socket defaults to $${CTL_SOCKET_ENV}, else ctl.sock next to the PF_KEY socket
($UIPSEC_PFKEY_SOCKET, else /var/run/uipsec/pfkey.sock).`;

const EXIT_TEXT = `
Exit status: 0 success; 1 no daemon or the request was refused (the errno is printed: ENOENT no such control,
EPERM a privileged control or events and you are not the daemon's owner, EBUSY unit in use); 2 bad usage;
3 fewer messages or events than --read/--count before --timeout.`;

interface SockOpts {
  ctlSocket?: string;
  socket?: string;
}

export function ctlSocketPath(o: SockOpts, env: Record<string, string | undefined>): string {
  if (o.ctlSocket) return o.ctlSocket;
  if (env[CTL_SOCKET_ENV]) return env[CTL_SOCKET_ENV];
  return defaultCtlSocket(o.socket ?? defaultSocketPath(env));
}

class UsageError extends Error {}

function usage(msg: string): never {
  throw new UsageError(msg);
}

/** Bad arguments found once the command runs: the message and exit status 2, as commander's own errors. */
async function guarded(cmd: string, io: CliIo, f: () => Promise<number>): Promise<number> {
  try {
    return await f();
  } catch (e) {
    if (!(e instanceof UsageError)) throw e;
    io.err(`uipsec ${cmd}: ${e.message}\n`);
    return EXIT_USAGE;
  }
}

function u32(name: string, v: string): number {
  const n = Number(v);
  if (!/^(0x[0-9a-f]+|\d+)$/i.test(v) || !Number.isInteger(n) || n < 0 || n > 0xffffffff)
    usage(`${name} must be a number in 0..4294967295, not "${v.slice(0, 32)}"`);
  return n;
}

function bytesOf(text: string, hex: boolean | undefined): Uint8Array {
  if (!hex) return new TextEncoder().encode(text);
  const h = text.replace(/^0x/i, '').replace(/[\s:]/g, '');
  if (!/^([0-9a-f]{2})*$/i.test(h)) usage(`--hex needs pairs of hex digits, not "${text.slice(0, 32)}"`);
  return Uint8Array.from(Buffer.from(h, 'hex'));
}

/** Text when the bytes are printable UTF-8 (and --hex was not asked), else hex. */
function showBytes(b: Uint8Array, hex: boolean | undefined): string {
  if (!hex) {
    try {
      const s = new TextDecoder('utf-8', { fatal: true }).decode(b);
      if (![...s].some((ch) => (ch < ' ' && ch !== '\t' && ch !== '\n') || ch === '\x7f')) return s;
    } catch {
      /* not UTF-8: hex */
    }
  }
  return '0x' + Buffer.from(b).toString('hex');
}

async function open(o: SockOpts, io: CliIo, cmd: string): Promise<CtlClient | undefined> {
  const path = ctlSocketPath(o, io.env);
  try {
    return await CtlClient.connect(path);
  } catch (e) {
    io.err(`uipsec ${cmd}: cannot reach uipsecd's control socket ${path} (${errorText(e)})${CTL_SOCKETS}\n`);
    return undefined;
  }
}

interface CtlOpts extends SockOpts {
  unit: string;
  hex?: boolean;
  max: string;
  read?: string;
  timeout: string;
}

/** Waits for `n` data messages (or the timeout / an interrupt); returns how many came. */
function readData(c: CtlClient, ref: number, n: number, ms: number, io: CliIo, hex?: boolean): Promise<number> {
  return new Promise((resolve) => {
    let got = 0;
    const done = () => {
      clearTimeout(t);
      io.interrupt?.removeEventListener('abort', done);
      resolve(got);
    };
    const t = setTimeout(done, ms);
    io.interrupt?.addEventListener('abort', done);
    c.onEnd(done);
    c.onData((r, d) => {
      if (r !== ref) return;
      io.out(showBytes(d, hex) + '\n');
      if (++got >= n) done();
    });
  });
}

export async function runCtl(name: string, op: string | undefined, args: string[], o: CtlOpts, io: CliIo) {
  if (name === 'list' && op === undefined) return runList(o, io);
  if (op !== 'get' && op !== 'set' && op !== 'send')
    usage(`ctl needs get, set or send after the name, not "${op ?? ''}"`);
  if (op === 'get' && args.length !== 1) usage('ctl NAME get OPT');
  if (op === 'set' && args.length !== 2) usage('ctl NAME set OPT VALUE');
  if (op === 'send' && args.length === 0) usage('ctl NAME send MESSAGE...');
  const unit = u32('--unit', o.unit);
  const c = await open(o, io, 'ctl');
  if (!c) return EXIT_FAIL;
  try {
    const conn = await c.connectControl(name, unit);
    if (op === 'get') {
      const v = await c.getopt(conn.ref, u32('OPT', args[0]!), u32('--max', o.max));
      io.out(showBytes(v, o.hex) + '\n');
      return EXIT_OK;
    }
    if (op === 'set') {
      await c.setopt(conn.ref, u32('OPT', args[0]!), bytesOf(args[1]!, o.hex));
      return EXIT_OK;
    }
    const want = o.read === undefined ? 0 : u32('--read', o.read);
    const reading = want > 0 ? readData(c, conn.ref, want, u32('--timeout', o.timeout), io, o.hex) : undefined;
    await c.send(conn.ref, bytesOf(args.join(' '), o.hex));
    if (reading && (await reading) < want) return EXIT_PARTIAL;
    return EXIT_OK;
  } catch (e) {
    io.err(`uipsec ctl ${name}: ${e instanceof CtlError ? e.message : errorText(e)}\n`);
    return EXIT_FAIL;
  } finally {
    c.close();
  }
}

async function runList(o: SockOpts, io: CliIo): Promise<number> {
  const c = await open(o, io, 'ctl list');
  if (!c) return EXIT_FAIL;
  try {
    const list = await c.list();
    for (const x of list)
      io.out(`${x.name}\tid ${x.id}\t${x.privileged ? 'privileged' : 'open'}\tclients ${x.units}\n`);
    return EXIT_OK;
  } catch (e) {
    io.err(`uipsec ctl list: ${errorText(e)}\n`);
    return EXIT_FAIL;
  } finally {
    c.close();
  }
}

/** "sa", "network"... or "VENDOR/CLASS/SUBCLASS" numbers (0 = any). */
export function parseEventClass(s: string): KevFilter {
  const named = Object.hasOwn(KEV_FILTER_NAMES, s) ? KEV_FILTER_NAMES[s] : undefined;
  if (named) return named;
  const m = /^(\d+)(?:\/(\d+)(?:\/(\d+))?)?$/.exec(s);
  if (!m)
    usage(
      `--class takes ${Object.keys(KEV_FILTER_NAMES).join(', ')} or VENDOR[/CLASS[/SUBCLASS]], not "${s.slice(0, 32)}"`,
    );
  return { vendor: Number(m[1]), class: Number(m[2] ?? 0), subclass: Number(m[3] ?? 0) };
}

interface EventOpts extends SockOpts {
  json?: boolean;
  class: string[];
  count?: string;
  timeout?: string;
}

export async function runEvents(o: EventOpts, io: CliIo): Promise<number> {
  const filters = (o.class.length ? o.class : ['all']).map(parseEventClass);
  const count = o.count === undefined ? Infinity : u32('--count', o.count);
  const ms = o.timeout === undefined ? undefined : u32('--timeout', o.timeout);
  const c = await open(o, io, 'events');
  if (!c) return EXIT_FAIL;
  let got = 0;
  const finished = new Promise<'end' | 'done'>((resolve) => {
    const t = ms === undefined ? undefined : setTimeout(() => resolve('done'), ms);
    io.interrupt?.addEventListener('abort', () => resolve('done'));
    c.onEnd(() => resolve('end'));
    c.onEvent((ev: CtlEvent) => {
      if (got >= count) return;
      io.out((o.json ? JSON.stringify(ev) : formatEvent(ev)) + '\n');
      if (++got >= count) {
        clearTimeout(t);
        resolve('done');
      }
    });
  });
  try {
    for (const f of filters) await c.subscribe(f);
    io.err(`uipsec events: listening (${o.class.length ? o.class.join(', ') : 'all'}); ^C to stop\n`);
  } catch (e) {
    io.err(`uipsec events: ${e instanceof CtlError ? e.message : errorText(e)}\n`);
    c.close();
    return EXIT_FAIL;
  }
  const why = await finished;
  c.close();
  if (why === 'end' && got < count) io.err('uipsec events: the daemon closed the connection\n');
  return count !== Infinity && got < count ? EXIT_PARTIAL : why === 'end' && count === Infinity ? EXIT_FAIL : EXIT_OK;
}

const ctlSocketOpt = () => new Option('--ctl-socket <path>', "uipsecd's control socket (ctl.sock)");
const pfkeySocketOpt = () => new Option('-s, --socket <path>', "uipsecd's PF_KEY socket (ctl.sock is beside it)");

/** Adds `ctl` and `events` to the uipsec program. */
export function addCtlCommands(root: Command, io: CliIo, run: (p: Promise<number>) => void): void {
  root
    .command('ctl <name> [op] [args...]')
    .description("talk to a kernel control of uipsecd (an extension's control socket, PF_SYSTEM style): get, set, send")
    .addOption(ctlSocketOpt())
    .addOption(pfkeySocketOpt())
    .option('-u, --unit <n>', 'unit to connect to (0: the control picks one)', '0')
    .option('-x, --hex', 'values and messages are hexadecimal (printed as hex too)')
    .option('--max <bytes>', 'get: the most bytes to return', '4096')
    .option('-r, --read <n>', 'send: then print n messages the control enqueues')
    .option('-t, --timeout <ms>', 'send --read: how long to wait', '2000')
    .addHelpText(
      'after',
      `
Operations: NAME get OPT | NAME set OPT VALUE | NAME send MESSAGE... ; \`uipsec ctl list\` lists the controls.
OPT is a number (the control's sockopt name); VALUE and MESSAGE are text, or hex with --hex.

Examples:
  uipsec ctl list
  uipsec ctl org.uipsec.example.counter get 1
  uipsec ctl org.uipsec.example.counter set 2 --hex 0000000a
  uipsec ctl org.uipsec.example.counter send --read 1 hello
${CTL_SOCKETS}
${EXIT_TEXT}`,
    )
    .action((name: string, op: string | undefined, args: string[], o: CtlOpts) =>
      run(guarded('ctl', io, () => runCtl(name, op, args, o, io))),
    );

  root
    .command('events')
    .description("print uipsecd's kernel events live: interfaces, addresses, SAs, policies, ACQUIREs")
    .addOption(ctlSocketOpt())
    .addOption(pfkeySocketOpt())
    .option('--json', 'one JSON object per event (header fields vendor, class, subclass, code, id, time)')
    .option(
      '-c, --class <class>',
      `only these (repeatable): ${Object.keys(KEV_FILTER_NAMES).join(', ')}, or VENDOR[/CLASS[/SUBCLASS]]`,
      (v: string, prev: string[]) => [...prev, v],
      [] as string[],
    )
    .option('-n, --count <n>', 'exit after n events')
    .option('-t, --timeout <ms>', 'exit after this long')
    .addHelpText(
      'after',
      `
Events are for the daemon's owner (as PF_KEY is); SAs are shown without keys.

Examples:
  uipsec events
  uipsec events --class sa --class policy
  uipsec events --json --count 1 --class sa | jq .sa.spi
${CTL_SOCKETS}
${EXIT_TEXT}`,
    )
    .action((o: EventOpts) => run(guarded('events', io, () => runEvents(o, io))));
}
