// racoon's admin events (ipsec-tools evt.c): what happens to phase 1s, pushed to racoonctl connections that
// asked for them (show-event; establish-sa -w, vpn-connect and vpn-disconnect wait for one). Bounded: a
// listener whose unsent events pass MAX_QUEUED_BYTES is dropped (racoon drops one whose send fails).
import { addrEqual } from '../common/inet.js';
import type { Phase1 } from './ikev1/handles.js';
import * as W from './admin-wire.js';

/** Where events go: a connection (admin.ts) or a test. `write` returns the bytes still queued on it. */
export interface EventSink {
  write(msg: Uint8Array): number;
  drop(): void;
}

interface Listener {
  sink: EventSink;
  /** Only the events of phase 1s with this peer (establish-sa / vpn-connect); all when absent. */
  peer?: Uint8Array;
}

/** Unsent event bytes one listener may hold: 64 plain events. */
export const MAX_QUEUED_BYTES = 64 * (W.ADMIN_COM_LEN + W.EVT_ASYNC_LEN);

export class AdminEvents {
  private readonly listeners = new Set<Listener>();
  /** Listeners dropped for not reading their events. */
  dropped = 0;

  constructor(private readonly now: () => number = () => Date.now()) {}

  get size(): number {
    return this.listeners.size;
  }

  subscribe(sink: EventSink, peer?: Uint8Array): () => void {
    const l: Listener = { sink, peer };
    this.listeners.add(l);
    return () => this.listeners.delete(l);
  }

  emit(type: number, src?: W.SockAddr, dst?: W.SockAddr, attrs?: Uint8Array, ph2msgid = 0): void {
    if (this.listeners.size === 0) return;
    const msg = W.encodeEventMessage({ type, timestamp: this.now() / 1000, src, dst, ph2msgid, attrs });
    for (const l of [...this.listeners]) {
      if (l.peer && !(dst && addrEqual(dst.addr, l.peer))) continue;
      if (l.sink.write(msg) > MAX_QUEUED_BYTES) {
        this.listeners.delete(l);
        this.dropped++;
        l.sink.drop();
      }
    }
  }

  phase1(type: number, ph1: Phase1, attrs?: Uint8Array): void {
    this.emit(type, ph1.local, ph1.remote, attrs);
  }

  /** Every listener told racoon is stopping (evt_generic EVT_RACOON_QUIT), then let go. */
  quit(): void {
    this.emit(W.EVT_RACOON_QUIT);
    for (const l of this.listeners) l.sink.drop();
    this.listeners.clear();
  }
}

/** INTERNAL_IP4_ADDRESS as a data attribute (RFC 2408 §3.3, draft-dukes-ike-mode-cfg §3.2), for print_cfg. */
export function modeCfgAttrs(addr4: Uint8Array | undefined): Uint8Array | undefined {
  if (!addr4 || addr4.length !== 4) return undefined;
  return Uint8Array.of(0, 1, 0, 4, ...addr4);
}

/** The IKEv1 side's hooks as racoon's events (isakmp.c, isakmp_inf.c); earlier hooks (scripts) still run. */
export interface Ikev1EventSource {
  readonly events: {
    phase1Up?(ph1: Phase1): void;
    phase1Dead?(ph1: Phase1): void;
  };
  readonly ph1: {
    readonly onRemoved: ((ph1: Phase1, wasEstablished: boolean, why: string) => void)[];
    readonly onEstablished: ((ph1: Phase1) => void)[];
  };
}

export function attachIkev1Events(v1: Ikev1EventSource, hub: AdminEvents): void {
  const ev = v1.events;
  const up = ev.phase1Up?.bind(ev);
  const dead = ev.phase1Dead?.bind(ev);
  ev.phase1Up = (ph1) => {
    up?.(ph1);
    hub.phase1(W.EVT_PHASE1_MODE_CFG, ph1, modeCfgAttrs(ph1.cfg?.result?.addr4 ?? ph1.cfg?.addr4));
  };
  ev.phase1Dead = (ph1) => {
    dead?.(ph1);
    hub.phase1(W.EVT_PHASE1_DPD_TIMEOUT, ph1);
  };
  v1.ph1.onEstablished.push((ph1) => hub.phase1(W.EVT_PHASE1_UP, ph1));
  v1.ph1.onRemoved.push((ph1, wasEstablished, why) => {
    const failed = wasEstablished ? undefined : failureEvent(why);
    if (failed !== undefined) hub.phase1(failed, ph1);
    hub.phase1(W.EVT_PHASE1_DOWN, ph1);
  });
}

/** Which racoon event a phase 1 that never came up ends with, from the reason the table gives. */
function failureEvent(why: string): number | undefined {
  if (/did not answer|timed out|time up/i.test(why)) return W.EVT_PHASE1_NO_RESPONSE;
  if (/proposal/i.test(why)) return W.EVT_PHASE1_NO_PROPOSAL;
  if (/xauth/i.test(why)) return W.EVT_PHASE1_XAUTH_FAILED;
  if (/auth|hash|signature|certificate|identit/i.test(why)) return W.EVT_PHASE1_AUTH_FAILED;
  return undefined; // flushed, deleted, evicted: EVT_PHASE1_DOWN alone
}
