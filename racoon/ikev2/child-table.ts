// The Child SA table of IKEv2 (strongSwan's child_sa list of each ike_sa, racoon's ph2handle list): the
// children under negotiation and installed, found by policy or SPI; GETSPI and UPDATE/ADD through the PF_KEY
// bridge; a failed negotiation reported back to the kernel (ACQUIRE with an errno); and the kernel's EXPIRE /
// DELETE / FLUSH for the SPIs negotiated here (soft expiry -> rekey by the child's creator, RFC 7296 §2.8).
import { formatAddr } from '../../common/inet.js';
import * as P from '../../pfkey/constants.js';
import type { PfkeyMessage } from '../../pfkey/msg.js';
import type { EngineCtx } from '../engine/context.js';
import type { SaOwner } from '../sa/kernel-events.js';
import type { SaPairKeys } from '../sa/sa-pair.js';
import { saText } from '../sa/sa-text.js';
import { sadbSpi, spiNumber } from '../sa/spi.js';
import { childTransformText } from './child-proposal.js';
import { releaseGenerated } from './generate-policy.js';
import { IKEV2_PROTO_AH } from './constants.js';
import type { ChildSa, IkeSa } from './records.js';
import { selectorText } from './selectors.js';
import type { Ikev2Stats } from './stats.js';

/** What the child table asks of the IKE side when the kernel's events need an exchange. */
export interface ChildHooks {
  /** Soft expiry of an installed child this end created: a CREATE_CHILD_SA rekey on its IKE SA. */
  rekey(child: ChildSa): void;
  /** Hard expiry or a DELETE by setkey: an INFORMATIONAL Delete to the peer (then removal). */
  deleteAtPeer(child: ChildSa, why: string): void;
}

function satypeOf(protocol: number): number {
  return protocol === IKEV2_PROTO_AH ? P.SADB_SATYPE_AH : P.SADB_SATYPE_ESP;
}

const hx = (b?: Uint8Array) => (b ? Buffer.from(b).toString('hex') : '-');

export class ChildTable implements SaOwner {
  readonly all = new Set<ChildSa>();
  /** Children whose rekey is queued (both SAs of a pair expire: one rekey). */
  private readonly rekeyQueued = new WeakSet<ChildSa>();

  constructor(
    private readonly ctx: EngineCtx,
    private readonly stats: Ikev2Stats,
    private readonly hooks: ChildHooks,
  ) {}

  add(sa: IkeSa, f: Omit<ChildSa, 'id' | 'ike' | 'createdMs' | 'cancelTimers'>): ChildSa {
    const child: ChildSa = { ...f, id: this.ctx.newId(), ike: sa, createdMs: this.ctx.clock.now(), cancelTimers: [] };
    this.all.add(child);
    sa.children.add(child);
    return child;
  }

  /** A child for this policy is being negotiated (the kernel repeats ACQUIREs meanwhile). */
  negotiating(spid: number): boolean {
    for (const c of this.all) if (c.spid === spid && c.state === 'creating') return true;
    return false;
  }

  /** The child of `sa` with this SPI: ours (inbound) or the peer's (outbound). */
  bySpi(sa: IkeSa, protocol: number, spi: Uint8Array, ours: boolean): ChildSa | undefined {
    for (const c of sa.children) {
      const s = ours ? c.mySpi : c.peerSpi;
      if (c.protocol === protocol && s && Buffer.compare(s, spi) === 0) return c;
    }
    return undefined;
  }

  async getSpi(sa: IkeSa, child: ChildSa, satype: number): Promise<Uint8Array> {
    const mode = child.mode === 'tunnel' ? P.IPSEC_MODE_TUNNEL : P.IPSEC_MODE_TRANSPORT;
    return this.ctx.bridge.getspi(satype, sa.remote, sa.local, mode, child.reqid, child.seq);
  }

  /** UPDATE/ADD of the child's pairs; ESP in UDP on the IKE ports once they floated (RFC 7296 §2.23). */
  async install(child: ChildSa, pairs: SaPairKeys[]): Promise<boolean> {
    const sa = child.ike;
    const natt = sa.floated ? { localPort: sa.local.port, remotePort: sa.remote.port } : undefined;
    try {
      await this.ctx.bridge.install(pairs, sa.local, sa.remote, child.lifetimeSec, natt);
    } catch (e) {
      this.fail(child, `SA installation failed: ${(e as Error).message}`);
      return false;
    }
    if (child.state !== 'creating') return false;
    child.state = 'installed';
    child.installedMs = this.ctx.clock.now();
    this.stats.childEstablished++;
    this.ctx.stats.ph2Established++;
    const t = child.transforms ? childTransformText(child.protocol, child.transforms) : '';
    this.ctx.log(
      'notice',
      `IKEv2 child SA ${child.id} established with ${formatAddr(sa.remote.addr)}: ${child.mode} ${t} ` +
        `in ${hx(child.mySpi)} out ${hx(child.peerSpi)} ` +
        `${child.tsi.map(selectorText).join(',')} === ${child.tsr.map(selectorText).join(',')}`,
    );
    // And racoon's own lines for each SA of the pair, which log watchers grep (sa/sa-text.ts).
    const satype = child.protocol === IKEV2_PROTO_AH ? P.SADB_SATYPE_AH : P.SADB_SATYPE_ESP;
    if (child.mySpi && child.peerSpi)
      for (const [src, dst, spi] of [
        [sa.remote, sa.local, child.mySpi],
        [sa.local, sa.remote, child.peerSpi],
      ] as const)
        this.ctx.log('notice', `IPsec-SA established: ${saText(satype, child.mode, src, dst, spiNumber(spi))}`);
    return true;
  }

