// What a quick mode asks `sainfo` with (racoon getsainfo's arguments): besides the two identities, the `ph1id`
// of the peer's remote section, which a sainfo's `remoteid` must equal (pfkey.c pk_recvacquire on the
// initiator, isakmp_quick.c get_sainfo_r on the responder), and on a mode-config server the address the
// peer was given, which a `clientaddr` sainfo requires as the peer's identity (get_sainfo_r: the client ID).
import { addrFamily } from '../../../common/inet.js';
import type { RacoonConf } from '../../conf/ast.js';
import { lookupRemote, type Phase2Id, type SainfoQuery } from '../../conf/lookup.js';
import type { Endpoint } from '../../engine/datagram.js';
import type { Phase1 } from '../handles.js';

/** Initiator: our policy's identities, and the ph1id of the remote section for the gateway. */
export function initiatorQuery(
  conf: RacoonConf,
  local: Phase2Id | undefined,
  remote: Phase2Id | undefined,
  peer: Endpoint,
): SainfoQuery {
  return { local, remote, remoteid: lookupRemote(conf, peer.addr, peer.port)?.ph1id ?? 0 };
}

/** Responder: the peer's identities (`cr` ours, `ci` theirs), its phase 1 ID, ph1id, mode-config address. */
export function responderQuery(ph1: Phase1, ci: Phase2Id, cr: Phase2Id): SainfoQuery {
  const given = ph1.cfg?.addr4;
  const client: Phase2Id | undefined = given
    ? { prefix: { family: addrFamily(given), addr: given, len: given.length * 8 }, proto: 0, port: 0 }
    : undefined;
  return { local: cr, remote: ci, peer: ph1.peerId, remoteid: ph1.rmconf.ph1id ?? 0, client };
}
