// racoonctl(8): sends one command to racoon's admin socket in racoon's binary admin protocol (admin-wire.ts,
// ipsec-tools admin.h) and prints the reply in ipsec-tools racoonctl's formats, or as JSON with --json.
//   racoonctl [-s socket] [-l] [-d] [--json] COMMAND ...   (racoonctl --help)
import { connect, type Socket } from 'node:net';
import { pathToFileURL } from 'node:url';
import { SocketPathError, assertSafeSocket } from '../common/socket-path.js';
import { exitAfterFlush } from '../common/stdio.js';
import { decodeMessage, decodeSadbMsg } from '../pfkey/msg.js';
import type { PfkeyMessage } from '../pfkey/msg.js';
import { formatAddr } from '../common/inet.js';
import { SADB_SATYPE_NAMES, nameOf } from '../pfkey/names.js';
import { RACOONCTL_HELP, RACOONCTL_USAGE, noRacoonHint, versionLine } from './usage.js';
import { UsageError, buildRequest, type CtlRequest } from './racoonctl-args.js';
import * as F from './racoonctl-print.js';
import * as W from './admin-wire.js';
import type { TextReply } from './admin-text.js';
import { errnoText } from './racoonctl-errno.js';

export { exitAfterFlush } from '../common/stdio.js';
export { RACOONCTL_COMMANDS } from './racoonctl-args.js';

export const DEFAULT_ADMIN_SOCKET = '/var/racoon/racoon.sock';
const USAGE = `${RACOONCTL_USAGE}(racoonctl --help for the commands and examples)\n`;
/** The largest reply racoonctl accepts (a PF_KEY dump of many SAs fits; a bigger one is refused). */
const MAX_REPLY = 64 << 20;

/** How `show-sa esp|ah|ipsec` prints the kernel's SAs: setkey -D's format when the program injects it. */
export interface RacoonctlOptions {
  formatSadb?: (ms: readonly PfkeyMessage[], json: boolean) => string;
  /** establish-sa -u / vpn-connect -u: the XAuth password (ipsec-tools asks with getpass). */
  password?: () => string;
}

interface Flags {
  socket: string;
  long: number;
  debug: boolean;
  json: boolean;
}

/** Without setkey's printer: one line per SA. */
function plainSadb(ms: readonly PfkeyMessage[], json: boolean): string {
  const rows = ms.map((m) => ({
    src: formatAddr(m.ext.addressSrc?.addr.addr ?? new Uint8Array(4)),
    dst: formatAddr(m.ext.addressDst?.addr.addr ?? new Uint8Array(4)),
    satype: nameOf(SADB_SATYPE_NAMES, m.msg.satype),
    spi: `0x${((m.ext.sa?.spi ?? 0) >>> 0).toString(16)}`,
    state: m.ext.sa?.state ?? 0,
  }));
  if (json) return JSON.stringify(rows) + '\n';
  return rows.map((r) => `${r.src} ${r.dst} ${r.satype} spi=${r.spi} state=${r.state}\n`).join('');
}

/** The PF_KEY replies racoon relays, back to back (racoonctl handle_recv + pfkey_sadump), or its errno. */
function sadbMessages(body: Uint8Array): PfkeyMessage[] | string {
  const out: PfkeyMessage[] = [];
  for (let p = 0; p < body.length;) {
    const len = decodeSadbMsg(body, p).lenBytes;
    if (len < 16 || p + len > body.length) throw new W.AdminWireError('a PF_KEY message runs past the reply');
    const m = decodeMessage(body.subarray(p, p + len));
    if (m.msg.errno === 2) return 'No SAD entries.\n';
    if (m.msg.errno !== 0) return `${errnoText(m.msg.errno)}.\n`;
    out.push(m);
    p += len;
    if (m.msg.seq === 0) break;
  }
  return out;
}

function parseFlags(args: string[], out: (s: string) => void): Flags | number | string {
  const f: Flags = { socket: DEFAULT_ADMIN_SOCKET, long: 0, debug: false, json: false };
  while (args[0]?.startsWith('-')) {
    const a = args.shift()!;
    if (a === '-h' || a === '--help') return (out(RACOONCTL_HELP), 0);
    if (a === '-V' || a === '--version') return (out(versionLine('racoonctl')), 0);
    if (a === '-s' && args.length) f.socket = args.shift()!;
    else if (a === '-l') f.long++;
    else if (a === '-d') f.debug = true;
    else if (a === '--json') f.json = true;
    else return a === '-s' ? 'option -s needs a socket path' : `unknown option '${a}'`;
  }
  return f;
}

export async function runRacoonctl(
  argv: readonly string[],
  out: (s: string) => void,
  err: (s: string) => void,
  opts: RacoonctlOptions = {},
): Promise<number> {
  const args = [...argv];
  const flags = parseFlags(args, out);
  if (typeof flags === 'number') return flags;
  if (typeof flags === 'string') return (err(`racoonctl: ${flags}\n${USAGE}`), 1);
  let req: CtlRequest;
  try {
    req = buildRequest(args, opts.password);
  } catch (e) {
    if (!(e instanceof UsageError)) throw e;
    return (err(`racoonctl: ${e.message}\n${USAGE}`), 1);
  }
  const body = req.text ? Buffer.from(JSON.stringify(req.text)) : req.body;
  const wire = W.encodeRequest(req.cmd, req.proto, body);
  if (flags.debug)
    err(
      Buffer.from(wire)
        .toString('hex')
        .replace(/(.{32})/g, '$1\n') + '\n',
    );
  try {
    assertSafeSocket(flags.socket); // rejects when another user could own the socket (issue 11 item 3)
    return await converse(flags, req, wire, out, err, opts);
  } catch (e) {
    if (e instanceof W.AdminWireError) return (err(`racoonctl: malformed reply from racoon: ${e.message}\n`), 1);
    err(`racoonctl: ${e instanceof SocketPathError ? (e as Error).message : noRacoonHint(flags.socket, e)}\n`);
    return 1;
  }
}

