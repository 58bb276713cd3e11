// racoonctl's command line to an admin request (ipsec-tools racoonctl.c get_combuf and its f_* builders):
// which command, its ac_proto and body, and which event ends the wait when the command waits for one.
import { parseAddr } from '../common/inet.js';
import * as W from './admin-wire.js';

export class UsageError extends Error {}

export interface CtlRequest {
  /** The long command name (for messages and --json). */
  name: string;
  cmd: number;
  proto: number;
  body?: Uint8Array;
  /** After the reply, read events: until this type (a number), forever (-1: show-event), or not at all. */
  until?: number;
  /** uipsec's text command (ADMIN_X_UIPSEC_TEXT). */
  text?: { cmd: string; args: string[] };
  /** vpn-connect/establish-sa: the gateway, to say which phase 1 failed. */
  peer?: string;
}

const PROTOS: Readonly<Record<string, number>> = {
  isakmp: W.ADMIN_PROTO_ISAKMP,
  ipsec: W.ADMIN_PROTO_IPSEC,
  ah: W.ADMIN_PROTO_AH,
  esp: W.ADMIN_PROTO_ESP,
};

/** racoonctl.c ulprototab (IPSEC_ULPROTO_ANY is 255). */
const ULPROTOS: Readonly<Record<string, number>> = { icmp: 1, tcp: 6, udp: 17, gre: 47, any: 255 };

/** The commands and their short names (the completion test reads this list). */
export const RACOONCTL_COMMANDS: readonly string[] = [
  'show-sa',
  'ss',
  'flush-sa',
  'fs',
  'delete-sa',
  'ds',
  'establish-sa',
  'es',
  'vpn-connect',
  'vc',
  'vpn-disconnect',
  'vd',
  'show-event',
  'se',
  'logout-user',
  'lu',
  'show-schedule',
  'sc',
  'reload-config',
  'rc',
  'show-stats',
];

function proto(s: string | undefined): number {
  const p = s === undefined ? undefined : PROTOS[s];
  if (p === undefined) throw new UsageError(s === undefined ? 'insufficient arguments' : `unknown protocol ${s}`);
  return p;
}

/** `ADDR[/PREFIX][[PORT]]` (racoonctl get_comindex); names are not resolved. */
function endpoint(s: string, family: 'inet' | 'inet6'): { addr: Uint8Array; port: number; pref?: number } {
  const m = /^([^/[\]]+)(?:\/(\d{1,3}))?(?:\[(\d{1,5})\])?$/.exec(s);
  const addr = m ? parseAddr(m[1]!) : undefined;
  if (!m || !addr || addr.length !== (family === 'inet' ? 4 : 16))
    throw new UsageError(`'${s}' is not an ${family} address (ADDRESS[/PREFIX][[PORT]])`);
  const port = m[3] === undefined ? 0 : Number(m[3]);
  const pref = m[2] === undefined ? undefined : Number(m[2]);
  if (port > 65535 || (pref !== undefined && pref > addr.length * 8))
    throw new UsageError(`bad port or prefix in '${s}'`);
  return { addr, port, pref };
}

/** racoonctl get_index: `{inet|inet6} SRC DST [UL_PROTO]`. */
export function indexes(av: readonly string[]): Uint8Array {
  if (av.length !== 3 && av.length !== 4) throw new UsageError('expected {inet|inet6} SRC DST [ul_proto]');
  const fam = av[0];
  if (fam !== 'inet' && fam !== 'inet6') throw new UsageError(`unknown family '${fam}' (inet or inet6)`);
  const src = endpoint(av[1]!, fam);
  const dst = endpoint(av[2]!, fam);
  const ul = av[3] === undefined ? 0 : ULPROTOS[av[3]];
  if (ul === undefined) throw new UsageError(`unknown upper-layer protocol '${av[3]}'`);
  const full = src.addr.length * 8;
  return W.encodeIndexes({ prefs: src.pref ?? full, prefd: dst.pref ?? full, ulProto: ul, src, dst });
}

/** establish-sa [-u LOGIN] [-n REMOTE] [-w] PROTO FAMILY SRC DST; the password comes from `password()`. */
function establish(av: string[], password: () => string): CtlRequest {
  let login: string | undefined;
  let name: string | undefined;
  let wait = false;
  if (av[0] === '-u') {
    if (av.length < 2) throw new UsageError('-u require an argument');
    login = av[1];
    av = av.slice(2);
  }
  if (av[0] === '-n' && av.length >= 2) {
    name = av[1];
    av = av.slice(2);
  }
  if (av[0] === '-w') {
    wait = true;
    av = av.slice(1);
  }
  const p = proto(av[0]);
  if (p !== W.ADMIN_PROTO_ISAKMP && p !== W.ADMIN_PROTO_ESP && p !== W.ADMIN_PROTO_AH)
    throw new UsageError(`establish-sa: protocol isakmp, esp or ah`);
  const ix = indexes(av.slice(1));
  let body: Uint8Array = ix;
  if (login !== undefined) body = Buffer.concat([ix, W.encodePsk(login, password())]);
  else if (name !== undefined && p === W.ADMIN_PROTO_ISAKMP) body = Buffer.concat([ix, Buffer.from(name + '\0')]);
  const cmd = login !== undefined ? W.ADMIN_ESTABLISH_SA_PSK : W.ADMIN_ESTABLISH_SA;
  const until = wait ? (p === W.ADMIN_PROTO_ISAKMP ? W.EVT_PHASE1_MODE_CFG : W.EVT_PHASE2_UP) : undefined;
  return { name: 'establish-sa', cmd, proto: p, body, until, peer: av[3] };
}

