// racoon's side of PF_KEY (ipsec-tools pfkey.c), the same for both IKE versions: REGISTER for AH/ESP/IPCOMP,
// an SPD mirror loaded with X_SPDDUMP and kept current from X_SPD* broadcasts, GETSPI -> UPDATE (inbound) /
// ADD (outbound) of a negotiated SA pair with lifetimes and the NAT-T extensions, DELETE, and the
// failed-ACQUIRE report. Kernel messages that start work (ACQUIRE, EXPIRE, DELETE, FLUSH) go out through the
// `events` callbacks (kernel-events.ts routes them to the IKE versions).
import * as P from '../../pfkey/constants.js';
import { PfkeyClient } from '../../pfkey/client.js';
import { makeSockaddr } from '../../pfkey/sockaddr.js';
import type { PfkeyExts, PfkeyMessage } from '../../pfkey/msg.js';
import type { SadbXIpsecrequest } from '../../pfkey/ext/x-policy.js';
import type { Logger } from '../../common/log.js';
import { formatAddr } from '../../common/inet.js';
import type { Endpoint } from '../engine/datagram.js';
import { wipeSaPair, type NattPorts, type SaPairKeys } from './sa-pair.js';
import { spiBytes, spiHex, spiNumber } from './spi.js';

/** One policy as racoon mirrors it (racoon `struct secpolicy` in its own SPD list). */
export interface SpEntry {
  id: number;
  dir: number;
  src: { addr: Uint8Array; len: number; port: number };
  dst: { addr: Uint8Array; len: number; port: number };
  proto: number; // 255 = any
  type: number;
  requests: SadbXIpsecrequest[];
}

export interface BridgeEvents {
  acquire(m: PfkeyMessage): void;
  expire(m: PfkeyMessage): void;
  deleted(m: PfkeyMessage): void;
  flushed(satype: number): void;
}

/** replay window in bytes of bitmap: 4 bytes = 32 packets, as racoon sets (0 for IPComp). */
const REPLAY_BYTES = 4;
/** The soft lifetime is 80% of the hard one (libipsec / racoon). */
export const SOFT_LIFETIME_PERCENT = 80;

function spOf(m: PfkeyMessage): SpEntry | undefined {
  const { policy, addressSrc, addressDst } = m.ext;
  if (!policy || !addressSrc || !addressDst) return undefined;
  return {
    id: policy.id,
    dir: policy.dir,
    type: policy.type,
    requests: policy.requests,
    proto: addressSrc.proto,
    src: { addr: addressSrc.addr.addr, len: addressSrc.prefixlen, port: addressSrc.addr.port },
    dst: { addr: addressDst.addr.addr, len: addressDst.prefixlen, port: addressDst.addr.port },
  };
}

function hostAddr(e: Endpoint, port = 0): PfkeyExts['addressSrc'] {
  return { proto: P.IPSEC_ULPROTO_ANY, prefixlen: e.addr.length * 8, addr: makeSockaddr(e.addr, port) };
}

/** The PF_KEY half of the daemon. */
export class PfkeyBridge {
  readonly spd = new Map<number, SpEntry>();
  /** Messages that could not be used (missing extensions), counted. */
  ignored = 0;
  private off: () => void;

  constructor(
    private pfkey: PfkeyClient,
    private readonly events: BridgeEvents,
    private readonly log: Logger,
  ) {
    this.off = pfkey.onMessage((m) => this.dispatch(m));
  }

  /** The PF_KEY socket in use (a new one after uipsecd restarted: attach). */
  get client(): PfkeyClient {
    return this.pfkey;
  }

  /** Startup (racoon pfkey_init): REGISTER each satype, then mirror the SPD. */
  async start(): Promise<void> {
    for (const satype of [P.SADB_SATYPE_AH, P.SADB_SATYPE_ESP, P.SADB_X_SATYPE_IPCOMP]) {
      await this.pfkey.request({ msg: this.pfkey.header(P.SADB_REGISTER, satype), ext: {} });
    }
    await this.reloadSpd();
  }

