// Which remote section a responder's phase 1 belongs to (racoon remoteconf.c getrmconf_by_ph1,
// handler.c resolveph1rmconf). By address alone several sections may fit: an exact address wins, else every
// section without an address (anonymous or named) is a candidate. racoon narrows them as the exchange
// reveals more: the exchange type and an acceptable proposal (message 1), a CR naming the CA of one
// section's certificate (oakley_savecr), and the peer's ID against peers_identifier with verify_identifier.
// Where racoon gives up on a tie, uipsec keeps the first candidate (the section a plain address lookup
// picks); sections that others inherit from are templates and never candidates.
import { addrEqual } from '../../../common/inet.js';
import { matchCertRequestV1 } from '../../cert/cert-request.js';
import { matchPeersIdentifier } from '../../cert/identity.js';
import type { RacoonConf, RemoteConf } from '../../conf/ast.js';
import type { IsakmpPayload } from '../../isakmp/message.js';
import type { IsakmpCertRequest } from '../../isakmp/payloads/cert.js';
import type { IsakmpId } from '../../isakmp/payloads/id.js';
import * as C from '../../isakmp/constants.js';
import type { Phase1 } from '../handles.js';
import type { AuthCtx } from './auth.js';

/** The sections a new responder phase 1 from `addr` may belong to, `first` (the address lookup's) first. */
export function remoteCandidates(conf: RacoonConf, addr: Uint8Array, first: RemoteConf): RemoteConf[] {
  if (first.address && addrEqual(first.address, addr)) return [first];
  // Sections other sections inherit from are templates here, not peers of their own.
  const parents = new Set(conf.remotes.map((r) => r.inherit).filter((n) => n !== undefined));
  const rest = conf.remotes.filter((r) => r !== first && !r.address && !parents.has(r.name) && r.proposals.length > 0);
  return [first, ...rest];
}

/** Keeps the candidates `keep` accepts; when none or one is left, the phase 1 knows its section. */
function narrow(ph1: Phase1, keep: (rm: RemoteConf) => boolean, why: string, ctx: AuthCtx): void {
  const c = ph1.candidates;
  if (!c || c.length < 2) return;
  const left = c.filter(keep);
  if (left.length === 0) return; // racoon: "Still ambiguous or matches nothing, ignore this CR"
  ph1.candidates = left;
  if (left[0] !== ph1.rmconf) {
    ph1.rmconf = left[0]!;
    ctx.log('debug', `configuration "${ph1.rmconf.name}" selected by ${why}.`);
  }
}

/** Candidates that allow this exchange type and accept the peer's proposal. */
export function narrowByProposal(ph1: Phase1, accepts: (rm: RemoteConf) => boolean, ctx: AuthCtx): void {
  narrow(ph1, (rm) => rm.exchangeMode.includes(ph1.etype) && accepts(rm), 'proposal', ctx);
}

/** oakley_savecr: the first CR that names the issuer of exactly the certificates of some candidates. */
export function narrowByCr(ph1: Phase1, payloads: readonly IsakmpPayload[], ctx: AuthCtx): void {
  const crs = payloads.filter((p) => p.type === C.ISAKMP_NPTYPE_CR).map((p) => p.body as IsakmpCertRequest);
  for (const cr of crs.slice(0, 8)) {
    const fits = (rm: RemoteConf) => {
      const mine = ctx.auth(rm).certs.myCert?.cert;
      return mine !== undefined && matchCertRequestV1(cr, mine, rm.matchEmptyCr) === 'match';
    };
    if (ph1.candidates && ph1.candidates.some(fits)) return narrow(ph1, fits, 'CR', ctx);
  }
}

/** rmconf_match_type with an identity: sections with verify_identifier must know the peer's ID. */
export function narrowById(ph1: Phase1, id: IsakmpId, ctx: AuthCtx): void {
  narrow(
    ph1,
    (rm) => {
      if (!rm.verifyIdentifier) return true;
      const a = ctx.auth(rm);
      return a.peerIdAny || matchPeersIdentifier(a.peerIds, id.idType, id.data, true).ok;
    },
    'ID',
    ctx,
  );
}
