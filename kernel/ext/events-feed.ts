// What the host feeds its event bus (events.ts) from what it already knows: its PF_KEY-side HostEvents
// (ACQUIRE, EXPIRE, SPD expiry), SAD and SPD changes, and interface changes. Each function is called only when
// the bus is active, so a host nobody listens to builds none of these objects. SAs are described without keys.
import { formatAddr, formatPrefix } from '../../common/inet.js';
import type { SecAssoc } from '../sad/secassoc.js';
import type { Policy } from '../spd/policy.js';
import type { Interface } from '../host/iface.js';
import type { HostEvent } from '../host/host-options.js';
import { KEV_INET6_SUBCLASS, KEV_INET_SUBCLASS, type KernEventBus, type KevPolicy, type KevSa } from './events.js';

/** An SA for an event: who, what, which algorithms, never its keys. */
export function kevSa(sa: SecAssoc): KevSa {
  const out: KevSa = {
    proto: sa.proto,
    mode: sa.mode,
    src: formatAddr(sa.src),
    dst: formatAddr(sa.dst),
    spi: '0x' + (sa.spi >>> 0).toString(16),
    reqid: sa.reqid,
    state: sa.state,
  };
  if (sa.encAlg) out.enc = sa.encAlg.name;
  if (sa.authAlg) out.auth = sa.authAlg.name;
  if (sa.compAlg) out.comp = sa.compAlg.name;
  return out;
}

/** A policy for an event, its requests as setkey writes them. */
export function kevPolicy(p: Policy): KevPolicy {
  return {
    id: p.id,
    dir: p.dir,
    src: formatPrefix(p.selector.src),
    dst: formatPrefix(p.selector.dst),
    proto: p.selector.proto,
    action: p.action,
    priority: p.priority,
    requests: p.requests.map(
      (r) => `${r.proto}/${r.mode}/${r.src && r.dst ? `${formatAddr(r.src)}-${formatAddr(r.dst)}` : ''}/${r.level}`,
    ),
  };
}

/** A PF_KEY-side event of the host (host.ts HostEvent) as a kernel event. */
export function postHostEvent(bus: KernEventBus, ev: HostEvent): void {
  if (ev.type === 'acquire') {
    const x = ev.saidx;
    bus.post({
      name: 'acquire',
      seq: ev.seq,
      policyId: ev.policyId,
      proto: x.proto,
      mode: x.mode,
      src: formatAddr(x.src),
      dst: formatAddr(x.dst),
      reqid: x.reqid,
    });
  } else if (ev.type === 'expire') {
    bus.post({ name: 'sa-expired', kind: ev.kind, reason: ev.reason, sa: kevSa(ev.sa) });
  } else if (ev.type === 'larval-expired') {
    bus.post({ name: 'sa-expired', kind: 'larval', reason: 'larval lifetime', sa: kevSa(ev.sa) });
  } else {
    bus.post({ name: 'policy-expired', reason: ev.reason, policy: kevPolicy(ev.policy) });
  }
}

/** SAD change (sad.ts SadOptions.onChange). */
export function postSaChange(bus: KernEventBus, kind: 'added' | 'deleted', sa: SecAssoc): void {
  bus.post(kind === 'added' ? { name: 'sa-added', sa: kevSa(sa) } : { name: 'sa-deleted', sa: kevSa(sa) });
}

/** SPD change (spd.ts Spd.onChange). */
export function postPolicyChange(bus: KernEventBus, kind: 'added' | 'changed' | 'deleted', p: Policy): void {
  const policy = kevPolicy(p);
  if (kind === 'added') bus.post({ name: 'policy-added', policy });
  else if (kind === 'changed') bus.post({ name: 'policy-changed', policy });
  else bus.post({ name: 'policy-deleted', policy });
}

/** KEV_INET_NEW_ADDR / KEV_INET_ADDR_DELETED, or the KEV_INET6_SUBCLASS codes for an IPv6 address (`a/len`). */
export function postAddr(bus: KernEventBus, kind: 'added' | 'deleted', ifname: string, addr: string): void {
  const sub = addr.includes(':') ? KEV_INET6_SUBCLASS : KEV_INET_SUBCLASS;
  bus.post({ name: kind === 'added' ? 'addr-added' : 'addr-deleted', ifname, addr }, sub);
}

/**
 * An interface's up/down and address changes, when the interface reports them (Interface.watch, which the
 * interface filters of kernel/ext bring): the names are those of Interface's IfEvent.
 */
interface WatchableInterface {
  watch?(fn: (ev: { type: string; ifname: string; address?: string }) => void): () => void;
}

/**
 * At attach: KEV_DL_IF_ATTACHED and its addresses (if anyone listens); then its changes as they come, up to
 * KEV_DL_IF_DETACHED (after its KEV_INET_ADDR_DELETED ones) when it leaves (Host.removeInterface).
 */
export function feedInterface(bus: KernEventBus, ifc: Interface): void {
  if (bus.active) {
    bus.post({ name: 'if-attached', ifname: ifc.name, mtu: ifc.mtu });
    for (const a of ifc.addrs) postAddr(bus, 'added', ifc.name, formatPrefix({ ...a.prefix, addr: a.addr }));
  }
  (ifc as WatchableInterface).watch?.((ev) => {
    if (!bus.active) return;
    if (ev.type === 'up' || ev.type === 'down')
      bus.post({ name: ev.type === 'up' ? 'link-on' : 'link-off', ifname: ev.ifname });
    else if (ev.type === 'detached') bus.post({ name: 'if-detached', ifname: ev.ifname });
    else if (ev.address !== undefined)
      postAddr(bus, ev.type === 'address-added' ? 'added' : 'deleted', ev.ifname, ev.address);
  });
}
