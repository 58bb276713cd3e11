// IKEv2's own counters beside the daemon's shared ones (engine/stats.ts): established and failed SAs of each
// kind, cookies and INVALID_KE_PAYLOAD answers, version-mismatch answers, rekeys and liveness checks.

export interface Ikev2Stats {
  ikeEstablished: number;
  ikeFailed: number;
  childEstablished: number;
  childFailed: number;
  childRekeyed: number;
  ikeRekeyed: number;
  cookiesSent: number;
  invalidKeSent: number;
  versionAnswers: number;
  livenessChecks: number;
  deadPeers: number;
}

export function newIkev2Stats(): Ikev2Stats {
  return {
    ikeEstablished: 0,
    ikeFailed: 0,
    childEstablished: 0,
    childFailed: 0,
    childRekeyed: 0,
    ikeRekeyed: 0,
    cookiesSent: 0,
    invalidKeSent: 0,
    versionAnswers: 0,
    livenessChecks: 0,
    deadPeers: 0,
  };
}
