// What racoon does with an authenticated informational message (racoon isakmp_inf.c isakmp_info_recv):
// DELETE of the ISAKMP SA or of IPsec SPIs, INITIAL-CONTACT (the peer rebooted: purge everything we hold
// with it, RFC 2407 §4.6.3.3), and error notifications that end one of our quick modes at once.
import { equalCT } from '../../common/bytes.js';
import { addrEqual, formatAddr } from '../../common/inet.js';
import * as P from '../../pfkey/constants.js';
import type { PfkeyMessage } from '../../pfkey/msg.js';
import type { EngineCtx } from '../engine/context.js';
import * as C from '../isakmp/constants.js';
import type { IsakmpMessage } from '../isakmp/message.js';
import type { IsakmpNotify } from '../isakmp/payloads/notify.js';
import { sadbSpi, spiNumber } from '../sa/spi.js';
import { isDpdNotify } from './dpd.js';
import type { Phase1 } from './handles.js';
import { openInfo } from './informational.js';
import type { Ph1Table } from './ph1/table.js';
import type { Ph2Table } from './ph2/table.js';

function hx(b: Uint8Array): string {
  return Buffer.from(b).toString('hex');
}

export class InfoInput {
  constructor(
    private readonly ctx: EngineCtx,
    private readonly ph1s: Ph1Table,
    private readonly ph2s: Ph2Table,
    /** R-U-THERE / R-U-THERE-ACK go to dead peer detection (dpd.ts). */
    private readonly dpd: (ph1: Phase1, n: IsakmpNotify) => void = () => {},
  ) {}

  /** An informational message under an established phase 1 (HASH(1) checked by openInfo). */
  input(ph1: Phase1, msg: IsakmpMessage): void {
    for (const p of openInfo(ph1, msg)) {
      if (p.type === C.ISAKMP_NPTYPE_D) {
        this.ctx.stats.deletesReceived++;
        void this.peerDelete(ph1, p.body.protoId, p.body.spis);
      } else if (p.type === C.ISAKMP_NPTYPE_N) {
        this.notification(ph1, p.body);
      }
    }
  }

  private notification(ph1: Phase1, n: IsakmpNotify): void {
    if (isDpdNotify(n)) {
      this.dpd(ph1, n);
      return;
    }
    this.ctx.stats.notifiesReceived++;
    if (n.notifyType === C.IPSECDOI_NTYPE_INITIAL_CONTACT) {
      void this.initialContact(ph1);
      return;
    }
    const name = C.nameOf(C.ISAKMP_NTYPE_NAMES, n.notifyType);
    this.ctx.log('notice', `notification ${name} from ${formatAddr(ph1.remote.addr)}`);
    // An authenticated error about one of our quick modes ends it now instead of after the retransmissions.
    if (n.notifyType >= 8192) return;
    const ph2 = [...this.ph2s.all].find(
      (p) =>
        p.ph1 === ph1 &&
        p.side === 'initiator' &&
        p.state === 'msg1-sent' &&
        [...p.mySpis.values()].some((x) => equalCT(x, n.spi)),
    );
    if (ph2) this.ph2s.fail(ph2, `peer answered ${name}`);
  }

  /** ISAKMP DELETE from the peer: remove our SAs with those SPIs (both directions of each pair). */
  private async peerDelete(ph1: Phase1, protoId: number, spis: Uint8Array[]): Promise<void> {
    if (protoId === C.IPSECDOI_PROTO_ISAKMP) {
      this.ph1s.kill(ph1, 'peer deleted the ISAKMP-SA');
      return;
    }
    for (const spi of spis) {
      for (const ph2 of [...this.ph2s.all]) {
        const sa = ph2.approval?.sas.find((s) => s.protoId === protoId && equalCT(s.peerSpi, spi));
        if (!sa || ph2.state !== 'established') continue;
        this.ctx.log('info', `peer deleted ${C.nameOf(C.IPSECDOI_PROTO_NAMES, protoId)} SPI ${hx(spi)}`);
        await this.ph2s.remove(ph2, false);
      }
    }
  }

  /** RFC 2407 §4.6.3.3 INITIAL-CONTACT: the peer rebooted; drop every SA and other phase 1 we have with it. */
  async initialContact(ph1: Phase1): Promise<void> {
    for (const p of [...this.ph1s.sas.values()])
      if (p !== ph1 && addrEqual(p.remote.addr, ph1.remote.addr)) this.ph1s.kill(p, 'INITIAL-CONTACT');
    for (const ph2 of [...this.ph2s.all])
      if (ph2.ph1 !== ph1 && addrEqual(ph2.dst.addr, ph1.remote.addr)) this.ph2s.all.delete(ph2);
    let dump: PfkeyMessage[] = [];
    try {
      dump = await this.ctx.bridge.client.dumpAll(P.SADB_DUMP);
    } catch {
      return;
    }
    for (const m of dump) {
      const s = m.ext.addressSrc?.addr.addr;
      const d = m.ext.addressDst?.addr.addr;
      const spi = sadbSpi(m);
      if (!s || !d || spi === undefined) continue;
      if (!addrEqual(s, ph1.remote.addr) && !addrEqual(d, ph1.remote.addr)) continue;
      if (!this.negotiatedWith(ph1, spi)) await this.ctx.bridge.deleteSa(m.msg.satype, s, d, spi);
    }
  }

  /** An SPI of a pair this phase 1 negotiated (kept across INITIAL-CONTACT). */
  private negotiatedWith(ph1: Phase1, spi: number): boolean {
    return [...this.ph2s.all].some(
      (p) => p.ph1 === ph1 && p.approval?.sas.some((x) => spiNumber(x.mySpi) === spi || spiNumber(x.peerSpi) === spi),
    );
  }
}
