// The kernel controls part of `uipsec status` (docs/extensions-control.md): each control an extension registered
// in the daemon, with its connected clients (units) and what it enqueued to them, as the daemon's STATUS frame
// reports them (kernel/daemon/ike-server.ts controlsStatus). Like `netstat` for Darwin's kctl sockets: a
// control whose `dropped` grows has a client that does not read.
import { formatTable, section } from './table.js';

export interface ControlStatus {
  name: string;
  privileged: boolean;
  /** Connected clients now. */
  units: number;
  connects: number;
  refused: number;
  /** Messages enqueued to clients (ctl_enqueuedata). */
  queued: number;
  /** Messages refused for want of room (ENOBUFS): each time the slow client was dropped. */
  dropped: number;
  /** Callbacks that threw something other than an errno (extension bugs), counted. */
  errors: number;
}

export interface ControlsReport {
  controls: ControlStatus[];
  /** Controls registered, when more than were listed. */
  total: number;
}

const isObj = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);
const count = (v: unknown): number => (typeof v === 'number' && Number.isSafeInteger(v) && v >= 0 ? v : 0);

/** The controls of a STATUS frame, field by field; undefined from a daemon that does not report them. */
export function controlsFromStatus(list: unknown, total: unknown): ControlsReport | undefined {
  if (!Array.isArray(list)) return undefined;
  const controls = list
    .filter(isObj)
    .filter((c) => typeof c.name === 'string')
    .map((c) => ({
      name: (c.name as string).slice(0, 96),
      privileged: c.privileged === true,
      units: count(c.units),
      connects: count(c.connects),
      refused: count(c.refused),
      queued: count(c.queued),
      dropped: count(c.dropped),
      errors: count(c.errors),
    }));
  return { controls, total: Math.max(count(total), controls.length) };
}

/** The text section: one row per control (status shows it when a control is registered). */
export function formatControls(r: ControlsReport): string {
  let s = section(`Kernel controls (${r.total})`);
  s += formatTable(
    ['control', 'access', 'units', 'connects', 'refused', 'queued', 'dropped', 'errors'],
    r.controls.map((c) => [
      c.name,
      c.privileged ? 'privileged' : 'open',
      c.units,
      c.connects,
      c.refused,
      c.queued,
      c.dropped,
      c.errors,
    ]),
  );
  if (r.total > r.controls.length) s += `  ... ${r.total - r.controls.length} more\n`;
  return s;
}
