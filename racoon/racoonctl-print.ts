// What racoonctl prints for racoon's replies and events, in ipsec-tools racoonctl.c's formats (dump_isakmp_sa
// with its three widths, print_evt, print_cfg, print_schedule), and the same data as JSON for scripts.
import { formatAddr } from '../common/inet.js';
import * as W from './admin-wire.js';

/** racoonctl.c evtmsg: the text of each event. */
export const EVENT_TEXT: Readonly<Record<number, string>> = {
  [W.EVT_RACOON_QUIT]: 'Racoon terminated',
  [W.EVT_PHASE1_UP]: 'Phase 1 established',
  [W.EVT_PHASE1_DOWN]: 'Phase 1 deleted',
  [W.EVT_PHASE1_NO_RESPONSE]: 'Phase 1 error: peer not responding',
  [W.EVT_PHASE1_NO_PROPOSAL]: 'Phase 1 error: no proposal chosen',
  [W.EVT_PHASE1_AUTH_FAILED]: 'Phase 1 error: authentication failed (bad certificate?)',
  [W.EVT_PHASE1_DPD_TIMEOUT]: 'Phase 1 error: dead peer detected',
  [W.EVT_PHASE1_MODE_CFG]: 'Phase 1 mode configuration done',
  [W.EVT_PHASE1_XAUTH_SUCCESS]: 'Phase 1 Xauth succeeded',
  [W.EVT_PHASE1_XAUTH_FAILED]: 'Phase 1 Xauth failed',
  [W.EVT_PHASE2_NO_PHASE1]: 'Phase 2 error: no suitable phase 1',
  [W.EVT_PHASE2_UP]: 'Phase 2 established',
  [W.EVT_PHASE2_DOWN]: 'Phase 2 deleted',
  [W.EVT_PHASE2_NO_RESPONSE]: 'Phase 2 error: no response',
};

/** Events after which a waiting establish-sa -w / vpn-connect has failed. */
export const FAILURE_EVENTS: ReadonlySet<number> = new Set([
  W.EVT_RACOON_QUIT,
  W.EVT_PHASE1_DOWN,
  W.EVT_PHASE1_NO_RESPONSE,
  W.EVT_PHASE1_NO_PROPOSAL,
  W.EVT_PHASE1_AUTH_FAILED,
  W.EVT_PHASE1_DPD_TIMEOUT,
  W.EVT_PHASE1_XAUTH_FAILED,
  W.EVT_PHASE2_NO_PHASE1,
  W.EVT_PHASE2_NO_RESPONSE,
]);

/** sockmisc.c saddr2str: `ADDR[PORT]`, "anonymous" for none. */
export function saddr(a: W.SockAddr | undefined): string {
  return a ? `${formatAddr(a.addr)}[${a.port}]` : 'anonymous';
}

/** racoonctl fixed_addr: `ADDR.PORT` cut and padded to `len` columns. */
function fixedAddr(a: W.SockAddr, len: number): string {
  const port = String(a.port);
  return (formatAddr(a.addr).slice(0, len - port.length - 1) + '.' + port).padEnd(len);
}

const pad2 = (n: number) => String(n).padStart(2, '0');

/** strftime "%Y-%m-%d %T" in local time, as racoonctl prints a creation time. */
export function localTime(sec: number): string {
  const d = new Date(sec * 1000);
  const date = `${d.getFullYear()}-${pad2(d.getMonth() + 1)}-${pad2(d.getDate())}`;
  return `${date} ${pad2(d.getHours())}:${pad2(d.getMinutes())}:${pad2(d.getSeconds())}`;
}

const hex = (b: Uint8Array) => Buffer.from(b).toString('hex');

/** racoonctl.c estr: exchange types 1-5 by letter. */
const ESTR = ['', 'B', 'M', 'U', 'A', 'I'];

const HEADERS = [
  'Destination            Cookies                           Created',
  'Destination            Cookies                           ST S  V E Created             Phase2',
  'Source                                        Destination                                   Cookies                           ST S  V E Created             Phase2',
];

/** dump_isakmp_sa: the header and one line per phase 1; `long` is racoonctl's -l count (0, 1, 2+). */
export function formatIsakmp(ds: readonly W.Ph1Dump[], long: number): string {
  const lf = Math.min(long, 2);
  let out = HEADERS[lf]! + '\n';
  for (const d of ds) {
    let line = '';
    if (lf >= 2) line += fixedAddr(d.local, 45) + ' ';
    line += fixedAddr(d.remote, lf >= 2 ? 45 : 22) + ' ';
    line += `${hex(d.icookie)}:${hex(d.rcookie)} `;
    if (lf >= 1) {
      line += `${String(d.status).padStart(2)} ${d.side === 0 ? 'I' : 'R'} ${d.version.toString(16).padStart(2)} `;
      if (d.etype < ESTR.length) line += `${ESTR[d.etype]} `;
    }
    line += (d.created ? localTime(d.created) : ' '.repeat(19)) + ' ';
    if (lf >= 1) line += `${String(d.ph2cnt).padStart(6)} `;
    out += line + '\n';
  }
  return out;
}

/** print_evt: `TEXT : SRC[PORT] -> DST[PORT]`. */
export function formatEvent(e: W.AdminEvent): string {
  const text = EVENT_TEXT[e.type];
  return `${text === undefined ? `Event ${e.type}:` : `${text} :`} ${saddr(e.src)} -> ${saddr(e.dst)}\n`;
}

/** print_cfg: the address mode config gave (INTERNAL_IP4_ADDRESS in the event's attributes). */
export function formatModeCfg(e: W.AdminEvent): string {
  const a = modeCfgAddress(e.attrs);
  return a ? `Bound to address ${formatAddr(a)}\n` : 'VPN connexion established\n';
}

/** INTERNAL_IP4_ADDRESS (type 1) among RFC 2408 data attributes, walked with lengths checked. */
export function modeCfgAddress(attrs: Uint8Array | undefined): Uint8Array | undefined {
  if (!attrs) return undefined;
  for (let p = 0; p + 4 <= attrs.length;) {
    const type = (attrs[p]! << 8) | attrs[p + 1]!;
    const lorv = (attrs[p + 2]! << 8) | attrs[p + 3]!;
    if (type & 0x8000) {
      p += 4;
      continue;
    }
    if (p + 4 + lorv > attrs.length) return undefined;
    if (type === 1 && lorv >= 4) return attrs.slice(p + 4, p + 8);
    p += 4 + lorv;
  }
  return undefined;
}

/** --json: a phase 1 as an object. */
export function ph1Json(d: W.Ph1Dump): object {
  return {
    local: saddr(d.local),
    remote: saddr(d.remote),
    cookies: `${hex(d.icookie)}:${hex(d.rcookie)}`,
    status: d.status,
    side: d.side === 0 ? 'initiator' : 'responder',
    version: d.version,
    exchange: d.etype,
    created: d.created,
    phase2: d.ph2cnt,
  };
}

/** --json: an event as an object. */
export function eventJson(e: W.AdminEvent): object {
  const address = e.type === W.EVT_PHASE1_MODE_CFG ? modeCfgAddress(e.attrs) : undefined;
  return {
    event: EVENT_TEXT[e.type] ?? `Event ${e.type}`,
    type: e.type,
    time: e.timestamp,
    src: e.src ? saddr(e.src) : null,
    dst: e.dst ? saddr(e.dst) : null,
    ...(e.ph2msgid ? { msgid: e.ph2msgid } : {}),
    ...(address ? { address: formatAddr(address) } : {}),
  };
}
