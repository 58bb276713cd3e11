// What every extension hook shares: the verdict a filter returns, the extension counters, and the guard that
// calls extension code so that a throw is counted, logged (a bounded number of lines) and turned into a drop,
// never a crash of the host (an NKE that faults brings the whole kernel down; ours must not).
import type { Logger } from '../../common/log.js';
import type { PacketTags } from './mbuf-tag.js';

/**
 * What a packet filter returns (kpi_ipfilter.h ipf_input_func / ipf_output_func): `continue` (or nothing) passes
 * the packet on, `drop` frees it (a non-zero errno), `swallow` means the filter kept it (EJUSTRETURN) and may
 * inject it later, a Uint8Array replaces the packet for the filters after it and the stack (a changed mbuf).
 */
export type FilterVerdict = 'continue' | 'drop' | 'swallow' | Uint8Array | undefined | void;

/** The extension counters of one host (`host.extensions.stats`). */
export const EXT_STAT_NAMES = [
  'ipf_in_dropped',
  'ipf_in_swallowed',
  'ipf_out_dropped',
  'ipf_out_swallowed',
  'ipf_changed',
  'ipf_inject_in',
  'ipf_inject_out',
  'ipf_inject_noroute',
  'iflt_in_dropped',
  'iflt_out_dropped',
  'iflt_swallowed',
  'iflt_inject_in',
  'iflt_inject_out',
  'iflt_ifdown',
  'sflt_in_dropped',
  'sflt_out_dropped',
  'sflt_swallowed',
  'sflt_errors_returned',
  'sflt_inject_in',
  'sflt_inject_out',
  'proto_in',
  'proto_out',
  'ext_faults',
  'ext_bad_verdict',
] as const;
export type ExtStatName = (typeof EXT_STAT_NAMES)[number];

/** Log lines per faulting hook before it is only counted (a filter that throws on every packet floods nothing). */
const FAULT_LOG_LINES = 10;

export class ExtStats {
  private readonly v = new Map<ExtStatName, number>();
  bump(name: ExtStatName, by = 1): void {
    this.v.set(name, (this.v.get(name) ?? 0) + by);
  }
  get(name: ExtStatName): number {
    return this.v.get(name) ?? 0;
  }
  /** Non-zero counters. */
  snapshot(): Record<string, number> {
    return Object.fromEntries([...this.v].filter(([, n]) => n !== 0));
  }
}

/** One attached hook: who owns it (for the fault log) and how often it threw. */
export interface Hooked {
  readonly label: string;
  faults: number;
}

/** Where a guarded call reports. */
export interface GuardSink {
  readonly stats: ExtStats;
  readonly log: Logger;
  /** The host's packet tags: a changed packet keeps the tags of the one it replaces. */
  readonly tags?: PacketTags;
}

/** A hook threw: count it on the hook and the host, log the first few. The caller drops the packet. */
export function fault(sink: GuardSink, h: Hooked, where: string, e: unknown): void {
  h.faults++;
  sink.stats.bump('ext_faults');
  if (h.faults <= FAULT_LOG_LINES) {
    const why = e instanceof Error ? e.message : String(e);
    const more = h.faults === FAULT_LOG_LINES ? ' (further faults of this hook only counted)' : '';
    sink.log.log('warn', `extension ${h.label}: ${where} threw, packet dropped: ${why.slice(0, 200)}${more}`);
  }
}

/** Calls a notification hook (no verdict); a throw is counted and logged, never propagated. */
export function notify(sink: GuardSink, h: Hooked, where: string, fn: () => void): void {
  try {
    fn();
  } catch (e) {
    fault(sink, h, where, e);
  }
}