/** Sends the request, then reads messages until the command is done (see CtlRequest.until). */
async function converse(
  f: Flags,
  req: CtlRequest,
  wire: Uint8Array,
  out: (s: string) => void,
  err: (s: string) => void,
  opts: RacoonctlOptions,
): Promise<number> {
  const s = connect(f.socket);
  const msgs = messages(s);
  s.write(wire);
  const first = await msgs.next();
  if (first.done) throw Object.assign(new Error('racoon closed the connection'), { code: 'EPIPE' });
  const [h, body] = first.value;
  if (h.errno !== 0) {
    s.destroy();
    if (h.errno === 17 && req.cmd !== W.ADMIN_X_UIPSEC_TEXT) return 0; // EEXIST: already there (ipsec-tools exits 0)
    err(`racoonctl: ${req.name}: ${errnoText(h.errno)}${hint(req, h.errno)}\n`);
    return 1;
  }
  const code = printReply(f, req, h, body, out, err, opts);
  if (req.until === undefined || code !== 0) {
    s.destroy();
    return code;
  }
  for await (const [eh, eb] of msgs) {
    if ((eh.cmd & ~W.ADMIN_FLAG_LONG_REPLY) !== W.ADMIN_SHOW_EVT || eb.length === 0) continue;
    const e = W.decodeEvent(eb);
    if (req.until === -1 || e.type === req.until || F.FAILURE_EVENTS.has(e.type)) {
      if (f.json) out(JSON.stringify(F.eventJson(e)) + '\n');
      else out(e.type === W.EVT_PHASE1_MODE_CFG && req.until !== -1 ? F.formatModeCfg(e) : F.formatEvent(e));
    }
    if (req.until === -1) continue;
    if (e.type === req.until) break;
    if (F.FAILURE_EVENTS.has(e.type)) return (s.destroy(), 1);
  }
  s.destroy();
  return 0;
}

function hint(req: CtlRequest, errno: number): string {
  if (errno === 101 && req.name === 'vpn-connect')
    return ': no source address toward that gateway: no policy names it and no route reaches it (use establish-sa isakmp inet SRC DST)';
  if (errno === 2 && req.name === 'establish-sa') return ': no remote section for that peer';
  if (errno === 22 && req.name === 'reload-config') return ": the new configuration was refused (see racoon's log)";
  return '';
}

function printReply(
  f: Flags,
  req: CtlRequest,
  h: W.AdminHeader,
  body: Uint8Array,
  out: (s: string) => void,
  err: (s: string) => void,
  opts: RacoonctlOptions,
): number {
  const cmd = h.cmd & ~W.ADMIN_FLAG_LONG_REPLY;
  if (cmd === W.ADMIN_X_UIPSEC_TEXT) {
    const r = JSON.parse(Buffer.from(body).toString('utf8')) as TextReply;
    if (f.json) out(JSON.stringify(r.lines) + '\n');
    else for (const l of r.lines) out(l + '\n');
    if (!r.ok) err(`racoonctl: ${r.error ?? 'failed'}\n`);
    return r.ok ? 0 : 1;
  }
  if (cmd === W.ADMIN_SHOW_SA && h.proto === W.ADMIN_PROTO_ISAKMP) {
    const ds = W.decodePh1Dumps(body);
    out(f.json ? JSON.stringify(ds.map(F.ph1Json)) + '\n' : F.formatIsakmp(ds, f.long));
  } else if (cmd === W.ADMIN_SHOW_SA) {
    const ms = sadbMessages(body);
    if (typeof ms === 'string') out(f.json ? '[]\n' : ms);
    else out((opts.formatSadb ?? plainSadb)(ms, f.json));
  } else if (cmd === W.ADMIN_SHOW_SCHED) {
    out(f.json ? '[]\n' : 'index    tick     xtime    created\n');
  } else if (f.json && req.until === undefined) out(JSON.stringify({ ok: true, command: req.name }) + '\n');
  return 0;
}

/** The admin messages on a connection: header and body each, lengths checked. */
async function* messages(s: Socket): AsyncGenerator<[W.AdminHeader, Uint8Array]> {
  let buf = Buffer.alloc(0);
  for await (const chunk of s as AsyncIterable<Buffer>) {
    buf = Buffer.concat([buf, chunk]);
    while (buf.length >= W.ADMIN_COM_LEN) {
      const h = W.decodeHeader(buf);
      if (h.len < W.ADMIN_COM_LEN || h.len > MAX_REPLY) throw new W.AdminWireError(`reply length ${h.len}`);
      if (buf.length < h.len) break;
      yield [h, buf.subarray(W.ADMIN_COM_LEN, h.len)];
      buf = buf.subarray(h.len);
    }
  }
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  runRacoonctl(
    process.argv.slice(2),
    (s) => process.stdout.write(s),
    (s) => process.stderr.write(s),
  ).then(exitAfterFlush);
}
