// What a Host is built from (HostOptions) and what it tells its PF_KEY side (HostEvent): kernel/host/host.ts.
import type { Clock } from '../../common/clock.js';
import type { Rng } from '../../common/rng.js';
import type { Logger } from '../../common/log.js';
import type { SpdOptions, ExpireReason as SpdExpireReason } from '../spd/spd.js';
import type { ExpireReason } from '../sad/sad.js';
import type { Policy } from '../spd/policy.js';
import type { SecAssoc } from '../sad/secassoc.js';
import type { AcquireOptions } from '../sad/acquire.js';
import type { AcquireEvent } from '../ipsec/output.js';
import type { ReassemblerOptions } from '../ip/reassembly.js';

/** What the host tells its PF_KEY side (keysock) and tests. */
export type HostEvent =
  | AcquireEvent
  | { type: 'expire'; kind: 'soft'; sa: SecAssoc; reason: ExpireReason; used: boolean }
  | { type: 'expire'; kind: 'hard'; sa: SecAssoc; reason: ExpireReason }
  | { type: 'larval-expired'; sa: SecAssoc }
  | { type: 'spd-expire'; policy: Policy; reason: SpdExpireReason };

export interface HostOptions {
  name: string;
  clock?: Clock;
  rng?: Rng;
  log?: Logger;
  /** Forward packets not addressed to this host (net.inet.ip.forwarding). */
  forwarding?: boolean;
  spd?: Omit<SpdOptions, 'clock'>;
  /** KAME net.key.preferred_oldsa. */
  preferOldSa?: boolean;
  reassembly?: Omit<ReassemblerOptions, 'clock'>;
  acquire?: AcquireOptions;
  /** UDP ports that carry ESP-in-UDP (RFC 3948); default [4500]. */
  nattPorts?: number[];
  /**
   * TUN mode (uipsecd --tun, kernel/daemon/tun-mode.ts): where a packet that arrived through IPsec goes when
   * this host has no consumer for it (TCP, a UDP port no host socket holds, ICMP the host does not answer
   * itself, or a destination beyond the host): the machine's kernel, which delivers or forwards it. Called
   * after the inbound policy check; returns false if it could not take the packet.
   */
  upperDelivery?: (packet: Uint8Array) => boolean;
}
