// The admin port (ipsec-tools admin.c) racoonctl talks to: a Unix stream socket, one binary request per
// connection (admin-wire.ts: struct admin_com and its body, host byte order), one reply, then the connection
// closes — or stays open to push events (show-event, establish-sa, vpn-disconnect). Bounded: MAX_CLIENTS
// connections at once, requests of at most MAX_REQUEST bytes, REQUEST_TIMEOUT_MS to send one, and each
// listener's unsent events capped (admin-events.ts). The socket is bound under umask 0177, then given the
// `adminsock` owner, group and mode (0600 root by default, as racoon's).
import { createServer, type Server, type Socket } from 'node:net';
import { chmodSync, chownSync, rmSync } from 'node:fs';
import { prepareSocketDir } from '../common/socket-path.js';
import { AdminEvents } from './admin-events.js';
import { runAdminRequest, type AdminContext, type AdminTarget } from './admin-commands.js';
import type { AdminProcess } from './admin-text.js';
import * as W from './admin-wire.js';
import { lookupGroup, lookupUser, readUnixDb } from './unix-ids.js';

export type { AdminTarget } from './admin-commands.js';
export type { AdminProcess } from './admin-text.js';

/** Admin connections open at once; more are closed at once (racoon's listen backlog is 5). */
export const MAX_CLIENTS = 32;
/** The largest request: selector, admin_com_psk, a login and a password (racoonctl sends far less). */
export const MAX_REQUEST = 2048;
/** A connection has this long to send its whole request. */
export const REQUEST_TIMEOUT_MS = 10_000;

export interface AdminOptions {
  mode?: number;
  /** `adminsock PATH OWNER GROUP MODE`: user and group names or numbers. */
  owner?: string;
  group?: string;
  proc?: AdminProcess;
  /** Where events come from (the racoon command attaches it to the daemon, admin-events.ts). */
  events?: AdminEvents;
  log?: (level: 'info' | 'error', msg: string) => void;
}

/** The admin server, its event hub and its counters. */
export interface AdminServer extends Server {
  readonly events: AdminEvents;
  readonly adminStats: { refused: number; malformed: number };
}

/**
 * Serves the admin socket at `path`. Throws SocketPathError when its directory is not ours (or root's) alone:
 * it is created 0700 if missing (issue 11 item 3).
 */
export function serveAdmin(r: AdminTarget, path: string, o: AdminOptions = {}): AdminServer {
  prepareSocketDir(path);
  rmSync(path, { force: true });
  const events = o.events ?? new AdminEvents();
  const ctx: AdminContext = { target: r, proc: o.proc ?? {}, events, log: o.log ?? (() => {}) };
  const adminStats = { refused: 0, malformed: 0 };
  const clients = new Set<Socket>();
  const srv = createServer((sock) => {
    if (clients.size >= MAX_CLIENTS) {
      adminStats.refused++;
      sock.destroy();
      return;
    }
    clients.add(sock);
    sock.on('close', () => clients.delete(sock));
    sock.on('error', () => {});
    serveConnection(ctx, sock, adminStats);
  }) as AdminServer;
  Object.assign(srv, { events, adminStats });
  srv.on('close', () => events.quit());
  // Bound with umask 0177 (Node binds within listen()), so no one else can connect before the chmod.
  const old = process.umask(0o177);
  try {
    srv.listen(path, () => applyOwnership(path, o, ctx.log));
  } finally {
    process.umask(old);
  }
  return srv;
}

function applyOwnership(path: string, o: AdminOptions, log: AdminContext['log']): void {
  try {
    if (o.owner !== undefined || o.group !== undefined) {
      const db = readUnixDb();
      const uid = o.owner !== undefined ? lookupUser(db, o.owner)?.uid : -1;
      const gid = o.group !== undefined ? lookupGroup(db, o.group) : -1;
      if (uid === undefined || gid === undefined) throw new Error(`unknown adminsock owner or group`);
      chownSync(path, uid, gid);
    }
    chmodSync(path, o.mode ?? 0o600);
  } catch (e) {
    // The socket stays 0600 and ours (umask 0177): safe, only less reachable than asked.
    log('error', `adminsock ${path}: ${(e as Error).message}`);
  }
}

/** One connection: its request read (bounded), answered, then closed or kept for events. */
function serveConnection(ctx: AdminContext, sock: Socket, stats: AdminServer['adminStats']): void {
  let buf = Buffer.alloc(0);
  let started = false;
  const timer = setTimeout(() => sock.destroy(), REQUEST_TIMEOUT_MS);
  sock.on('close', () => clearTimeout(timer));
  sock.on('data', (chunk: Buffer) => {
    if (started) return; // racoon reads one request per connection; later bytes are ignored
    buf = Buffer.concat([buf, chunk]);
    if (buf.length < W.ADMIN_COM_LEN) return;
    const h = W.decodeHeader(buf, false);
    if (h.len < W.ADMIN_COM_LEN || h.len > MAX_REQUEST) {
      stats.malformed++;
      sock.end(W.encodeReply(h.cmd, h.proto, h.len > MAX_REQUEST ? 90 /* EMSGSIZE */ : 22 /* EINVAL */));
      started = true;
      return;
    }
    if (buf.length < h.len) return;
    started = true;
    clearTimeout(timer);
    const body = buf.subarray(W.ADMIN_COM_LEN, h.len);
    void runAdminRequest(ctx, h, body).then(async (out) => {
      if (sock.destroyed) return;
      sock.write(out.reply);
      if (!out.subscribe) {
        sock.end();
        return;
      }
      const off = ctx.events.subscribe(
        { write: (m) => (sock.write(m), sock.writableLength), drop: () => sock.destroy() },
        out.subscribe.peer,
      );
      sock.on('close', off);
      if (out.after && !(await out.after())) sock.end();
    });
  });
}
