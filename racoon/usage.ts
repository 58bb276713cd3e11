// racoon(8) and racoonctl(8): usage lines, --help texts (with examples), the version line, and the hints
// printed with start-up errors (what to run or change, not just the errno). Option letters are ipsec-tools'.
import { existsSync, statSync } from 'node:fs';
import { dirname } from 'node:path';
import { SocketPathError } from '../common/socket-path.js';

export const RACOON_USAGE =
  'usage: racoon [-BdFv46] [-f file] [-l file] [-p port] [-P natt-port] [-C] [--socket path] [--ike-socket path]\n' +
  '       racoon -V | --version | -h | --help\n';

export const RACOON_HELP = `${RACOON_USAGE}
IKEv1 key management daemon (ipsec-tools racoon(8)): negotiates SAs for uipsecd's kernel over PF_KEY v2.

  -f FILE           racoon.conf (default /etc/racoon/racoon.conf)
  -F                stay in the foreground (racoon always does: Node cannot fork; use a service manager)
  -d, -v            debug / info logging (otherwise racoon.conf's log level)
  -l FILE           append the log to FILE instead of stderr
  -p PORT           IKE port (default 500, or racoon.conf's listen isakmp port)
  -P PORT           NAT-T port (default 4500)
  -C                check racoon.conf (and print "configuration OK"), then exit
  --socket PATH     uipsecd's PF_KEY socket (default $UIPSEC_PFKEY_SOCKET, else /var/run/uipsec/pfkey.sock)
  --ike-socket PATH uipsecd's IKE channel (default ike.sock beside the PF_KEY socket); without a uipsecd
                    channel racoon binds its own UDP sockets on the listen isakmp addresses
  -B, -4, -6        accepted for compatibility, no effect
  -V, --version     print the version and exit
  -h, --help        this text

The pre-shared key file (racoon.conf: path pre_shared_key) must be mode 0600 or stricter.

Examples:
  racoon -C -f racoon.conf                                  check a configuration
  racoon -F -f racoon.conf --socket /tmp/ua/pfkey.sock      next to a uipsecd (IKE through its channel)
  racoon -F -d -f racoon.conf -l /tmp/racoon.log            debug log to a file

Exit status: 0 clean stop (SIGINT/SIGTERM) or -C OK; 1 bad usage, configuration errors, unreadable key file,
no uipsecd.
`;

export const RACOONCTL_USAGE =
  'usage: racoonctl [-s socket] [-l] [-d] [--json] {show-sa|ss|flush-sa|fs} {isakmp|ike|esp|ah|ipsec}\n' +
  '       racoonctl [-s socket] {delete-sa|ds} isakmp {inet|inet6} SRC DST\n' +
  '       racoonctl [-s socket] {establish-sa|es} [-u USER] [-n REMOTE] [-w] isakmp {inet|inet6} SRC DST\n' +
  '       racoonctl [-s socket] {vpn-connect|vc [-u USER]|vpn-disconnect|vd} GATEWAY\n' +
  '       racoonctl [-s socket] {show-event|se|logout-user|lu USER|show-schedule|sc|reload-config|rc|show-stats}\n' +
  '       racoonctl -V | --version | -h | --help\n';

