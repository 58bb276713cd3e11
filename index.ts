// The library entry point, `import { Host } from 'uipsec'`: the embedding API of docs/api.md. Hosts and their
// links, the kernel side of PF_KEY, the in-process setkey and racoon, the status and pcap helpers, and the
// injected world (clock, RNG, logger). PF_KEY codecs, setkey's language and racoon's configuration have their
// own entry points: 'uipsec/pfkey', 'uipsec/setkey', 'uipsec/racoon', 'uipsec/channel'.

// One host: an isolated IP/IPsec stack, its sockets, ping, counters and events.
export { Host, type HostEvent, type HostOptions } from './kernel/host/host.js';
export { UdpSocket, type UdpRemote, type UdpHandler } from './kernel/host/socket.js';
export type { PingOptions, PingReply } from './kernel/host/ping.js';
export { Stats, NetCounters, STAT_NAMES, isStatName, type StatName, type NetStatName } from './kernel/stats.js';
export { createSocketPolicy, type SocketPolicy, type SocketDirPolicySpec } from './kernel/spd/spd.js';
export type { Policy, PolicySpec, IpsecRequest, IpsecRequestSpec, SelectorSpec } from './kernel/spd/policy.js';
export type { SecAssoc, IpsecProto, IpsecMode, SaState, Lifetime, NatT } from './kernel/sad/secassoc.js';

// Extensions: NKE-style IP, interface and socket filters and protocol handlers (docs/extensions.md).
export * from './kernel/ext/index.js';

// Links: how a host's frames leave it.
export type { Link } from './kernel/link/link.js';
export { MemWire, MemPort, type WireOptions } from './kernel/link/memwire.js';
export { UdpUnderlay, type UnderlayEndpoint, type UnderlayOptions } from './kernel/link/udp-underlay.js';
export { NattSocket, type NattEndpoint, type NattSocketOptions } from './kernel/link/natt-socket.js';

// PF_KEY: the kernel side of a host, and a key manager's client over it.
export { KeySock, type KeySockOptions, type KeysockStats } from './kernel/keysock/keysock.js';
export { PfkeyClient, type PfkeyClientOptions, type PfkeyTransport } from './pfkey/client.js';
export { InprocTransport } from './pfkey/transport-inproc.js';

// The daemon, in-process: what `uipsecd` runs.
export { startDaemon, type Daemon, type DaemonOptions } from './kernel/daemon/main.js';
export { defaultConfig, type DaemonConfig } from './kernel/daemon/config.js';

// setkey and racoon against an in-process host.
export { runSetkeyInproc, type SetkeyRun, type InprocSetkeyOptions } from './app/setkey-inproc.js';
export { Racoon, type RacoonOptions, type RacoonStats, type IkeSender } from './racoon/daemon.js';

// What `uipsec status` and `uipsec pcap` do, as functions.
export { dumpTables, hostExtras, formatStatus, statusJson, type StatusReport } from './app/status.js';
export { Lab, type LabHost, type LabOptions, type TapFrame } from './app/lab.js';
export { OfflineIpsec, type OfflineOptions, type PacketVerdict } from './app/pcap/offline.js';
export { decodePcap, encodePcap, type PcapFile, type PcapRecord } from './app/pcap/pcap-file.js';

// The injected world and the address helpers every call above takes.
export { type Clock, systemClock, ManualClock } from './common/clock.js';
export { type Rng, systemRng, PooledRng, SeededRng } from './common/rng.js';
export { type Logger, type LogLevel, makeLogger, nullLogger } from './common/log.js';
export {
  parseAddr,
  formatAddr,
  parsePrefix,
  formatPrefix,
  prefixContains,
  type Prefix,
  type Family,
} from './common/inet.js';
export { ConfigError, ErrnoError } from './common/errors.js';
