// Kernel events (Darwin's SYSPROTO_EVENT, sys/kern_event.h): a host posts typed events — interface attach,
// link on/off, address changes, SA added/expired/deleted, policy changes, ACQUIRE — and subscribers receive the
// ones their vendor/class/subclass filter selects, as a PF_SYSTEM event socket does after SIOCSKEVFILT. Network
// events keep Darwin's numbers (KEV_VENDOR_APPLE, KEV_NETWORK_CLASS, net/net_kev.h subclasses and codes); Darwin
// has no SA or policy events, so those are ours, under vendor "org.uipsec". Posting costs one property read when
// nobody listens (`active`): the feeders (events-feed.ts) build nothing until then. A subscriber that throws is
// counted and logged by the bus's owner, never allowed to break the poster.

/** sys/kern_event.h: 0 in a filter field means "any". */
export const KEV_ANY_VENDOR = 0;
export const KEV_ANY_CLASS = 0;
export const KEV_ANY_SUBCLASS = 0;
export const KEV_VENDOR_APPLE = 1;
/** Our vendor code ("org.uipsec"); Darwin hands out such codes with kev_vendor_code_find, we fix ours. */
export const KEV_VENDOR_UIPSEC = 1000;
export const KEV_NETWORK_CLASS = 1;
/** net/net_kev.h subclasses of KEV_NETWORK_CLASS. */
export const KEV_INET_SUBCLASS = 1;
export const KEV_DL_SUBCLASS = 2;
export const KEV_INET6_SUBCLASS = 6;
/** Ours (vendor org.uipsec): class IPsec, subclasses SA, SPD, ACQUIRE. */
export const KEV_IPSEC_CLASS = 1;
export const KEV_SA_SUBCLASS = 1;
export const KEV_SPD_SUBCLASS = 2;
export const KEV_ACQUIRE_SUBCLASS = 3;

/** An SA as events show it: identity, algorithms and state, never keys. */
export interface KevSa {
  proto: string;
  mode: string;
  src: string;
  dst: string;
  /** SPI (CPI for IPComp), hexadecimal as setkey -D prints it. */
  spi: string;
  reqid: number;
  state: string;
  enc?: string;
  auth?: string;
  comp?: string;
}

/** A policy as events show it (setkey -DP's fields). */
export interface KevPolicy {
  id: number;
  dir: string;
  src: string;
  dst: string;
  proto: number;
  action: string;
  priority: number;
  /** "esp/tunnel/A-B/require" per request, outermost last. */
  requests: string[];
}

/** What an event says, by name. */
export type KevPayload =
  | { name: 'if-attached'; ifname: string; mtu: number }
  | { name: 'if-detached'; ifname: string }
  | { name: 'link-on'; ifname: string }
  | { name: 'link-off'; ifname: string }
  | { name: 'addr-added'; ifname: string; addr: string }
  | { name: 'addr-deleted'; ifname: string; addr: string }
  | { name: 'sa-added'; sa: KevSa }
  | { name: 'sa-expired'; kind: 'soft' | 'hard' | 'larval'; reason: string; sa: KevSa }
  | { name: 'sa-deleted'; sa: KevSa }
  | { name: 'policy-added'; policy: KevPolicy }
  | { name: 'policy-changed'; policy: KevPolicy }
  | { name: 'policy-deleted'; policy: KevPolicy }
  | { name: 'policy-expired'; reason: string; policy: KevPolicy }
  | {
      name: 'acquire';
      seq: number;
      policyId: number;
      proto: string;
      mode: string;
      src: string;
      dst: string;
      reqid: number;
    };

export type KevName = KevPayload['name'];

/** kern_event_msg's header: where the event sits in the vendor/class/subclass tree, its code and id. */
export interface KevHeader {
  vendor: number;
  class: number;
  subclass: number;
  code: number;
  /** Monotonic per host (kern_event_msg.id). */
  id: number;
  /** Host clock, ms. */
  time: number;
}

export type KernEvent = KevHeader & KevPayload;

type Place = readonly [vendor: number, cls: number, subclass: number, code: number];
const NET = (sub: number, code: number): Place => [KEV_VENDOR_APPLE, KEV_NETWORK_CLASS, sub, code];
const IPSEC = (sub: number, code: number): Place => [KEV_VENDOR_UIPSEC, KEV_IPSEC_CLASS, sub, code];

/**
 * Every event's place. Interface and link events are Darwin's KEV_DL_IF_ATTACHED (9), KEV_DL_IF_DETACHED (11),
 * KEV_DL_LINK_OFF (12), KEV_DL_LINK_ON (13); address events KEV_INET_NEW_ADDR (1) / KEV_INET_ADDR_DELETED (3),
 * or their KEV_INET6_SUBCLASS twins (the feeder picks the subclass by family).
 */
export const KEV_PLACES: Readonly<Record<KevName, Place>> = {
  'if-attached': NET(KEV_DL_SUBCLASS, 9),
  'if-detached': NET(KEV_DL_SUBCLASS, 11),
  'link-off': NET(KEV_DL_SUBCLASS, 12),
  'link-on': NET(KEV_DL_SUBCLASS, 13),
  'addr-added': NET(KEV_INET_SUBCLASS, 1),
  'addr-deleted': NET(KEV_INET_SUBCLASS, 3),
  'sa-added': IPSEC(KEV_SA_SUBCLASS, 1),
  'sa-expired': IPSEC(KEV_SA_SUBCLASS, 2),
  'sa-deleted': IPSEC(KEV_SA_SUBCLASS, 3),
  'policy-added': IPSEC(KEV_SPD_SUBCLASS, 1),
  'policy-changed': IPSEC(KEV_SPD_SUBCLASS, 2),
  'policy-deleted': IPSEC(KEV_SPD_SUBCLASS, 3),
  'policy-expired': IPSEC(KEV_SPD_SUBCLASS, 4),
  acquire: IPSEC(KEV_ACQUIRE_SUBCLASS, 1),
};

