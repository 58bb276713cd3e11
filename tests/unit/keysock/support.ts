// Test support for keysock: a bare kernel (Sad + Spd + AcquireTable with a manual clock and seeded RNG,
// no Host), recording sockets, and builders for the PF_KEY messages a key manager or setkey sends.
import { ManualClock } from '../../../common/clock.js';
import { SeededRng } from '../../../common/rng.js';
import { parseAddr } from '../../../common/inet.js';
import * as C from '../../../pfkey/constants.js';
import {
  decodeMessage,
  encodeMessage,
  makeSadbMsg,
  makeSockaddr,
  type PfkeyExts,
  type PfkeyMessage,
  type SadbAddress,
} from '../../../pfkey/index.js';
import { Sad } from '../../../kernel/sad/sad.js';
import { Spd } from '../../../kernel/spd/spd.js';
import { AcquireTable } from '../../../kernel/sad/acquire.js';
import type { HostEvent } from '../../../kernel/host/host.js';
import { KeySock, type KeySocket } from '../../../kernel/keysock/keysock.js';
import type { KeysockKernel } from '../../../kernel/keysock/types.js';

export const T0 = 1_700_000_000_000;

export interface BareKernel extends KeysockKernel {
  clock: ManualClock;
  acquires: AcquireTable;
  emit(ev: HostEvent): void;
}

/** Sad + Spd wired to an event list, as a Host would be (kernel/host/host.ts onSad/onExpire). */
export function bareKernel(seed = 'keysock'): BareKernel {
  const clock = new ManualClock(T0);
  const listeners = new Set<(ev: HostEvent) => void>();
  const emit = (ev: HostEvent) => {
    for (const fn of [...listeners]) fn(ev);
  };
  const sad = new Sad({
    clock,
    rng: new SeededRng(seed),
    listener: (ev) => {
      if (ev.type === 'larval-expired') emit({ type: 'larval-expired', sa: ev.sa });
      else if (ev.type === 'soft') emit({ type: 'expire', kind: 'soft', sa: ev.sa, reason: ev.reason, used: ev.used });
      else emit({ type: 'expire', kind: 'hard', sa: ev.sa, reason: ev.reason });
    },
  });
  const spd = new Spd({ clock });
  spd.onExpire((policy, reason) => emit({ type: 'spd-expire', policy, reason }));
  const acquires = new AcquireTable();
  return {
    sad,
    spd,
    clock,
    acquires,
    emit,
    onEvent(fn) {
      listeners.add(fn);
      return () => {
        listeners.delete(fn);
      };
    },
    acquireRefresh(seq) {
      return acquires.refresh(seq, clock.now());
    },
  };
}

/** A kernel-side socket whose deliveries are recorded (decoded lazily). */
export interface Rec {
  sock: KeySocket;
  raw: Uint8Array[];
  /** Decoded messages received so far; promiscuous wrappers are unwrapped with `promisc: true`. */
  msgs(): (PfkeyMessage & { promisc?: boolean })[];
  clear(): void;
  send(m: PfkeyMessage | Uint8Array): void;
  room: boolean;
}

export function openRec(ks: KeySock): Rec {
  const raw: Uint8Array[] = [];
  const rec: Rec = {
    sock: undefined as unknown as KeySocket,
    raw,
    room: true,
    msgs: () =>
      raw.map((b) => {
        if (b[1] === C.SADB_X_PROMISC && b.length > 16 && b[16] === C.PF_KEY_V2)
          return { ...decodeMessage(b.slice(16)), promisc: true };
        return decodeMessage(b);
      }),
    clear: () => {
      raw.length = 0;
    },
    send: (m) => rec.sock.send(m instanceof Uint8Array ? m : encodeMessage(m)),
  };
  rec.sock = ks.openSocket({
    deliver: (m) => {
      raw.push(new Uint8Array(m));
      return rec.room;
    },
  });
  return rec;
}

export function ip(s: string): Uint8Array {
  const a = parseAddr(s);
  if (!a) throw new Error(`bad address ${s}`);
  return a;
}

export function addr(s: string, port = 0, prefixlen?: number, proto = C.IPSEC_ULPROTO_ANY): SadbAddress {
  const a = ip(s);
  return { proto, prefixlen: prefixlen ?? a.length * 8, addr: makeSockaddr(a, port) };
}

export function hexKey(bytes: number, fill: number): { bits: number; key: Uint8Array } {
  return { bits: bytes * 8, key: new Uint8Array(bytes).fill(fill) };
}

