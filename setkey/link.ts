// setkey's PF_KEY connection (ipsec-tools setkey.c pfkey_open + sendkeymsg): to uipsecd's socket, or the
// `request` hook of an embedding, traced for -v/-H; and what to say when no uipsecd listens.
import type { PfkeyTransport } from '../pfkey/client.js';
import { encodeMessage, type PfkeyMessage } from '../pfkey/msg.js';
import { defaultSocketPath } from '../pfkey/transport-unix.js';
import { SocketPathError } from '../common/socket-path.js';
import type { Flags } from './options.js';
import { SetkeySession, type PfkeyTracer } from './session.js';
import { hexLines, kdebugSadb } from './kdebug.js';
import type { SetkeyIo } from './io.js';

/** An open PF_KEY connection as main uses it. */
export interface Link {
  request(m: PfkeyMessage): Promise<PfkeyMessage[]>;
  close(): void;
}

/** -v and -H output for one message (setkey.c sendkeymsg / kdebug_sadb). */
export function tracer(f: Flags, io: SetkeyIo): PfkeyTracer | undefined {
  if (!f.verbose && !f.hex) return undefined;
  return (dir, raw) => {
    if (f.verbose) io.out(`${kdebugSadb(raw)}\n`);
    if (f.hex && dir === 'send') io.out(hexLines(raw));
  };
}

function socketPath(f: Flags, io: SetkeyIo): string {
  return f.socket ?? defaultSocketPath(io.env ?? {});
}

function noDaemon(io: SetkeyIo, path: string, e: unknown): void {
  if (e instanceof SocketPathError) {
    io.err(`setkey: ${e.message}; nothing was sent\n`);
    return;
  }
  const why = (e as NodeJS.ErrnoException)?.code ?? (e as Error)?.message ?? String(e);
  io.err(
    `setkey: no uipsecd is listening on ${path} (${why}).\n` +
      `Start one with \`uipsecd --socket ${path}\` (see \`uipsecd --help\`), or pass --socket PATH / set UIPSEC_PFKEY_SOCKET.\n`,
  );
}

/** The PF_KEY socket the flags name, or undefined after saying that no uipsecd listens there. */
export async function connectSocket(
  f: Flags,
  io: SetkeyIo,
  connect: (path: string) => Promise<PfkeyTransport>,
): Promise<PfkeyTransport | undefined> {
  const path = socketPath(f, io);
  try {
    return await connect(path);
  } catch (e) {
    noDaemon(io, path, e);
    return undefined;
  }
}

/** Connects as the flags say; undefined (after printing why) when there is no kernel to talk to. */
export async function openLink(f: Flags, io: SetkeyIo): Promise<Link | undefined> {
  const trace = tracer(f, io);
  if (io.connect) {
    const t = await connectSocket(f, io, io.connect);
    if (!t) return undefined;
    const s = new SetkeySession(t, { pid: io.pid, tracer: trace });
    return { request: (m) => s.request(m), close: () => s.close() };
  }
  const req = io.request;
  if (!req) return undefined;
  if (!trace) return { request: req, close() {} };
  return {
    async request(m) {
      trace('send', encodeMessage(m));
      const rs = await req(m);
      for (const r of rs) trace('recv', encodeMessage(r));
      return rs;
    },
    close() {},
  };
}

/** Runs `fn` over a connection (closed afterwards); 1 when there is none. */
export async function withLink(
  f: Flags,
  io: SetkeyIo,
  fn: (link: Link | undefined) => Promise<number>,
): Promise<number> {
  if (io.execute) return fn(undefined);
  const link = await openLink(f, io);
  if (!link) {
    if (!io.connect) io.err('setkey: no PF_KEY connection (use -n to check the syntax only)\n');
    return 1;
  }
  try {
    return await fn(link);
  } finally {
    link.close();
  }
}