/** kev_request (SIOCSKEVFILT): 0 = any; a class needs a vendor, a subclass a class, as in Darwin. */
export interface KevFilter {
  vendor?: number;
  class?: number;
  subclass?: number;
}

/** The filter names `uipsec events --class` accepts, as vendor/class/subclass triples. */
export const KEV_FILTER_NAMES: Readonly<Record<string, Required<KevFilter>>> = {
  all: { vendor: KEV_ANY_VENDOR, class: KEV_ANY_CLASS, subclass: KEV_ANY_SUBCLASS },
  network: { vendor: KEV_VENDOR_APPLE, class: KEV_NETWORK_CLASS, subclass: KEV_ANY_SUBCLASS },
  interface: { vendor: KEV_VENDOR_APPLE, class: KEV_NETWORK_CLASS, subclass: KEV_DL_SUBCLASS },
  inet: { vendor: KEV_VENDOR_APPLE, class: KEV_NETWORK_CLASS, subclass: KEV_INET_SUBCLASS },
  inet6: { vendor: KEV_VENDOR_APPLE, class: KEV_NETWORK_CLASS, subclass: KEV_INET6_SUBCLASS },
  ipsec: { vendor: KEV_VENDOR_UIPSEC, class: KEV_IPSEC_CLASS, subclass: KEV_ANY_SUBCLASS },
  sa: { vendor: KEV_VENDOR_UIPSEC, class: KEV_IPSEC_CLASS, subclass: KEV_SA_SUBCLASS },
  policy: { vendor: KEV_VENDOR_UIPSEC, class: KEV_IPSEC_CLASS, subclass: KEV_SPD_SUBCLASS },
  acquire: { vendor: KEV_VENDOR_UIPSEC, class: KEV_IPSEC_CLASS, subclass: KEV_ACQUIRE_SUBCLASS },
};

/** Why a filter is refused (EINVAL in Darwin's SIOCSKEVFILT), or undefined. */
export function checkKevFilter(f: KevFilter): string | undefined {
  const v = f.vendor ?? 0,
    c = f.class ?? 0,
    s = f.subclass ?? 0;
  for (const n of [v, c, s]) if (!Number.isInteger(n) || n < 0 || n > 0xffffffff) return 'filter fields are u32';
  if (c !== 0 && v === 0) return 'a class filter needs a vendor';
  if (s !== 0 && c === 0) return 'a subclass filter needs a class';
  return undefined;
}

/** Whether the event at `h` passes filter `f`. */
export function kevMatches(f: KevFilter, h: Pick<KevHeader, 'vendor' | 'class' | 'subclass'>): boolean {
  if (f.vendor && f.vendor !== h.vendor) return false;
  if (f.class && f.class !== h.class) return false;
  return !f.subclass || f.subclass === h.subclass;
}

/** A bus's limits and its error report (the host logs there). */
export interface KernEventBusOptions {
  clock?: { now(): number };
  /** Subscribers at once; past it subscribe throws ENOBUFS-like RangeError. Default 1024. */
  maxSubscribers?: number;
  onSubscriberError?: (e: unknown) => void;
}

interface Subscriber {
  filter: KevFilter;
  fn: (ev: KernEvent) => void;
}

export const KEV_MAX_SUBSCRIBERS = 1024;

/** One host's event bus (Darwin's kev_post_msg and the event sockets' list). */
export class KernEventBus {
  readonly stats = { posted: 0, delivered: 0, subscriberErrors: 0 };
  private readonly subs = new Set<Subscriber>();
  private nextId = 1;

  constructor(private readonly opts: KernEventBusOptions = {}) {}

  /** True when anyone listens: feeders test it before building an event. */
  get active(): boolean {
    return this.subs.size > 0;
  }

  get subscriberCount(): number {
    return this.subs.size;
  }

  /** Receive the events `filter` selects; returns the unsubscribe function. Throws on a bad filter or too many. */
  subscribe(filter: KevFilter, fn: (ev: KernEvent) => void): () => void {
    const bad = checkKevFilter(filter);
    if (bad) throw new RangeError(bad);
    if (this.subs.size >= (this.opts.maxSubscribers ?? KEV_MAX_SUBSCRIBERS))
      throw new RangeError('too many event subscribers');
    const s: Subscriber = { filter: { ...filter }, fn };
    this.subs.add(s);
    return () => {
      this.subs.delete(s);
    };
  }

  /** kev_post_msg: stamps the header and hands the event to every matching subscriber. */
  post(p: KevPayload, subclass?: number): void {
    if (this.subs.size === 0) return;
    const [vendor, cls, sub, code] = KEV_PLACES[p.name];
    const ev: KernEvent = {
      vendor,
      class: cls,
      subclass: subclass ?? sub,
      code,
      id: this.nextId++,
      time: this.opts.clock?.now() ?? Date.now(),
      ...p,
    };
    this.stats.posted++;
    for (const s of [...this.subs]) {
      if (!this.subs.has(s) || !kevMatches(s.filter, ev)) continue;
      try {
        s.fn(ev);
        this.stats.delivered++;
      } catch (e) {
        this.stats.subscriberErrors++;
        this.opts.onSubscriberError?.(e);
      }
    }
  }

  /** The host is closing: nobody hears anything more. */
  close(): void {
    this.subs.clear();
  }
}