export interface SaSpec {
  type?: number;
  satype?: number;
  spi: number;
  src?: string;
  dst?: string;
  seq?: number;
  pid?: number;
  enc?: number;
  encKey?: { bits: number; key: Uint8Array };
  auth?: number;
  authKey?: { bits: number; key: Uint8Array };
  mode?: number;
  reqid?: number;
  replay?: number;
  flags?: number;
  extra?: PfkeyExts;
}

/** ADD/UPDATE for ESP aes-cbc-128 + hmac-sha1 by default (keys 0x11.., 0x22..). */
export function saMsg(s: SaSpec): PfkeyMessage {
  const satype = s.satype ?? C.SADB_SATYPE_ESP;
  const ext: PfkeyExts = {
    sa: {
      spi: s.spi,
      replay: s.replay ?? 4,
      state: 0,
      auth: s.auth ?? C.SADB_AALG_SHA1HMAC,
      encrypt: s.enc ?? (satype === C.SADB_SATYPE_AH ? 0 : C.SADB_X_EALG_AESCBC),
      flags: s.flags ?? 0,
    },
    sa2: { mode: s.mode ?? C.IPSEC_MODE_TRANSPORT, sequence: 0, reqid: s.reqid ?? 0 },
    addressSrc: addr(s.src ?? '10.0.0.1'),
    addressDst: addr(s.dst ?? '10.0.0.2'),
    ...(satype === C.SADB_SATYPE_AH ? {} : { keyEncrypt: s.encKey ?? hexKey(16, 0x11) }),
    keyAuth: s.authKey ?? hexKey(20, 0x22),
    ...s.extra,
  };
  if (ext.sa!.auth === C.SADB_AALG_NONE) delete ext.keyAuth;
  return { msg: makeSadbMsg(s.type ?? C.SADB_ADD, satype, s.seq ?? 1, s.pid ?? 100), ext };
}

/** A header-only (or few-extension) message. */
export function msg(type: number, satype: number, ext: PfkeyExts = {}, seq = 1, pid = 100): PfkeyMessage {
  return { msg: makeSadbMsg(type, satype, seq, pid), ext };
}

export interface SpSpec {
  type?: number;
  src?: string;
  dst?: string;
  srcLen?: number;
  dstLen?: number;
  ulproto?: number;
  sport?: number;
  dport?: number;
  dir?: number;
  policy?: number;
  level?: number;
  mode?: number;
  tunnel?: [string, string];
  priority?: number;
  id?: number;
  lifetime?: [number, number];
  seq?: number;
  pid?: number;
}

/** SPDADD (by default) of an `esp/transport//require` policy from src to dst. */
export function spMsg(s: SpSpec = {}): PfkeyMessage {
  const type = s.policy ?? C.IPSEC_POLICY_IPSEC;
  const mode = s.mode ?? (s.tunnel ? C.IPSEC_MODE_TUNNEL : C.IPSEC_MODE_TRANSPORT);
  const ext: PfkeyExts = {
    addressSrc: addr(s.src ?? '10.0.0.1', s.sport ?? 0, s.srcLen, s.ulproto ?? C.IPSEC_ULPROTO_ANY),
    addressDst: addr(s.dst ?? '10.0.0.2', s.dport ?? 0, s.dstLen, s.ulproto ?? C.IPSEC_ULPROTO_ANY),
    policy: {
      type,
      dir: s.dir ?? C.IPSEC_DIR_OUTBOUND,
      scope: 0,
      id: s.id ?? 0,
      priority: s.priority ?? 0,
      requests:
        type === C.IPSEC_POLICY_IPSEC
          ? [
              {
                proto: C.IPPROTO_ESP,
                mode,
                level: s.level ?? C.IPSEC_LEVEL_REQUIRE,
                reqid: 0,
                ...(s.tunnel ? { src: makeSockaddr(ip(s.tunnel[0])), dst: makeSockaddr(ip(s.tunnel[1])) } : {}),
              },
            ]
          : [],
    },
  };
  if (s.lifetime)
    ext.lifetimeHard = { allocations: 0, bytes: 0n, addtime: BigInt(s.lifetime[0]), usetime: BigInt(s.lifetime[1]) };
  return { msg: makeSadbMsg(s.type ?? C.SADB_X_SPDADD, C.SADB_SATYPE_UNSPEC, s.seq ?? 1, s.pid ?? 100), ext };
}

/** The errno number of a reply. */
export function errnoOf(m: PfkeyMessage): number {
  return m.msg.errno;
}