export const RACOONCTL_HELP = `${RACOONCTL_USAGE}
Controls a running racoon through its admin socket (ipsec-tools racoonctl(8), racoon's binary admin protocol).

  -s SOCKET         racoon's admin socket (default /var/racoon/racoon.sock; racoon.conf: listen { adminsock "PATH"; })
  -l                longer show-sa isakmp lines (twice: with the source address)
  -d                hex dump of the request sent (on stderr)
  --json            JSON output for scripts (show-sa, show-event: one object a line)
  -V, --version     print the version and exit
  -h, --help        this text

Commands:
  show-sa, ss     isakmp|ike|esp|ah|ipsec racoon's phase 1 SAs (ike: IKEv2), or the kernel's SAs as setkey -D
  flush-sa, fs    isakmp|esp|ah|ipsec     drop the phase 1 SAs, or flush the kernel's SAs of that type
  delete-sa, ds   isakmp inet SRC DST     delete the phase 1 with that peer (ISAKMP DELETE sent)
  establish-sa, es isakmp inet SRC DST    start a main mode from SRC to DST now (-w: wait until it is up)
  vpn-connect, vc GATEWAY                 start a main mode with GATEWAY and wait until it is up
  vpn-disconnect, vd GATEWAY              delete the SAs with GATEWAY and wait until they are gone
  show-event, se                          print racoon's events as they happen (until interrupted)
  logout-user, lu USER                    delete the SAs of an XAuth user
  show-schedule, sc                       racoon's scheduler entries (none are listed)
  reload-config, rc                       what SIGHUP does: racoon.conf and psk.txt read again
  show-stats                              racoon's counters (an attack shows in halfOpenEvicted and others)

Examples:
  racoonctl -s /tmp/ua/racoon.sock show-sa isakmp
  racoonctl -s /tmp/ua/racoon.sock ss esp
  racoonctl es -w isakmp inet 10.7.0.1 10.7.0.2
  racoonctl --json show-event

Exit status: 0 ok (establish-sa of an SA already up included); 1 bad usage, no racoon on the socket, or the
command failed (racoon's reason printed).
`;

export { versionLine } from '../common/version.js';

/** The errno name of a Node system error ('ENOENT'), or its message when it has none. */
export function errnoOf(e: unknown): string {
  const x = e as NodeJS.ErrnoException;
  return typeof x?.code === 'string' ? x.code : ((x as Error)?.message ?? String(e));
}

/** racoon cannot reach uipsecd's PF_KEY socket. */
export function noDaemonHint(path: string, e: unknown): string {
  return (
    `no uipsecd is listening on ${path} (${errnoOf(e)}).\n` +
    `Start one with \`uipsecd --socket ${path}\` (see \`uipsecd --help\`), or pass --socket PATH / set UIPSEC_PFKEY_SOCKET.`
  );
}

/** racoon cannot create its admin socket. */
export function adminSocketHint(path: string, e: unknown): string {
  const code = errnoOf(e);
  const dir = dirname(path);
  // Node reports a missing directory as EACCES for Unix sockets: say which it is.
  const why = !existsSync(dir)
    ? `directory ${dir} does not exist`
    : e instanceof SocketPathError
      ? e.problem
      : !statSync(dir).isDirectory()
        ? `${dir} is not a directory`
        : code === 'EACCES'
          ? 'permission denied'
          : code === 'EADDRINUSE'
            ? 'another racoon answers on it'
            : code;
  return (
    `cannot create the admin socket ${path} (${why}; ${code}).\n` +
    'Choose another path in racoon.conf: listen { adminsock "/tmp/racoon.sock"; }, or disable it: listen { adminsock disabled; }.'
  );
}

/** uipsecd's IKE channel refused our ports: with EADDRINUSE another racoon already serves that uipsecd. */
export function ikePortsHint(pfkeySocket: string, e: unknown): string {
  const msg = (e as Error).message;
  if (errnoOf(e) !== 'EADDRINUSE') return `cannot bind the IKE ports on uipsecd's channel: ${msg}`;
  return (
    `another racoon (or IKE daemon) already serves the uipsecd at ${pfkeySocket}: ${msg}.\n` +
    'One racoon per uipsecd: stop the other one first (its pid file, or `racoonctl` on its admin socket).'
  );
}

/** racoonctl cannot reach racoon's admin socket. */
export function noRacoonHint(path: string, e: unknown): string {
  const code = errnoOf(e);
  const why = code === 'ENOENT' || code === 'ECONNREFUSED' ? 'no racoon is listening' : 'cannot connect';
  return (
    `${why} on ${path} (${code}).\n` +
    'Start racoon (see `racoon --help`), or pass -s PATH: the adminsock path of its racoon.conf ' +
    '(listen { adminsock "PATH"; }).'
  );
}
