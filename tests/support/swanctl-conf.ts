// swanctl.conf(5) and strongswan.conf(5) text for strongSwan 5.9 interop tests, built from plain objects, and
// the parser of `swanctl --list-sas --pretty` (the indented form of the VICI list-sa events). Pure: no process,
// no file. Used by tests/support/strongswan.ts (the charon harness); see there for the whole picture.

/** One authentication round (`local`/`remote` sections of swanctl.conf; `local-2` and so on for more). */
export interface SwanAuth {
  /** `psk`, `pubkey`, `rsa/...`, `xauth`, `eap-...` (swanctl.conf `auth`). */
  auth: string;
  /** IKE identity (an IP address, a FQDN, `@name`, a DN `C=.., CN=..`). Quoted for you. */
  id?: string;
  /** Certificate files (absolute paths, or names under the instance's swanctl/x509/). */
  certs?: string[];
  /** CA certificates this round trusts (remote rounds; absolute paths or names under swanctl/x509ca/). */
  cacerts?: string[];
  /** Raw public keys (absolute paths or names under swanctl/pubkey/). */
  pubkeys?: string[];
  /** Any other key = value of the round (e.g. `{ xauth_id: 'user' }`, `{ revocation: 'strict' }`). */
  extra?: Record<string, string>;
}

/** A CHILD_SA (`children { NAME { ... } }`). */
export interface SwanChildConf {
  name: string;
  /** Traffic selectors; strongSwan's default is the IKE address (`dynamic`). */
  localTs?: string[];
  remoteTs?: string[];
  /** Default `aes128-sha256`; AEADs (GCM, ChaCha20-Poly1305) need CHARON_SUITE_PLUGINS loaded. */
  espProposals?: string[];
  /** Default `tunnel`: kernel-libipsec refuses transport mode. */
  mode?: 'tunnel' | 'transport' | 'pass' | 'drop';
  startAction?: 'none' | 'trap' | 'start';
  dpdAction?: 'clear' | 'trap' | 'restart';
  closeAction?: 'none' | 'trap' | 'start';
  rekeyTime?: string;
  lifeTime?: string;
  extra?: Record<string, string>;
}

/** An IKE connection (`connections { NAME { ... } }`). */
export interface SwanConnConf {
  name: string;
  /** 1 = IKEv1, 2 = IKEv2, 0 = either (responder). */
  version: 0 | 1 | 2;
  localAddrs: string[];
  remoteAddrs: string[];
  /** IKE proposals; default `aes128-sha256-modp2048`. */
  proposals?: string[];
  /**
   * Force UDP encapsulation (fake NAT-D): default **true**, because kernel-libipsec only installs SAs in UDP
   * (tunnel mode, ESP-in-UDP on port 4500).
   */
  encap?: boolean;
  /** IKEv1 aggressive mode. */
  aggressive?: boolean;
  /** DPD interval and (IKEv1) timeout, swanctl time values such as `10s`. */
  dpdDelay?: string;
  dpdTimeout?: string;
  fragmentation?: 'yes' | 'no' | 'accept' | 'force';
  mobike?: boolean;
  rekeyTime?: string;
  reauthTime?: string;
  overTime?: string;
  keyingtries?: number;
  localPort?: number;
  remotePort?: number;
  /** `local` and `remote` rounds: one object, or several (multiple authentication rounds). */
  local: SwanAuth | SwanAuth[];
  remote: SwanAuth | SwanAuth[];
  children: SwanChildConf[];
  extra?: Record<string, string>;
}

/** A secret (`secrets { ike-1 { id-1 = .. secret = .. } }`, `private-1 { file = .. }`, ...). */
export interface SwanSecret {
  /** Section type: `ike`, `eap`, `xauth`, `private`, `rsa`, `ecdsa`, `pkcs8`. */
  type: string;
  /** The identities it belongs to (`id-1`, `id-2`, ...). */
  ids?: string[];
  secret?: string;
  /** Key files (`private`, `rsa`, ...): absolute paths or names under swanctl/private/ and so on. */
  file?: string;
  extra?: Record<string, string>;
}

export interface SwanAuthority {
  name: string;
  /** CA certificate (absolute path or name under swanctl/x509ca/). */
  cacert: string;
  crlUris?: string[];
  extra?: Record<string, string>;
}

export interface SwanctlConf {
  connections: SwanConnConf[];
  secrets?: SwanSecret[];
  authorities?: SwanAuthority[];
}

/** A settings value, quoted (strongswan.conf(5) syntax: `"` and `\` escaped). */
function q(v: string | number | boolean): string {
  if (typeof v === 'boolean') return v ? 'yes' : 'no';
  if (typeof v === 'number') return String(v);
  return `"${v.replace(/\\/g, '\\\\').replace(/"/g, '\\"')}"`;
}

type Entries = [string, string | number | boolean | string[] | undefined][];

function section(name: string, entries: Entries, inner: string[] = [], indent = '  '): string {
  const lines = [`${name} {`];
  for (const [k, v] of entries) {
    if (v === undefined || (Array.isArray(v) && v.length === 0)) continue;
    lines.push(`${indent}${k} = ${Array.isArray(v) ? q(v.join(', ')) : q(v)}`);
  }
  for (const s of inner) lines.push(...s.split('\n').map((l) => indent + l));
  lines.push('}');
  return lines.join('\n');
}

