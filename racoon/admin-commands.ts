// What racoon does for each admin command (ipsec-tools admin.c admin_process), on the decoded request; the
// connection handling is admin.ts. A reply is `struct admin_com` with an errno and a body; some commands then
// keep the connection to push events on it (racoonctl's show-event, establish-sa -w, vpn-connect/disconnect).
import { constants } from 'node:os';
import { formatAddr } from '../common/inet.js';
import * as P from '../pfkey/constants.js';
import { encodeMessage, makeSadbMsg } from '../pfkey/msg.js';
import type { PfkeyClient } from '../pfkey/client.js';
import type { Phase1, Phase2 } from './ikev1/handles.js';
import type { AdminEvents } from './admin-events.js';
import { runTextCommand, type AdminProcess, type TextTarget } from './admin-text.js';
import * as W from './admin-wire.js';

const E = constants.errno;

/** What the admin commands reach in the daemon (racoon's Racoon satisfies it). */
export interface AdminTarget extends TextTarget {
  readonly bridge: { readonly client: PfkeyClient };
  readonly ph1s: ReadonlyMap<string, Phase1>;
  readonly ph2s: ReadonlySet<Phase2>;
  flushIsakmp(): number;
  deleteIsakmp(remote: Uint8Array): boolean;
  establishIsakmp(local: Uint8Array, remote: Uint8Array): { state: string } | undefined;
  flushIpsec(satype: number): Promise<void>;
  vpnDisconnect(gw: Uint8Array): Promise<{ ph1: number; ph2: number }>;
  /** Our address toward `gw` from the policies (vpn-connect sends an unspecified source). */
  vpnSource?(gw: Uint8Array): Uint8Array | undefined;
}

export interface AdminOutcome {
  reply: Uint8Array;
  /** Keep the connection and push events to it: all, or those of phase 1s with `peer`. */
  subscribe?: { peer?: Uint8Array };
  /** Runs once the reply is sent and the subscription made (vpn-disconnect deletes then); false: close. */
  after?: () => Promise<boolean>;
}

export interface AdminContext {
  target: AdminTarget;
  proc: AdminProcess;
  events: AdminEvents;
  log: (level: 'info' | 'error', msg: string) => void;
}

const PROTO_SATYPE: Readonly<Record<number, number>> = {
  [W.ADMIN_PROTO_ESP]: P.SADB_SATYPE_ESP,
  [W.ADMIN_PROTO_AH]: P.SADB_SATYPE_AH,
  [W.ADMIN_PROTO_IPSEC]: P.SADB_SATYPE_UNSPEC,
};

/** PHASE1ST_* (handler.h) for our phase 1 states. */
const PH1_STATUS: Readonly<Record<string, number>> = {
  'msg1-sent': 3,
  'msg2-sent': 5,
  'msg3-sent': 7,
  'msg4-sent': 8,
  'msg5-sent': 8,
  established: 9,
  expired: 11,
  dead: 10,
};

/** handler.c dumpph1: one struct ph1dump per IKEv1 phase 1. */
export function ph1Dumps(t: AdminTarget): W.Ph1Dump[] {
  return [...t.ph1s.values()].map((p) => ({
    icookie: p.icookie,
    rcookie: p.rcookie,
    status: PH1_STATUS[p.state] ?? 0,
    side: p.side === 'initiator' ? 0 : 1,
    remote: p.remote,
    local: p.local,
    version: 0x10,
    etype: p.etype,
    created: p.createdMs / 1000,
    ph2cnt: [...t.ph2s].filter((q) => q.ph1 === p).length,
  }));
}

/**
 * racoon pfkey_dump_sadb: the kernel's SAs of a type as the PF_KEY DUMP replies themselves, back to back, the
 * last with sequence 0 (racoonctl prints them with libipsec's pfkey_sadump); none: one reply with ENOENT.
 */