  /** The SPD mirror loaded afresh with X_SPDDUMP (racoon pfkey_reload: flushsp, then the dump). */
  async reloadSpd(): Promise<void> {
    const dump = await this.pfkey.dumpAll(P.SADB_X_SPDDUMP);
    this.spd.clear();
    for (const m of dump) {
      const sp = spOf(m);
      if (sp) this.spd.set(sp.id, sp);
    }
  }

  /**
   * A new PF_KEY socket after the old one closed (uipsecd restarted): the mirror of the old kernel's SPD is
   * dropped; start() registers and loads the new one.
   */
  attach(client: PfkeyClient): void {
    this.off();
    this.spd.clear();
    this.pfkey = client;
    this.off = client.onMessage((m) => this.dispatch(m));
  }

  close(): void {
    this.off();
  }

  private dispatch(m: PfkeyMessage): void {
    if (m.msg.errno !== 0) return;
    switch (m.msg.type) {
      case P.SADB_ACQUIRE:
        if (m.ext.addressSrc && m.ext.addressDst) this.events.acquire(m);
        else this.ignored++;
        break;
      case P.SADB_EXPIRE:
        this.events.expire(m);
        break;
      case P.SADB_DELETE:
        if (m.msg.pid !== this.pfkey.pid) this.events.deleted(m);
        break;
      case P.SADB_FLUSH:
        this.events.flushed(m.msg.satype);
        break;
      case P.SADB_X_SPDADD:
      case P.SADB_X_SPDUPDATE:
      case P.SADB_X_SPDSETIDX: {
        const sp = spOf(m);
        if (sp) this.spd.set(sp.id, sp);
        else this.ignored++;
        break;
      }
      case P.SADB_X_SPDDELETE:
      case P.SADB_X_SPDDELETE2:
      case P.SADB_X_SPDEXPIRE:
        if (m.ext.policy) this.spd.delete(m.ext.policy.id);
        break;
      case P.SADB_X_SPDFLUSH:
        this.spd.clear();
        break;
      default:
        break;
    }
  }

  /** The outbound policy whose selector is the reverse of an inbound one (and vice versa). */
  findReverse(sp: SpEntry): SpEntry | undefined {
    const eq = (a: SpEntry['src'], b: SpEntry['src']) =>
      a.len === b.len && a.port === b.port && Buffer.compare(a.addr, b.addr) === 0;
    return [...this.spd.values()].find(
      (x) => x.dir !== sp.dir && x.proto === sp.proto && eq(x.src, sp.dst) && eq(x.dst, sp.src),
    );
  }

  /** GETSPI for an inbound SA from `peer` to `me` (racoon pk_sendgetspi); IPComp gets a 16-bit CPI range. */
  async getspi(
    satype: number,
    peer: Endpoint,
    me: Endpoint,
    mode: number,
    reqid: number,
    seq: number,
  ): Promise<Uint8Array> {
    const ext: PfkeyExts = { addressSrc: hostAddr(peer), addressDst: hostAddr(me), sa2: { mode, sequence: 0, reqid } };
    if (satype === P.SADB_X_SATYPE_IPCOMP) ext.spirange = { min: 0x100, max: 0xffff };
    const r = await this.client.request({
      msg: this.client.header(P.SADB_GETSPI, satype, seq || this.client.nextSeq()),
      ext,
    });
    return spiBytes(r.ext.sa!.spi >>> 0, satype === P.SADB_X_SATYPE_IPCOMP ? 2 : 4);
  }