function extra(e: Record<string, string> | undefined): Entries {
  return Object.entries(e ?? {});
}

function authSection(name: string, a: SwanAuth): string {
  return section(name, [
    ['auth', a.auth],
    ['id', a.id],
    ['certs', a.certs],
    ['cacerts', a.cacerts],
    ['pubkeys', a.pubkeys],
    ...extra(a.extra),
  ]);
}

function rounds(side: 'local' | 'remote', a: SwanAuth | SwanAuth[]): string[] {
  const list = Array.isArray(a) ? a : [a];
  return list.map((r, i) => authSection(i === 0 ? side : `${side}-${i + 1}`, r));
}

function childSection(c: SwanChildConf): string {
  return section(c.name, [
    ['local_ts', c.localTs],
    ['remote_ts', c.remoteTs],
    ['esp_proposals', c.espProposals ?? ['aes128-sha256']],
    ['mode', c.mode ?? 'tunnel'],
    ['start_action', c.startAction],
    ['dpd_action', c.dpdAction],
    ['close_action', c.closeAction],
    ['rekey_time', c.rekeyTime],
    ['life_time', c.lifeTime],
    ...extra(c.extra),
  ]);
}

function connSection(c: SwanConnConf): string {
  const children = section('children', [], c.children.map(childSection));
  return section(
    c.name,
    [
      ['version', c.version],
      ['local_addrs', c.localAddrs],
      ['remote_addrs', c.remoteAddrs],
      ['local_port', c.localPort],
      ['remote_port', c.remotePort],
      ['proposals', c.proposals ?? ['aes128-sha256-modp2048']],
      ['encap', c.encap ?? true],
      ['aggressive', c.aggressive],
      ['dpd_delay', c.dpdDelay],
      ['dpd_timeout', c.dpdTimeout],
      ['fragmentation', c.fragmentation],
      ['mobike', c.mobike],
      ['rekey_time', c.rekeyTime],
      ['reauth_time', c.reauthTime],
      ['over_time', c.overTime],
      ['keyingtries', c.keyingtries],
      ...extra(c.extra),
    ],
    [...rounds('local', c.local), ...rounds('remote', c.remote), children],
  );
}

function secretSection(s: SwanSecret, i: number): string {
  const ids: Entries = (s.ids ?? []).map((id, j) => [`id-${j + 1}`, id]);
  return section(`${s.type}-${i + 1}`, [...ids, ['secret', s.secret], ['file', s.file], ...extra(s.extra)]);
}

/** The text of a swanctl.conf(5). */
export function swanctlConf(c: SwanctlConf): string {
  const out = [section('connections', [], c.connections.map(connSection))];
  if (c.secrets?.length) out.push(section('secrets', [], c.secrets.map(secretSection)));
  if (c.authorities?.length) {
    const auth = c.authorities.map((a) =>
      section(a.name, [['cacert', a.cacert], ['crl_uris', a.crlUris], ...extra(a.extra)]),
    );
    out.push(section('authorities', [], auth));
  }
  return out.join('\n') + '\n';
}

/** charon's log subsystems (strongswan.conf(5) `charon.filelog.<name>.<subsystem>`). */
export type SwanLogGroup =
  'dmn' | 'mgr' | 'ike' | 'chd' | 'job' | 'cfg' | 'knl' | 'net' | 'asn' | 'enc' | 'lib' | 'esp' | 'tls';

/** Plugins charon loads by default here: the crypto Debian ships, kdf (IKEv1 needs it), userland ESP. */
export const CHARON_PLUGINS = [
  'random',
  'nonce',
  'aes',
  'sha1',
  'sha2',
  'md5',
  'hmac',
  'xcbc',
  'kdf',
  'gmp',
  'pem',
  'pkcs1',
  'pkcs8',
  'x509',
  'pubkey',
  'revocation',
  'constraints',
  'kernel-libipsec',
  'kernel-netlink',
  'socket-default',
  'vici',
];

/**
 * Plugins for the suites beyond AES-CBC/MODP (libstrongswan-standard-plugins, libstrongswan-extra-plugins): ECP
 * and 3DES (openssl), AES-GCM, ChaCha20-Poly1305, Curve25519. Without them charon selects an ECP proposal and then
 * answers INVALID_KE_PAYLOAD asking for the very group it cannot compute.
 */
export const CHARON_SUITE_PLUGINS = ['openssl', 'gcm', 'chapoly', 'curve25519'];

/** What a strongswan.conf needs for one charon instance. */
export interface StrongswanConfOptions {
  plugins: string[];
  logFile: string;
  /** Log level per subsystem (-1..4); `default` applies to the rest. 4 on ike/chd logs the derived keys. */
  logLevels: Partial<Record<SwanLogGroup | 'default', number>>;
  viciSocket: string;
  /** Raw lines placed inside `charon { }` (e.g. `retransmit_tries = 2`, `fragment_size = 576`). */
  charonSettings?: string;
}

