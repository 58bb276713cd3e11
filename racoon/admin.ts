// The admin port (ipsec-tools admin.c) that racoonctl talks to: one JSON request per line on a Unix
// socket, one JSON reply per line. Commands: show-sa, flush-sa, delete-sa, establish-sa, vpn-connect,
// vpn-disconnect, reload-config (racoonctl(8)), and show-stats.
import { createServer, type Server } from 'node:net';
import { chmodSync, rmSync } from 'node:fs';
import { formatAddr, parseAddr } from '../common/inet.js';
import { prepareSocketDir } from '../common/socket-path.js';
import * as P from '../pfkey/constants.js';
import { SADB_SATYPE_NAMES, nameOf } from '../pfkey/names.js';
import type { PfkeyClient } from '../pfkey/client.js';

/** What the admin commands reach in the daemon (racoon's Racoon satisfies it). */
export interface AdminTarget {
  readonly bridge: { readonly client: PfkeyClient };
  /** The daemon's counters (engine/stats.ts). */
  readonly stats: object;
  /** IKEv2's own counters (ikev2/stats.ts), shown after the shared ones as `ikev2.NAME`. */
  readonly ikev2Stats?: object;
  showIsakmp(): string[];
  /** IKEv2 SAs, each followed by its children indented. */
  showIkev2(): string[];
  flushIsakmp(): number;
  deleteIsakmp(remote: Uint8Array): boolean;
  establishIsakmp(local: Uint8Array, remote: Uint8Array): { state: string } | undefined;
  flushIpsec(satype: number): Promise<void>;
  vpnConnect(gw: Uint8Array): { state: string } | undefined;
  vpnDisconnect(gw: Uint8Array): Promise<{ ph1: number; ph2: number }>;
}

/** What the process adds: the configuration reload (SIGHUP's), absent when the daemon is embedded. */
export interface AdminProcess {
  reload?(): Promise<boolean>;
}

export interface AdminRequest {
  cmd: string;
  args: string[];
}

export interface AdminReply {
  ok: boolean;
  lines: string[];
  error?: string;
}

const SATYPES: Readonly<Record<string, number>> = {
  esp: P.SADB_SATYPE_ESP,
  ah: P.SADB_SATYPE_AH,
  ipsec: P.SADB_SATYPE_UNSPEC,
};