  /** The UPDATE (inbound) and ADD (outbound) messages for one negotiated SA (racoon pk_sendupdate/pk_sendadd). */
  saMessages(keys: SaPairKeys, me: Endpoint, peer: Endpoint, lifetimeSec: number, natt?: NattPorts): PfkeyMessage[] {
    const algs = keys.algs;
    const mode = keys.mode === 'tunnel' ? P.IPSEC_MODE_TUNNEL : P.IPSEC_MODE_TRANSPORT;
    const life = (pct: number) => ({
      allocations: 0,
      bytes: 0n,
      addtime: BigInt(Math.floor((lifetimeSec * pct) / 100)),
      usetime: 0n,
    });
    const one = (type: number, dir: 'in' | 'out'): PfkeyMessage => {
      const k = dir === 'in' ? keys.inbound : keys.outbound;
      const [src, dst] = dir === 'in' ? [peer, me] : [me, peer];
      const ext: PfkeyExts = {
        sa: {
          spi: spiNumber(k.spi),
          replay: algs.satype === P.SADB_X_SATYPE_IPCOMP ? 0 : REPLAY_BYTES,
          state: P.SADB_SASTATE_MATURE,
          auth: algs.auth,
          encrypt: algs.encrypt,
          flags: keys.esn ? P.SADB_X_SAFLAGS_ESN : 0,
        },
        sa2: { mode, sequence: 0, reqid: keys.reqid },
        addressSrc: hostAddr(src),
        addressDst: hostAddr(dst),
        lifetimeHard: life(100),
        lifetimeSoft: life(SOFT_LIFETIME_PERCENT),
      };
      // libipsec pfkey_send_x1 (racoon): ESP always carries KEY_ENCRYPT, empty for null encryption (RFC 2410);
      // FreeBSD key_add refuses an ESP SA without it.
      if (algs.encKeyBytes > 0 || algs.satype === P.SADB_SATYPE_ESP)
        ext.keyEncrypt = { bits: algs.encKeyBytes * 8, key: k.encKey };
      if (algs.authKeyBytes > 0) ext.keyAuth = { bits: algs.authKeyBytes * 8, key: k.authKey };
      if (natt && algs.satype === P.SADB_SATYPE_ESP) {
        // RFC 3948 / KAME key_setnatt: ESP-in-UDP with the IKE ports (source first, as the SA is written).
        ext.natTType = { type: P.UDP_ENCAP_ESPINUDP };
        ext.natTSport = { port: dir === 'in' ? natt.remotePort : natt.localPort };
        ext.natTDport = { port: dir === 'in' ? natt.localPort : natt.remotePort };
      }
      return { msg: this.client.header(type, algs.satype), ext };
    };
    return [one(P.SADB_UPDATE, 'in'), one(P.SADB_ADD, 'out')];
  }

  /** Installs each pair (UPDATE for the larval inbound SA, ADD for the outbound one), then wipes the keys. */
  async install(
    pairs: readonly SaPairKeys[],
    me: Endpoint,
    peer: Endpoint,
    lifetimeSec: number,
    natt?: NattPorts,
  ): Promise<void> {
    for (const k of pairs)
      for (const m of this.saMessages(k, me, peer, lifetimeSec, natt)) await this.client.request(m);
    for (const k of pairs) wipeSaPair(k);
  }

  /** SADB_DELETE of one SA (src -> dst, spi); ENOENT (already gone) is not an error. */
  async deleteSa(satype: number, src: Uint8Array, dst: Uint8Array, spi: number): Promise<void> {
    try {
      await this.client.request({
        msg: this.client.header(P.SADB_DELETE, satype),
        ext: {
          sa: { spi, replay: 0, state: 0, auth: 0, encrypt: 0, flags: 0 },
          addressSrc: hostAddr({ addr: src, port: 0 }),
          addressDst: hostAddr({ addr: dst, port: 0 }),
        },
      });
    } catch (e) {
      if ((e as { errno?: string }).errno !== 'ENOENT')
        this.log.log(
          'warn',
          `DELETE spi ${spiHex(spi)} ${formatAddr(src)}->${formatAddr(dst)}: ${(e as Error).message}`,
        );
    }
  }

  /** A failed negotiation: ACQUIRE carrying errno back to the kernel (racoon pk_sendeacquire). */
  sendAcquireError(satype: number, seq: number, errno = 60 /* ETIMEDOUT */): void {
    this.client.send({ msg: { ...this.client.header(P.SADB_ACQUIRE, satype, seq), errno }, ext: {} });
  }
}
