// The setkey command line: ipsec-tools setkey.c getopt "acdf:HlnvxDFPphVrk?" (NetBSD's -h = -H), plus the
// long options uipsec adds (--json, --socket PATH, --help, --version), and the usage and help texts.

export interface Flags {
  mode?: 'stdin' | 'script' | 'dump' | 'flush' | 'promisc';
  file?: string;
  all: boolean;
  forever: boolean;
  notReally: boolean;
  policy: boolean;
  withPorts: boolean;
  version: boolean;
  /** -r (Linux RFC mode): `in` policies also installed as `fwd`; -k turns it off (the default here). */
  fwdCopies: boolean;
  /** -v: every PF_KEY message sent and received, decoded (kdebug_sadb). */
  verbose: boolean;
  /** -H / -h: hex dump of messages sent, and of messages seen by -x. */
  hex: boolean;
  /** Number of -x given: 1 prints `HH:MM:SS.usec` stamps, 2 or more `sec.usec` (setkey.c f_tflag). */
  promisc: number;
  /** --json: -D / -DP as a JSON array. */
  json: boolean;
  /** --socket PATH: uipsecd's PF_KEY socket. */
  socket?: string;
  help: boolean;
  files: string[];
}

export const USAGE =
  [
    'usage: setkey [-v] file ...',
    '       setkey [-nv] -c',
    '       setkey [-nv] -f filename',
    '       setkey [-Palpv] [--json] -D',
    '       setkey [-Pv] -F',
    '       setkey [-H] -x',
    '       setkey -V | --version | --help',
  ].join('\n') + '\n';

export const HELP = `${USAGE}
Manipulates the SAD and SPD of a uipsec kernel (uipsecd) over PF_KEY v2 (RFC 2367), as ipsec-tools setkey(8).

  -c            read statements from stdin, one statement per ';' (lines are joined as typed)
  -f FILE       read statements from FILE ('-' is stdin)
  -n            parse and check only; nothing is sent (no daemon needed)
  -D            dump the SAD; with -P the SPD.  -a also shows dead SAs, -p prints ports,
                -l re-dumps every second (short form for the SAD) until interrupted
  -F            flush the SAD; with -P the SPD
  -x            promiscuous monitor: print every PF_KEY message the kernel sees (-xx: raw timestamps)
  -v            decode every PF_KEY message sent and received (key_debug.c style)
  -H, -h        hex dump of the messages sent (and of those seen with -x)
  -r, -k        Linux RFC mode on/off: 'in' policies also installed as 'fwd' (off by default)
  -V, --version print the version and exit
  FILE ...      decode files of raw PF_KEY messages and print them as -D/-DP would
  --json        with -D/-DP: a JSON array of objects with the fields setkey prints
  --socket PATH uipsecd's socket (default $UIPSEC_PFKEY_SOCKET, else /var/run/uipsec/pfkey.sock)
  --help        this text

Examples:
  setkey -n -f /etc/ipsec.conf          check a script
  setkey -f /etc/ipsec.conf             load it into the running uipsecd
  echo 'add 10.0.0.1 10.0.0.2 esp 0x1000 -E aes-cbc 0x00112233445566778899aabbccddeeff;' | setkey -c
  setkey -D                             list the SAs;   setkey -DP   list the policies
  setkey -DP --json | jq '.[].dir'      policies for scripts
  setkey -x                             watch ACQUIRE / EXPIRE / ADD traffic
  setkey --socket /tmp/k.sock -F        flush the SAD of a daemon started with uipsecd --socket /tmp/k.sock
`;

function emptyFlags(): Flags {
  return {
    all: false,
    forever: false,
    notReally: false,
    policy: false,
    withPorts: false,
    version: false,
    fwdCopies: false,
    verbose: false,
    hex: false,
    promisc: 0,
    json: false,
    help: false,
    files: [],
  };
}

/** One short-option cluster such as `-DPp` or `-ffile`; returns the new index, or -1 on a bad option. */
function shortOpts(f: Flags, argv: readonly string[], i: number): number {
  const a = argv[i]!;
  for (let k = 1; k < a.length; k++) {
    const c = a[k]!;
    switch (c) {
      case 'c':
        f.mode = 'stdin';
        break;
      case 'f': {
        const arg = a.slice(k + 1) || argv[++i];
        if (arg === undefined) return -1;
        f.mode = 'script';
        f.file = arg;
        return i;
      }
      case 'D':
        f.mode = 'dump';
        break;
      case 'F':
        f.mode = 'flush';
        break;
      case 'x':
        f.mode = 'promisc';
        f.promisc++;
        break;
      case 'a':
        f.all = true;
        break;
      case 'l':
        f.forever = true;
        break;
      case 'n':
        f.notReally = true;
        break;
      case 'P':
        f.policy = true;
        break;
      case 'p':
        f.withPorts = true;
        break;
      case 'V':
        f.version = true;
        break;
      case 'r':
        f.fwdCopies = true;
        break;
      case 'k':
        f.fwdCopies = false;
        break;
      case 'v':
        f.verbose = true;
        break;
      case 'H':
      case 'h':
        f.hex = true;
        break;
      case 'd':
        break; // ipsec-tools accepts -d (debug) and ignores it
      default:
        return -1;
    }
  }
  return i;
}

/** getopt over "acdf:HlnvxDFPphVrk?" plus --json, --socket PATH|--socket=PATH, --help, --version; undefined on a bad option. */
export function parseArgs(argv: readonly string[]): Flags | undefined {
  const f = emptyFlags();
  let i = 0;
  for (; i < argv.length; i++) {
    const a = argv[i]!;
    if (a === '--') {
      i++;
      break;
    }
    if (a === '--json') {
      f.json = true;
      continue;
    }
    if (a === '--help') {
      f.help = true;
      continue;
    }
    if (a === '--version') {
      f.version = true;
      continue;
    }
    if (a === '--socket' || a.startsWith('--socket=')) {
      const v = a === '--socket' ? argv[++i] : a.slice('--socket='.length);
      if (v === undefined || v === '') return undefined;
      f.socket = v;
      continue;
    }
    if (a.startsWith('--')) return undefined;
    if (!a.startsWith('-') || a === '-') break;
    i = shortOpts(f, argv, i);
    if (i < 0) return undefined;
  }
  f.files = argv.slice(i) as string[];
  return f;
}
