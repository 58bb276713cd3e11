// uipsec's own admin commands, not in ipsec-tools (ADMIN_X_UIPSEC_TEXT, admin-wire.ts): `show-sa ike` (IKEv2
// SAs and their children) and `show-stats` (racoon's counters). The request body is JSON `{cmd, args}`, the
// reply body JSON `{ok, lines, error?}`; ipsec-tools' racoon answers this command EOPNOTSUPP.
/** What the text commands reach in the daemon. */
export interface TextTarget {
  /** The daemon's counters (engine/stats.ts). */
  readonly stats: object;
  /** IKEv2's own counters (ikev2/stats.ts), shown after the shared ones as `ikev2.NAME`. */
  readonly ikev2Stats?: object;
  /** IKEv2 SAs, each followed by its children indented. */
  showIkev2(): string[];
}

/** What the process adds: the configuration reload (SIGHUP's), absent when the daemon is embedded. */
export interface AdminProcess {
  reload?(): Promise<boolean>;
}

export interface TextRequest {
  cmd: string;
  args: string[];
}

export interface TextReply {
  ok: boolean;
  lines: string[];
  error?: string;
}

/** The text commands racoon answers (racoonctl sends these through ADMIN_X_UIPSEC_TEXT). */
export const TEXT_COMMANDS: readonly string[] = ['show-stats', 'show-ike'];

function parse(body: Uint8Array): TextRequest | undefined {
  try {
    const v = JSON.parse(Buffer.from(body).toString('utf8')) as TextRequest;
    if (typeof v.cmd === 'string' && Array.isArray(v.args) && v.args.every((a) => typeof a === 'string')) return v;
  } catch {
    /* answered below */
  }
  return undefined;
}

export async function runTextCommand(t: TextTarget, body: Uint8Array): Promise<TextReply> {
  const req = parse(body);
  if (!req) return { ok: false, lines: [], error: 'malformed request' };
  switch (req.cmd) {
    case 'show-ike':
      return { ok: true, lines: t.showIkev2() };
    case 'show-stats':
      // The counters that show an attack or a fault (docs/security.md), one `name value` a line.
      return {
        ok: true,
        lines: [
          ...Object.entries(t.stats).map(([k, v]) => `${k} ${String(v)}`),
          ...Object.entries(t.ikev2Stats ?? {}).map(([k, v]) => `ikev2.${k} ${String(v)}`),
        ],
      };
    default:
      return { ok: false, lines: [], error: `unknown command '${req.cmd}'` };
  }
}
