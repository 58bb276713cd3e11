// `uipsec status [--socket PATH] [--app-socket PATH] [--json [--keys]] [-f uipsecd.conf]`: the running uipsecd's SAs
// and policies over PF_KEY, its interfaces, routes, counters and table sizes from the STATUS frame of its app
// channel (status.ts), and, when the daemon cannot be asked, the interfaces and routes of its config file.
import { parseArgs as parseDaemonArgs } from '../kernel/daemon/config.js';
import { SocketPathError } from '../common/socket-path.js';
import { PfkeyClient } from '../pfkey/client.js';
import { IkeChannel } from '../channel/client.js';
import { UnixTransport, defaultSocketPath } from '../pfkey/transport-unix.js';
import { appSocketPath } from './cmd-app-channel.js';
import { EXIT_FAIL, EXIT_OK, EXIT_USAGE, errorText, type CliIo } from './cli-io.js';
import { dumpTables, formatStatus, hostPartFromStatus, statusJson, type StatusReport } from './status.js';

export interface StatusOptions {
  socket?: string;
  appSocket?: string;
  json?: boolean;
  /** With json: each SA's keys too (never in the text form). */
  keys?: boolean;
  daemonConfig?: string;
}

type HostPart = Pick<StatusReport, 'interfaces' | 'routes' | 'counters' | 'tables'>;

/** Interfaces and routes from a uipsecd config file (the same parser uipsecd uses). */
type ConfigPart = Pick<StatusReport, 'interfaces' | 'routes'> & { socket: string; appSocket: string };

function fromDaemonConfig(file: string, io: CliIo): ConfigPart | undefined {
  const r = parseDaemonArgs(['-f', file], io.env);
  if (r.errors.length) {
    for (const e of r.errors) io.err(`uipsec status: ${e.message}\n`);
    return undefined;
  }
  const c = r.config;
  const link = c.underlay
    ? `udp underlay ${c.underlay.host}:${c.underlay.port}; neighbours ${
        Object.entries(c.neighbours)
          .map(([ip, e]) => `${ip}=${e.host}:${e.port}`)
          .join(' ') || 'none'
      }`
    : 'none';
  return {
    interfaces: [{ name: 'ul0', addresses: c.addresses, mtu: c.mtu, link }],
    routes: c.routes.map((x) => ({ prefix: x.prefix, via: x.gateway, iface: 'ul0' })),
    socket: c.socketPath,
    appSocket: c.ikeSocketPath,
  };
}

/** The host part from the daemon's app channel; undefined (with a note on stderr) if it cannot tell. */
async function fromDaemon(o: StatusOptions, io: CliIo): Promise<HostPart | undefined> {
  const path = appSocketPath(o, io.env);
  let ch: IkeChannel;
  try {
    ch = await IkeChannel.connect(path);
  } catch (e) {
    if (e instanceof SocketPathError) io.err(`uipsec status: ${e.message}: interfaces and counters not shown\n`);
    else io.err(`uipsec status: no app channel at ${path} (${errorText(e)}): interfaces and counters not shown\n`);
    return undefined;
  }
  try {
    return hostPartFromStatus(await ch.status());
  } catch (e) {
    io.err(
      `uipsec status: uipsecd at ${path} did not answer STATUS (${errorText(e)}): interfaces and counters not shown\n`,
    );
    return undefined;
  } finally {
    ch.close();
  }
}

export async function runStatus(o: StatusOptions, io: CliIo): Promise<number> {
  if (o.keys && !o.json) {
    io.err('uipsec status: --keys goes with --json (the text form never shows keys)\n');
    return EXIT_USAGE;
  }
  let conf: ConfigPart | undefined;
  if (o.daemonConfig) {
    conf = fromDaemonConfig(o.daemonConfig, io);
    if (!conf) return EXIT_USAGE;
    // The daemon of that file listens where the file says, unless --socket/--app-socket say otherwise.
    if (!o.socket) o = { ...o, socket: conf.socket, appSocket: o.appSocket ?? conf.appSocket };
  }
  const fromConfig = conf && { interfaces: conf.interfaces, routes: conf.routes };
  const path = o.socket ?? defaultSocketPath(io.env);
  let t: UnixTransport;
  try {
    t = await UnixTransport.connect(path);
  } catch (e) {
    if (e instanceof SocketPathError) {
      io.err(`uipsec status: ${e.message}\n`);
      return EXIT_FAIL;
    }
    if (fromConfig) {
      // -f works offline: show what the config says, and say plainly that the daemon is not there.
      const report: StatusReport = {
        source: o.daemonConfig!,
        ...fromConfig,
        sas: [],
        policies: [],
        offline: `no uipsecd on ${path}: ${errorText(e)}`,
      };
      io.out(o.json ? statusJson(report, { keys: o.keys === true }) : formatStatus(report));
      return EXIT_OK;
    }
    io.err(
      `uipsec status: no uipsecd is listening on ${path} (${errorText(e)}).\nStart one with \`uipsecd --socket ${path}\`, or pass --socket PATH / set UIPSEC_PFKEY_SOCKET.\n`,
    );
    return EXIT_FAIL;
  }
  const client = new PfkeyClient(t);
  try {
    const tables = await dumpTables(client);
    const host = await fromDaemon(o, io);
    const report: StatusReport = { source: path, ...(host ?? fromConfig ?? {}), ...tables };
    io.out(o.json ? statusJson(report, { keys: o.keys === true }) : formatStatus(report));
    return EXIT_OK;
  } catch (e) {
    io.err(`uipsec status: ${errorText(e)}\n`);
    return EXIT_FAIL;
  } finally {
    client.close();
  }
}
