// Listening on a Unix-domain socket path the way a daemon must: refuse to start over a live socket of
// another daemon (try to connect first), remove a stale one, create the parent directory (0700) or refuse one
// that others own or can write to, and make the socket file mode 0600 before anyone can connect. Errors say
// why in words (socket in use, permission, unsafe directory).
import { createConnection, createServer, type Server, type Socket } from 'node:net';
import { chmodSync, lstatSync, unlinkSync } from 'node:fs';
import { dirname } from 'node:path';
import { SocketPathError, prepareSocketDir } from '../../common/socket-path.js';

/** Why a listener could not start. */
export class ListenError extends Error {
  readonly code = 'ELISTEN';
  constructor(
    readonly path: string,
    readonly reason: 'in-use' | 'permission' | 'not-socket' | 'unsafe' | 'other',
    message: string,
  ) {
    super(message);
    this.name = 'ListenError';
  }
}

function isLive(path: string): Promise<boolean> {
  return new Promise((resolve) => {
    const c = createConnection(path);
    c.once('connect', () => {
      c.destroy();
      resolve(true);
    });
    c.once('error', () => resolve(false));
  });
}

function explain(path: string, e: NodeJS.ErrnoException): ListenError {
  if (e instanceof SocketPathError) return new ListenError(path, 'unsafe', e.message);
  if (e.code === 'EACCES' || e.code === 'EPERM' || e.code === 'EROFS') {
    return new ListenError(
      path,
      'permission',
      `cannot create ${path}: permission denied (${e.code}); run as root or choose --socket`,
    );
  }
  if (e.code === 'EADDRINUSE') return new ListenError(path, 'in-use', `${path} is in use by another process`);
  if (e.code === 'EEXIST' || e.code === 'ENOTDIR')
    return new ListenError(
      path,
      'other',
      `cannot create ${path}: ${dirname(path)} (or a directory above it) is a file, not a directory (${e.code})`,
    );
  return new ListenError(path, 'other', `cannot listen on ${path}: ${e.message}`);
}

/** Listens on `path` (mode 0600) and calls onConnection for every client. */
export async function listenUnix(path: string, onConnection: (s: Socket) => void): Promise<Server> {
  try {
    prepareSocketDir(path); // issue 11 item 3: a directory another user controls could swap our socket
  } catch (e) {
    throw explain(path, e as NodeJS.ErrnoException);
  }
  let st;
  try {
    st = lstatSync(path);
  } catch {
    st = undefined;
  }
  if (st) {
    if (!st.isSocket())
      throw new ListenError(path, 'not-socket', `${path} exists and is not a socket; refusing to replace it`);
    if (await isLive(path))
      throw new ListenError(path, 'in-use', `${path} is in use: another daemon is answering on it`);
    try {
      unlinkSync(path);
    } catch (e) {
      throw explain(path, e as NodeJS.ErrnoException);
    }
  }
  const server = createServer({ allowHalfOpen: false }, onConnection);
  await new Promise<void>((resolve, reject) => {
    server.once('error', (e) => reject(explain(path, e as NodeJS.ErrnoException)));
    // umask-independent: restrict before any client can connect, then chmod for certainty.
    const old = process.umask(0o177);
    try {
      server.listen(path, () => resolve());
    } finally {
      process.umask(old);
    }
  });
  chmodSync(path, 0o600);
  return server;
}

/** Closes the server, ends its clients and removes the socket file. */
export function closeUnix(server: Server, path: string, clients: Iterable<Socket>): Promise<void> {
  for (const c of clients) c.destroy();
  return new Promise((resolve) =>
    server.close(() => {
      try {
        unlinkSync(path);
      } catch {
        /* already gone */
      }
      resolve();
    }),
  );
}