export async function sadbDump(client: PfkeyClient, satype: number): Promise<Uint8Array> {
  const ms = await client.dumpAll(P.SADB_DUMP, satype);
  if (ms.length === 0) return encodeMessage({ msg: { ...makeSadbMsg(P.SADB_DUMP, satype), errno: E.ENOENT }, ext: {} });
  // The keys stay in racoon: what the admin socket shows is the SA, not its secret (docs/security.md).
  const parts = ms.map((m, i) =>
    encodeMessage({
      msg: { ...m.msg, seq: ms.length - 1 - i },
      ext: { ...m.ext, keyAuth: undefined, keyEncrypt: undefined },
    }),
  );
  return Buffer.concat(parts);
}

const reply = (h: W.AdminHeader, errno: number, body?: Uint8Array): AdminOutcome => ({
  reply: W.encodeReply(h.cmd, h.proto, errno, body),
});

/** One request (header and body, length already checked) to its outcome. Never throws. */
export async function runAdminRequest(c: AdminContext, h: W.AdminHeader, body: Uint8Array): Promise<AdminOutcome> {
  try {
    return await dispatch(c, h, body);
  } catch (e) {
    c.log('error', `admin command 0x${h.cmd.toString(16)}: ${(e as Error).message}`);
    return reply(h, e instanceof W.AdminWireError ? E.EINVAL : E.EIO);
  }
}

async function dispatch(c: AdminContext, h: W.AdminHeader, body: Uint8Array): Promise<AdminOutcome> {
  const t = c.target;
  const version = h.cmd & W.ADMIN_FLAG_VERSION ? h.errno : 0;
  const cmd = h.cmd & ~W.ADMIN_FLAG_VERSION;
  const satype = PROTO_SATYPE[h.proto];
  switch (cmd) {
    case W.ADMIN_RELOAD_CONF: {
      if (!c.proc.reload) return reply(h, E.EOPNOTSUPP);
      return reply(h, (await c.proc.reload()) ? 0 : E.EINVAL);
    }
    case W.ADMIN_SHOW_SCHED:
      return reply(h, 0); // no scheduler entries to show: racoonctl prints its header alone
    case W.ADMIN_SHOW_EVT:
      // Version 0 is the deprecated polling (evt_dump): nothing is recorded for it.
      return version >= 1 ? { ...reply(h, 0), subscribe: {} } : reply(h, 0);
    case W.ADMIN_SHOW_SA:
      if (h.proto === W.ADMIN_PROTO_ISAKMP) return reply(h, 0, W.encodePh1Dumps(ph1Dumps(t)));
      if (satype === undefined) return reply(h, E.EOPNOTSUPP);
      return reply(h, 0, await sadbDump(t.bridge.client, satype));
    case W.ADMIN_FLUSH_SA:
      if (h.proto === W.ADMIN_PROTO_ISAKMP) t.flushIsakmp();
      else if (satype !== undefined) await t.flushIpsec(satype);
      else return reply(h, E.EOPNOTSUPP);
      return reply(h, 0);
    case W.ADMIN_DELETE_SA:
      return deleteSa(c, h, body);
    case W.ADMIN_ESTABLISH_SA:
    case W.ADMIN_ESTABLISH_SA_PSK:
      return establishSa(c, h, body, version);
    case W.ADMIN_DELETE_ALL_SA_DST:
      return deleteAllSaDst(c, h, body);
    case W.ADMIN_LOGOUT_USER:
      return logoutUser(c, h, body);
    case W.ADMIN_GET_SA_CERT:
      return reply(h, E.ENOENT); // the peer's certificate is not kept after phase 1 verifies it
    case W.ADMIN_X_UIPSEC_TEXT:
      return reply(h, 0, Buffer.from(JSON.stringify(await runTextCommand(t, body))));
    default:
      c.log('error', `invalid command: ${cmd}`);
      return reply(h, E.EOPNOTSUPP);
  }
}