  /** A negotiation failed: forgotten, counted, and the ACQUIRE it answered gets its errno. */
  fail(child: ChildSa, why: string): void {
    if (child.state === 'dead') return;
    const wasCreating = child.state === 'creating';
    this.forget(child);
    if (!wasCreating) return;
    this.stats.childFailed++;
    this.ctx.stats.ph2Failed++;
    this.ctx.log('warn', `IKEv2 child ${child.id} with ${formatAddr(child.ike.remote.addr)} failed: ${why}`);
    if (child.initiator && child.seq) this.ctx.bridge.sendAcquireError(satypeOf(child.protocol), child.seq);
    if (child.mySpi) void this.deleteKernel(child, true);
  }

  private forget(child: ChildSa): void {
    child.state = 'dead';
    for (const c of child.cancelTimers) c();
    child.cancelTimers = [];
    this.all.delete(child);
    child.ike.children.delete(child);
    releaseGenerated(this.ctx, child, this.all);
  }

  /** Removes a child from the kernel (both SAs, and IPComp's) and from the table. */
  async remove(child: ChildSa, why: string): Promise<void> {
    if (child.state === 'dead') return;
    const installed = child.installedMs !== undefined;
    this.forget(child);
    if (installed)
      this.ctx.log('info', `IKEv2 child SA ${child.id} with ${formatAddr(child.ike.remote.addr)} removed: ${why}`);
    await this.deleteKernel(child, false);
  }

  private async deleteKernel(child: ChildSa, larvalOnly: boolean): Promise<void> {
    const { local, remote } = child.ike;
    const satype = satypeOf(child.protocol);
    const b = this.ctx.bridge;
    if (child.mySpi) await b.deleteSa(satype, remote.addr, local.addr, spiNumber(child.mySpi));
    if (child.ipcomp?.myCpi.length)
      await b.deleteSa(P.SADB_X_SATYPE_IPCOMP, remote.addr, local.addr, spiNumber(child.ipcomp.myCpi));
    if (larvalOnly) return;
    if (child.peerSpi) await b.deleteSa(satype, local.addr, remote.addr, spiNumber(child.peerSpi));
    if (child.ipcomp?.peerCpi)
      await b.deleteSa(P.SADB_X_SATYPE_IPCOMP, local.addr, remote.addr, spiNumber(child.ipcomp.peerCpi));
  }

  /** The installed child holding an SPI of this satype, in either direction. */
  private byKernelSpi(satype: number, spi: number): { child: ChildSa; inbound: boolean } | undefined {
    for (const c of this.all) {
      if (c.installedMs === undefined) continue;
      if (satype === P.SADB_X_SATYPE_IPCOMP) {
        if (c.ipcomp?.myCpi.length && spiNumber(c.ipcomp.myCpi) === spi) return { child: c, inbound: true };
        continue;
      }
      if (satypeOf(c.protocol) !== satype) continue;
      if (c.mySpi && spiNumber(c.mySpi) === spi) return { child: c, inbound: true };
      if (c.peerSpi && spiNumber(c.peerSpi) === spi) return { child: c, inbound: false };
    }
    return undefined;
  }

  /**
   * SADB_EXPIRE: soft -> a rekey, by the creator at once, by the other end a tenth of the lifetime later if the
   * child is still there (§2.8: the end with the shorter lifetime rekeys, whoever created the child; the pause
   * keeps equal lifetimes from colliding, §2.8.1 settles it if they do); hard -> Delete at the peer.
   */
  expire(m: PfkeyMessage): void {
    const spi = sadbSpi(m);
    if (spi === undefined) return;
    const hit = this.byKernelSpi(m.msg.satype, spi);
    if (!hit) return;
    const { child } = hit;
    if (m.ext.lifetimeSoft && !m.ext.lifetimeHard) {
      // Either SA of the pair: KAME expires only an SA that carried traffic, which may be one direction only.
      if (child.state !== 'installed' || this.rekeyQueued.has(child)) return;
      this.rekeyQueued.add(child);
      const rekey = () => {
        if (child.state === 'installed' && child.ike.state === 'established' && !this.ctx.closed())
          this.hooks.rekey(child);
      };
      const what = `soft expiry of IKEv2 child ${child.id}`;
      if (child.initiator) {
        this.ctx.log('info', `${what} (SPI ${hx(child.mySpi)}): rekeying`);
        rekey();
        return;
      }
      const wait = child.lifetimeSec / 10;
      this.ctx.log('info', `${what} (created by the peer) (SPI ${hx(child.mySpi)}): rekeying in ${wait} s if not done`);
      this.ctx.clock.setTimer(wait * 1000, rekey);
      return;
    }
    if (hit.inbound && child.state !== 'deleting') this.hooks.deleteAtPeer(child, 'hard lifetime expired');
  }

  /** The kernel deleted one of our SAs (setkey -D / delete): the peer is told, the pair goes. */
  deleted(m: PfkeyMessage): void {
    const spi = sadbSpi(m);
    if (spi === undefined) return;
    const hit = this.byKernelSpi(m.msg.satype, spi);
    if (hit && hit.child.state !== 'deleting') this.hooks.deleteAtPeer(hit.child, 'deleted from the kernel');
  }

  flushed(satype: number): void {
    for (const c of [...this.all])
      if (satype === P.SADB_SATYPE_UNSPEC || satypeOf(c.protocol) === satype) this.forget(c);
  }

  close(): void {
    for (const c of this.all) for (const t of c.cancelTimers) t();
  }
}
