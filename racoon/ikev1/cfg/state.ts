// The mode config / XAuth state of one phase 1 (racoon `struct isakmp_cfg_state`), kept on the Phase1.
import type { Retransmittable } from '../../engine/retransmit.js';
import type { ModeCfgResult } from './attributes.js';

/** One transaction exchange of ours (a request waiting for its answer) or the peer's (our answer, resent). */
export interface CfgExchange extends Retransmittable {
  state: 'wait' | 'done';
  msgid: number;
  identifier: number;
  /** The IV the other message of this exchange is encrypted under. */
  iv: Uint8Array;
  what: 'xauth-request' | 'xauth-set' | 'modecfg-request' | 'answer';
}

export interface CfgState {
  /** Our XAuth end for the negotiated method; mode config: we ask (client) or answer (server). */
  xauth?: 'server' | 'client';
  modeCfgClient: boolean;
  /** Quick modes wait (initiator) or are refused (responder) while this holds. */
  gate: boolean;
  xauthStatus: 'none' | 'pending' | 'ok' | 'failed';
  /** The XAuth user (server: who logged in; client: our xauth_login). */
  user?: string;
  /** Our exchange in progress; the peer's last exchange we answered. */
  pending?: CfgExchange;
  answered?: CfgExchange;
  /** Client: the configuration received; server: the address given. */
  result?: ModeCfgResult;
  addr4?: Uint8Array;
  /** Server: the address and mask the auth back-end gave with the login (conf_source radius|ldap). */
  authAddr4?: Uint8Array;
  authMask4?: Uint8Array;
  /** phase1_up ran (it runs once, when the phase 1 is usable). */
  up: boolean;
  cancelWait?: () => void;
}