/** The text of a strongswan.conf(5) for one instance (charon, and swanctl's quiet plugin list). */
export function strongswanConf(o: StrongswanConfOptions): string {
  const levels = Object.entries({ default: 1, ...o.logLevels }).map(([k, v]) => `${k} = ${v}`);
  return `charon {
  load = ${o.plugins.join(' ')}
  filelog {
    main {
      path = ${o.logFile}
      time_format = %T
      flush_line = yes
      ${levels.join('\n      ')}
    }
  }
  plugins {
    vici {
      socket = unix://${o.viciSocket}
    }
  }
  ${(o.charonSettings ?? '').split('\n').join('\n  ')}
}
swanctl {
  load = random nonce aes sha1 sha2 md5 hmac gmp pem pkcs1 pkcs8 x509 pubkey revocation constraints
}
`;
}

/** A CHILD_SA as `swanctl --list-sas` reports it. */
export interface SwanChildSa {
  /** The child config's name (`net`); the key in the listing is `net-<uniqueid>`. */
  name: string;
  state: string;
  mode: string;
  protocol: string;
  encap: boolean;
  spiIn: string;
  spiOut: string;
  bytesIn: number;
  bytesOut: number;
  packetsIn: number;
  packetsOut: number;
  localTs: string[];
  remoteTs: string[];
  /** Every scalar field as printed (`encr-alg`, `integ-alg`, `rekey-time`, ...). */
  fields: Record<string, string>;
}

/** An IKE_SA as `swanctl --list-sas` reports it. */
export interface SwanIkeSa {
  /** The connection's name. */
  name: string;
  version: number;
  state: string;
  localHost: string;
  localPort: number;
  remoteHost: string;
  remotePort: number;
  localId: string;
  remoteId: string;
  /** Whether charon acted as the initiator of this IKE_SA. */
  initiator: boolean;
  children: SwanChildSa[];
  /** Every scalar field as printed (`nat-remote`, `encr-alg`, `dh-group`, ...). */
  fields: Record<string, string>;
}

interface Node {
  fields: Record<string, string>;
  lists: Record<string, string[]>;
  sections: [string, Node][];
}

function newNode(): Node {
  return { fields: {}, lists: {}, sections: [] };
}

/** Parses the indented `--pretty` form: `name {`, `key = value`, `key = [` items `]`, `}`, one per line. */
function parsePretty(text: string): Node {
  const root = newNode();
  const stack: Node[] = [root];
  let list: string[] | undefined;
  for (const raw of text.split('\n')) {
    const line = raw.trim();
    if (!line) continue;
    const top = stack[stack.length - 1]!;
    if (list) {
      if (line === ']') list = undefined;
      else list.push(line);
    } else if (line === '}') {
      if (stack.length > 1) stack.pop();
    } else if (line.endsWith(' {') || line === '{') {
      const n = newNode();
      top.sections.push([line.slice(0, -1).trim(), n]);
      stack.push(n);
    } else {
      const eq = line.indexOf(' = ');
      if (eq < 0) continue;
      const key = line.slice(0, eq);
      const value = line.slice(eq + 3);
      if (value === '[') top.lists[key] = list = [];
      else top.fields[key] = value;
    }
  }
  return root;
}

function childFrom(n: Node): SwanChildSa {
  const f = n.fields;
  const num = (k: string) => Number(f[k] ?? 0);
  return {
    name: f['name'] ?? '',
    state: f['state'] ?? '',
    mode: f['mode'] ?? '',
    protocol: f['protocol'] ?? '',
    encap: f['encap'] === 'yes',
    spiIn: f['spi-in'] ?? '',
    spiOut: f['spi-out'] ?? '',
    bytesIn: num('bytes-in'),
    bytesOut: num('bytes-out'),
    packetsIn: num('packets-in'),
    packetsOut: num('packets-out'),
    localTs: n.lists['local-ts'] ?? [],
    remoteTs: n.lists['remote-ts'] ?? [],
    fields: f,
  };
}

function ikeFrom(name: string, n: Node): SwanIkeSa {
  const f = n.fields;
  const kids = n.sections.find(([k]) => k === 'child-sas')?.[1].sections ?? [];
  return {
    name,
    version: Number(f['version'] ?? 0),
    state: f['state'] ?? '',
    localHost: f['local-host'] ?? '',
    localPort: Number(f['local-port'] ?? 0),
    remoteHost: f['remote-host'] ?? '',
    remotePort: Number(f['remote-port'] ?? 0),
    localId: f['local-id'] ?? '',
    remoteId: f['remote-id'] ?? '',
    initiator: f['initiator'] === 'yes',
    children: kids.map(([, c]) => childFrom(c)),
    fields: f,
  };
}

/** The IKE_SAs in the output of `swanctl --list-sas --pretty` (one `list-sa event` per IKE_SA). */
export function parseListSas(text: string): SwanIkeSa[] {
  const out: SwanIkeSa[] = [];
  for (const [key, ev] of parsePretty(text).sections) {
    if (key !== 'list-sa event') continue;
    for (const [name, n] of ev.sections) out.push(ikeFrom(name, n));
  }
  return out;
}
