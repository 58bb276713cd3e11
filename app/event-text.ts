// One kernel event as a line for a person (`uipsec events` without --json): time, id, name, then the
// event's own fields in the order setkey and ifconfig print them. SAs never carry keys here.
import type { CtlEvent } from '../channel/ctl-client.js';

type Rec = Record<string, unknown>;

function sa(x: Rec): string {
  const algs = ['enc', 'auth', 'comp'].filter((k) => x[k]).map((k) => `${k} ${String(x[k])}`);
  return [
    `${String(x.proto)} ${String(x.mode)} ${String(x.src)}->${String(x.dst)} spi ${String(x.spi)}`,
    `reqid ${String(x.reqid)} ${String(x.state)}`,
    ...algs,
  ].join(' ');
}

function policy(x: Rec): string {
  const reqs = Array.isArray(x.requests) ? (x.requests as string[]).join(' ') : '';
  return `#${String(x.id)} ${String(x.src)}->${String(x.dst)} proto ${String(x.proto)} ${String(x.dir)} ${String(x.action)}${reqs ? ' ' + reqs : ''} priority ${String(x.priority)}`;
}

function details(ev: CtlEvent): string {
  const e = ev as Rec;
  if (e.sa) return `${e.kind ? `${String(e.kind)} (${String(e.reason)}) ` : ''}${sa(e.sa as Rec)}`;
  if (e.policy) return `${e.reason ? `(${String(e.reason)}) ` : ''}${policy(e.policy as Rec)}`;
  if (ev.name === 'acquire')
    return `${String(e.proto)} ${String(e.mode)} ${String(e.src)}->${String(e.dst)} reqid ${String(e.reqid)} seq ${String(e.seq)} policy #${String(e.policyId)}`;
  if (e.addr) return `${String(e.ifname)} ${String(e.addr)}`;
  return `${String(e.ifname)}${e.mtu ? ` mtu ${String(e.mtu)}` : ''}`;
}

export function formatEvent(ev: CtlEvent): string {
  const t = typeof ev.time === 'number' ? new Date(ev.time).toISOString().slice(11, 23) : '-';
  return `${t} #${ev.id} ${ev.name} ${details(ev)}`;
}
