// The daemon's counters (racoon has none), named after what happened to a message or a negotiation. Both
// IKE versions count into the same record; `racoon.stats` is what tests and tools read.

export interface RacoonStats {
  received: number;
  malformed: number;
  unknownSa: number;
  duplicates: number;
  retransmits: number;
  halfOpenRefused: number;
  /** Unauthenticated half-open negotiations dropped to admit another (half-open.ts). */
  halfOpenEvicted: number;
  /** Answers not resent for a repeated request (resend cap, too soon, or over the resend budget). */
  resendsSuppressed: number;
  /** Log lines about one source left out (log-limit.ts); each window ends with a summary line. */
  logSuppressed: number;
  authFailed: number;
  noProposal: number;
  ph1Established: number;
  ph2Established: number;
  ph1Failed: number;
  ph2Failed: number;
  deletesSent: number;
  deletesReceived: number;
  notifiesSent: number;
  notifiesReceived: number;
  keepalivesSent: number;
  ph2Refused: number;
  /** Dead peer detection (RFC 3706): probes sent, acknowledged, answered for the peer, ignored, peers dead. */
  dpdSent: number;
  dpdAcked: number;
  dpdAnswered: number;
  dpdIgnored: number;
  dpdDead: number;
  /** IKE fragmentation: fragments sent and received, messages reassembled, fragments dropped, timeouts. */
  fragSent: number;
  fragReceived: number;
  fragReassembled: number;
  fragDropped: number;
  fragTimedOut: number;
  /** XAuth logins accepted / refused (server), mode-config addresses given / pool exhausted, bad attributes. */
  xauthOk: number;
  xauthFailed: number;
  cfgAddrAssigned: number;
  cfgPoolExhausted: number;
  cfgDropped: number;
}

export function newRacoonStats(): RacoonStats {
  return {
    received: 0,
    malformed: 0,
    unknownSa: 0,
    duplicates: 0,
    retransmits: 0,
    halfOpenRefused: 0,
    halfOpenEvicted: 0,
    resendsSuppressed: 0,
    logSuppressed: 0,
    authFailed: 0,
    noProposal: 0,
    ph1Established: 0,
    ph2Established: 0,
    ph1Failed: 0,
    ph2Failed: 0,
    deletesSent: 0,
    deletesReceived: 0,
    notifiesSent: 0,
    notifiesReceived: 0,
    keepalivesSent: 0,
    ph2Refused: 0,
    dpdSent: 0,
    dpdAcked: 0,
    dpdAnswered: 0,
    dpdIgnored: 0,
    dpdDead: 0,
    fragSent: 0,
    fragReceived: 0,
    fragReassembled: 0,
    fragDropped: 0,
    fragTimedOut: 0,
    xauthOk: 0,
    xauthFailed: 0,
    cfgAddrAssigned: 0,
    cfgPoolExhausted: 0,
    cfgDropped: 0,
  };
}