/** The request for a command line (after the general options). */
export function buildRequest(args: readonly string[], password: () => string = () => ''): CtlRequest {
  const [c, ...av] = args;
  switch (c) {
    case 'reload-config':
    case 'rc':
      return { name: 'reload-config', cmd: W.ADMIN_RELOAD_CONF, proto: 0 };
    case 'show-schedule':
    case 'sc':
      return { name: 'show-schedule', cmd: W.ADMIN_SHOW_SCHED, proto: 0 };
    case 'show-event':
    case 'se':
      return { name: 'show-event', cmd: W.ADMIN_SHOW_EVT, proto: 0, until: -1 };
    case 'show-sa':
    case 'ss':
      if (av[0] === 'ike' || av[0] === 'ikev2')
        return { name: 'show-sa', cmd: W.ADMIN_X_UIPSEC_TEXT, proto: 0, text: { cmd: 'show-ike', args: [] } };
      if (av.length !== 1) throw new UsageError('insufficient arguments');
      return { name: 'show-sa', cmd: W.ADMIN_SHOW_SA, proto: proto(av[0]) };
    case 'flush-sa':
    case 'fs':
      if (av.length !== 1) throw new UsageError('insufficient arguments');
      return { name: 'flush-sa', cmd: W.ADMIN_FLUSH_SA, proto: proto(av[0]) };
    case 'delete-sa':
    case 'ds':
      return { name: 'delete-sa', cmd: W.ADMIN_DELETE_SA, proto: proto(av[0]), body: indexes(av.slice(1)) };
    case 'establish-sa':
    case 'es':
      return establish([...av], password);
    case 'vpn-connect':
    case 'vc':
      return vpnConnect([...av], password);
    case 'vpn-disconnect':
    case 'vd': {
      const gw = gateway(av);
      const r = indexes([gw.length === 4 ? 'inet' : 'inet6', gw.length === 4 ? '0.0.0.0' : '::', av[0]!]);
      return {
        name: 'vpn-disconnect',
        cmd: W.ADMIN_DELETE_ALL_SA_DST,
        proto: W.ADMIN_PROTO_ISAKMP,
        body: r,
        until: W.EVT_PHASE1_DOWN,
      };
    }
    case 'logout-user':
    case 'lu': {
      const u = av[0];
      if (u === undefined) throw new UsageError('insufficient arguments');
      if (Buffer.byteLength(u) > W.LOGINLEN) throw new UsageError('bad login (too long?)');
      return { name: 'logout-user', cmd: W.ADMIN_LOGOUT_USER, proto: 0, body: Buffer.from(u) };
    }
    case 'show-stats':
      return { name: 'show-stats', cmd: W.ADMIN_X_UIPSEC_TEXT, proto: 0, text: { cmd: 'show-stats', args: [] } };
    default:
      throw new UsageError(c === undefined ? 'no command given' : `unknown command '${c}'`);
  }
}

function gateway(av: readonly string[]): Uint8Array {
  const gw = av[0] === undefined ? undefined : parseAddr(av[0]);
  if (!gw) throw new UsageError(av[0] === undefined ? 'VPN gateway required' : `'${av[0]}' is not an address`);
  return gw;
}

/**
 * vpn-connect [-u LOGIN] GATEWAY: establish-sa isakmp from our address toward it, waiting for the mode config
 * event. The source is left unspecified (0.0.0.0): racoon takes the address its policies use toward the
 * gateway (ipsec-tools asks the kernel's routing, which a userland stack does not decide).
 */
function vpnConnect(av: string[], password: () => string): CtlRequest {
  const u = av[0] === '-u' ? av.slice(0, 2) : [];
  const gw = gateway(av.slice(u.length));
  const fam = gw.length === 4 ? 'inet' : 'inet6';
  const r = establish([...u, 'isakmp', fam, fam === 'inet' ? '0.0.0.0' : '::', av[u.length]!], password);
  return { ...r, name: 'vpn-connect', until: W.EVT_PHASE1_MODE_CFG };
}
