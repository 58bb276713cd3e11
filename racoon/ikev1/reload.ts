// What a configuration reload (SIGHUP, racoonctl reload-config) does to the IKEv1 SAs, as racoon's
// revalidate_ph12 (handler.c) does: a phase 1 whose peer no longer has a `remote` section is deleted (its
// phase 2 SAs first), the others take the new section; an established phase 2 stays only if the sainfo now
// found for its identities still allows what was negotiated — lifetime and PFS group by the remote's
// proposal_check, and the algorithms — else it is deleted at the peer and in the kernel.
import type { ProposalCheck, RacoonConf, SainfoConf } from '../conf/ast.js';
import { lookupSainfo, phase2IdOf } from '../conf/lookup.js';
import * as C from '../isakmp/constants.js';
import type { Phase2 } from './handles.js';
import type { Ph2Approval } from './ph2/proposal.js';
import { initiatorQuery, responderQuery } from './ph2/sainfo-query.js';
import { peerSelectors } from './ph2/selectors.js';

/** What a reload kept and removed. */
export interface ReloadSummary {
  ph1Kept: number;
  ph1Deleted: number;
  ph2Kept: number;
  ph2Deleted: number;
}

/** The sainfo a new configuration gives a phase 2 (the lookup its side made when it was negotiated). */
export function sainfoFor(conf: RacoonConf, ph2: Phase2): SainfoConf | undefined {
  if (ph2.side === 'initiator') {
    if (!ph2.idci || !ph2.idcr) return undefined;
    return lookupSainfo(conf, initiatorQuery(conf, phase2IdOf(ph2.idci), phase2IdOf(ph2.idcr), ph2.dst));
  }
  if (!ph2.ph1) return undefined;
  const { ci, cr } = peerSelectors(ph2.ph1, ph2);
  return lookupSainfo(conf, responderQuery(ph2.ph1, ci, cr));
}

/** racoon revalidate_ph2: why a negotiated phase 2 is no longer allowed by `sainfo`, or undefined. */
export function ph2Disallowed(approval: Ph2Approval, sainfo: SainfoConf, check: ProposalCheck): string | undefined {
  const pfs = sainfo.pfsGroup?.id;
  if (check === 'exact' && (sainfo.lifetimeSec !== approval.lifetimeSec || pfs !== approval.pfsGroup))
    return 'lifetime or PFS group differ';
  if ((check === 'strict' || check === 'claim') && sainfo.lifetimeSec < approval.lifetimeSec)
    return 'lifetime now shorter';
  if ((check === 'strict' || check === 'claim') && pfs !== undefined && pfs !== approval.pfsGroup)
    return 'PFS group changed';
  if (check === 'obey') return undefined;
  for (const sa of approval.sas) {
    if (sa.protoId === C.IPSECDOI_PROTO_IPCOMP) {
      if (!sainfo.compression.some((c) => c.id === sa.transformId)) return 'compression algorithm removed';
      continue;
    }
    if (sa.authAttr !== undefined && !sainfo.authentication.some((a) => a.id === sa.authAttr))
      return 'authentication algorithm removed';
    if (sa.protoId !== C.IPSECDOI_PROTO_IPSEC_ESP) continue;
    const keyOk = (keyLen: number | undefined) =>
      keyLen === undefined ||
      sa.keyBits === undefined ||
      (check === 'exact' ? keyLen === sa.keyBits : keyLen <= sa.keyBits);
    if (!sainfo.encryption.some((e) => e.id === sa.transformId && keyOk(e.keyLen)))
      return 'encryption algorithm removed';
  }
  return undefined;
}