function deleteSa(c: AdminContext, h: W.AdminHeader, body: Uint8Array): AdminOutcome {
  if (h.proto !== W.ADMIN_PROTO_ISAKMP) return reply(h, E.EOPNOTSUPP);
  const ix = W.decodeIndexes(body);
  if (!ix.dst) return reply(h, E.EINVAL);
  c.log('info', `admin delete-sa ${ix.src ? formatAddr(ix.src.addr) : 'anonymous'} ${formatAddr(ix.dst.addr)}`);
  return reply(h, c.target.deleteIsakmp(ix.dst.addr) ? 0 : E.ENOENT);
}

function establishSa(c: AdminContext, h: W.AdminHeader, body: Uint8Array, version: number): AdminOutcome {
  if (h.proto !== W.ADMIN_PROTO_ISAKMP) return reply(h, E.EOPNOTSUPP);
  const ix = W.decodeIndexes(body);
  if (!ix.src || !ix.dst) return reply(h, E.EINVAL);
  // establish-sa -u USER: the login and password follow; checked for shape, never logged. The XAuth client
  // logs in with the remote's xauth_login and psk.txt (docs/commands/racoonctl.md).
  if ((h.cmd & ~W.ADMIN_FLAG_VERSION) === W.ADMIN_ESTABLISH_SA_PSK)
    W.decodePsk(body.subarray(W.INDEXES_LEN)).password.fill(0);
  const dst = ix.dst.addr;
  const had = [...c.target.ph1s.values()].find((p) => p.remote.addr.length === dst.length && sameAddr(p, dst));
  if (had?.state === 'established') return reply(h, E.EEXIST);
  if (!had) c.log('info', `accept a request to establish IKE-SA: ${formatAddr(dst)}`);
  // vpn-connect leaves the source unspecified: the address our policies use toward the gateway, else the
  // routing source (Racoon.vpnSource).
  const local = ix.src.addr.every((b) => b === 0) ? c.target.vpnSource?.(dst) : ix.src.addr;
  if (!had && !local) {
    c.log('error', `vpn-connect ${formatAddr(dst)}: no source address (no policy toward it, no route to it)`);
    return reply(h, E.ENETUNREACH);
  }
  const ph1 = had ?? c.target.establishIsakmp(local!, dst);
  if (!ph1) {
    c.log('error', `no configuration found for ${formatAddr(dst)}`);
    return reply(h, E.ENOENT);
  }
  return version >= 1 ? { ...reply(h, 0), subscribe: { peer: dst } } : reply(h, 0);
}

function sameAddr(p: Phase1, a: Uint8Array): boolean {
  return p.remote.addr.every((b, i) => b === a[i]);
}

function deleteAllSaDst(c: AdminContext, h: W.AdminHeader, body: Uint8Array): AdminOutcome {
  const ix = W.decodeIndexes(body);
  const dst = ix.dst?.addr;
  if (!dst) return reply(h, E.EINVAL);
  c.log('info', `Flushing all SAs for peer ${formatAddr(dst)}`);
  // The reply first, then the subscription, then the deletes: the client reads the reply, then the
  // EVT_PHASE1_DOWN it waits for (with no phase 1 to delete the connection ends).
  return {
    ...reply(h, 0),
    subscribe: { peer: dst },
    after: async () => (await c.target.vpnDisconnect(dst)).ph1 > 0,
  };
}

async function logoutUser(c: AdminContext, h: W.AdminHeader, body: Uint8Array): Promise<AdminOutcome> {
  if (body.length > W.LOGINLEN) {
    c.log('error', 'malformed message (login too long)');
    return reply(h, E.EINVAL);
  }
  const user = Buffer.from(body.subarray(0, body.indexOf(0) < 0 ? body.length : body.indexOf(0))).toString('utf8');
  const peers = [...c.target.ph1s.values()].filter((p) => p.cfg?.user === user).map((p) => p.remote.addr);
  let n = 0;
  for (const a of peers) n += (await c.target.vpnDisconnect(a)).ph1;
  c.log('info', `deleted ${n} SA for user "${user}"`);
  return reply(h, 0);
}
