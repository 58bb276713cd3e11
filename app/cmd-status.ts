// `uipsec status [--socket PATH] [--json] [-f uipsecd.conf]`: the running uipsecd's SAs and policies over
// PF_KEY (status.ts), with the interfaces, neighbours and routes of its config file when given.
import { parseArgs as parseDaemonArgs } from '../kernel/daemon/config.js';
import { PfkeyClient } from '../pfkey/client.js';
import { UnixTransport, defaultSocketPath } from '../pfkey/transport-unix.js';
import { EXIT_FAIL, EXIT_OK, EXIT_USAGE, errorText, type CliIo } from './cli-io.js';
import { dumpTables, formatStatus, statusJson, type StatusReport } from './status.js';

export interface StatusOptions { socket?: string; json?: boolean; daemonConfig?: string }

/** Interfaces and routes from a uipsecd config file (the same parser uipsecd uses). */
function fromDaemonConfig(file: string, io: CliIo): Pick<StatusReport, 'interfaces' | 'routes'> | undefined {
  const r = parseDaemonArgs(['-f', file], {});
  if (r.errors.length) {
    for (const e of r.errors) io.err(`uipsec status: ${e.message}\n`);
    return undefined;
  }
  const c = r.config;
  const link = c.underlay ? `udp underlay ${c.underlay.host}:${c.underlay.port}; neighbours ${Object.entries(c.neighbours).map(([ip, e]) => `${ip}=${e.host}:${e.port}`).join(' ') || 'none'}` : 'none';
  return {
    interfaces: [{ name: 'ul0', addresses: c.addresses, mtu: c.mtu, link }],
    routes: c.routes.map((x) => ({ prefix: x.prefix, via: x.gateway, iface: 'ul0' })),
  };
}

export async function runStatus(o: StatusOptions, io: CliIo): Promise<number> {
  let extra: Pick<StatusReport, 'interfaces' | 'routes'> = {};
  if (o.daemonConfig) {
    const x = fromDaemonConfig(o.daemonConfig, io);
    if (!x) return EXIT_USAGE;
    extra = x;
  }
  const path = o.socket ?? defaultSocketPath(io.env);
  let t: UnixTransport;
  try {
    t = await UnixTransport.connect(path);
  } catch (e) {
    io.err(`uipsec status: no uipsecd is listening on ${path} (${errorText(e)}).\nStart one with \`uipsecd --socket ${path}\`, or pass --socket PATH / set UIPSEC_PFKEY_SOCKET.\n`);
    return EXIT_FAIL;
  }
  const client = new PfkeyClient(t);
  try {
    const tables = await dumpTables(client);
    const report: StatusReport = { source: path, ...extra, ...tables };
    io.out(o.json ? statusJson(report) : formatStatus(report));
    return EXIT_OK;
  } catch (e) {
    io.err(`uipsec status: ${errorText(e)}\n`);
    return EXIT_FAIL;
  } finally {
    client.close();
  }
}