/** Runs one admin command against the daemon. */
export async function runAdminCommand(r: AdminTarget, req: AdminRequest, proc: AdminProcess = {}): Promise<AdminReply> {
  const [what = 'isakmp', ...rest] = req.args;
  const addr = (s: string | undefined) => {
    const a = s ? parseAddr(s.split('/')[0]!) : undefined;
    if (!a) throw new Error(`bad address '${s}'`);
    return a;
  };
  switch (req.cmd) {
    case 'show-sa':
    case 'ss': {
      // racoon's `isakmp` lists every IKE SA, IKEv2 ones after IKEv1's; `ike` the IKEv2 ones and their children.
      if (what === 'isakmp') return { ok: true, lines: [...r.showIsakmp(), ...r.showIkev2()] };
      if (what === 'ike' || what === 'ikev2') return { ok: true, lines: r.showIkev2() };
      const satype = SATYPES[what];
      if (satype === undefined) throw new Error(`show-sa: unknown SA type '${what}'`);
      const dump = await r.bridge.client.dumpAll(P.SADB_DUMP, satype);
      return {
        ok: true,
        lines: dump.map(
          (m) =>
            `${formatAddr(m.ext.addressSrc!.addr.addr)} ${formatAddr(m.ext.addressDst!.addr.addr)} ${nameOf(SADB_SATYPE_NAMES, m.msg.satype)} spi=0x${(m.ext.sa!.spi >>> 0).toString(16)} state=${m.ext.sa!.state}`,
        ),
      };
    }
    case 'flush-sa':
    case 'fs': {
      if (what === 'isakmp') return { ok: true, lines: [`${r.flushIsakmp()} ISAKMP-SA(s) flushed`] };
      const satype = SATYPES[what];
      if (satype === undefined) throw new Error(`flush-sa: unknown SA type '${what}'`);
      await r.flushIpsec(satype);
      return { ok: true, lines: ['flushed'] };
    }
    case 'delete-sa':
    case 'ds':
      if (what !== 'isakmp') throw new Error('delete-sa: only "isakmp {inet|inet6} SRC DST" is supported');
      return { ok: r.deleteIsakmp(addr(rest[2])), lines: [] };
    case 'establish-sa':
    case 'es': {
      if (what !== 'isakmp') throw new Error('establish-sa: only "isakmp {inet|inet6} SRC DST" is supported');
      const ph1 = r.establishIsakmp(addr(rest[1]), addr(rest[2]));
      return {
        ok: ph1 !== undefined,
        lines: ph1 ? [`phase 1 ${ph1.state}`] : [],
        error: ph1 ? undefined : 'no remote configuration for that peer',
      };
    }
    case 'vpn-connect':
    case 'vc': {
      // racoonctl vc [-u user] GATEWAY: the gateway is the last argument.
      const ph1 = r.vpnConnect(addr(req.args[req.args.length - 1]));
      return ph1
        ? { ok: true, lines: [`phase 1 ${ph1.state}`] }
        : { ok: false, lines: [], error: 'no policy toward that gateway: use establish-sa isakmp inet SRC DST' };
    }
    case 'vpn-disconnect':
    case 'vd': {
      const n = await r.vpnDisconnect(addr(req.args[0]));
      return { ok: true, lines: [`${n.ph2} IPsec-SA pair(s) and ${n.ph1} ISAKMP-SA(s) deleted`] };
    }
    case 'show-stats':
      // Not in ipsec-tools: the counters that show an attack or a fault (docs/security.md), one `name value` a line.
      return {
        ok: true,
        lines: [
          ...Object.entries(r.stats).map(([k, v]) => `${k} ${String(v)}`),
          ...Object.entries(r.ikev2Stats ?? {}).map(([k, v]) => `ikev2.${k} ${String(v)}`),
        ],
      };
    case 'reload-config':
    case 'rc': {
      if (!proc.reload) throw new Error('reload-config: not available in this daemon');
      const ok = await proc.reload();
      return ok
        ? { ok, lines: ['configuration reloaded'] }
        : { ok, lines: [], error: "reload refused: see racoon's log" };
    }
    default:
      throw new Error(`unknown command '${req.cmd}'`);
  }
}

/**
 * Serves the admin socket at `path` (mode 0600 by default, as racoon's adminsock). Throws SocketPathError
 * when its directory is not ours (or root's) alone: it is created 0700 if missing (issue 11 item 3).
 */
export function serveAdmin(r: AdminTarget, path: string, mode = 0o600, proc: AdminProcess = {}): Server {
  prepareSocketDir(path);
  rmSync(path, { force: true });
  const srv = createServer((sock) => {
    let buf = '';
    sock.setEncoding('utf8');
    sock.on('data', (chunk: string) => {
      buf += chunk;
      if (buf.length > 65536) {
        sock.destroy();
        return;
      }
      for (let nl = buf.indexOf('\n'); nl >= 0; nl = buf.indexOf('\n')) {
        const line = buf.slice(0, nl);
        buf = buf.slice(nl + 1);
        let req: AdminRequest;
        try {
          const v = JSON.parse(line) as AdminRequest;
          if (typeof v.cmd !== 'string' || !Array.isArray(v.args) || !v.args.every((a) => typeof a === 'string'))
            throw new Error('bad request');
          req = v;
        } catch {
          sock.write(JSON.stringify({ ok: false, lines: [], error: 'malformed request' }) + '\n');
          continue;
        }
        runAdminCommand(r, req, proc).then(
          (rep) => sock.write(JSON.stringify(rep) + '\n'),
          (e) => sock.write(JSON.stringify({ ok: false, lines: [], error: (e as Error).message }) + '\n'),
        );
      }
    });
    sock.on('error', () => {});
  });
  // Bound with umask 0177 (Node binds within listen()), so no one else can connect before the chmod.
  const old = process.umask(0o177);
  try {
    srv.listen(path, () => {
      try {
        chmodSync(path, mode);
      } catch {
        /* best effort */
      }
    });
  } finally {
    process.umask(old);
  }
  return srv;
}
