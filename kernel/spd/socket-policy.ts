// Per-socket IPsec policies (KAME `struct inpcbpolicy`, IP_IPSEC_POLICY, ipsec_set_policy): what a socket may
// ask for (ipsec with requests, entrust to the SPD, or bypass when privileged), their validation, and what a
// packet gets once the socket policy, the SPD and the default have been weighed (Spd.resolvePolicy).
import type { IpsecRequest, IpsecRequestSpec, Policy } from './policy.js';
import { SpdError, showValue, checkRequests } from './policy.js';

/** What a packet gets: the outcome of the socket policy, the SPD and the default policy. */
export interface PolicyResolution {
  readonly action: 'discard' | 'none' | 'ipsec';
  readonly requests: readonly IpsecRequest[];
  readonly source: 'socket' | 'spd' | 'default';
  /** The SPD entry when source is 'spd'. */
  readonly policy?: Policy;
}

/** One direction of a socket policy (IP_IPSEC_POLICY): bypass, ipsec with requests, or entrust to the SPD. */
export type SocketDirPolicy =
  | { readonly action: 'entrust' }
  | { readonly action: 'bypass' }
  | { readonly action: 'ipsec'; readonly requests: readonly IpsecRequest[] };

/** KAME `struct inpcbpolicy`: the in/out policies of one socket and whether its owner is privileged. */
export interface SocketPolicy {
  readonly privileged: boolean;
  readonly in: SocketDirPolicy;
  readonly out: SocketDirPolicy;
}

export interface SocketDirPolicySpec {
  action: 'entrust' | 'bypass' | 'ipsec';
  requests?: IpsecRequestSpec[];
}

const ENTRUST: SocketDirPolicy = { action: 'entrust' };

function checkSocketDir(spec: unknown, privileged: boolean): SocketDirPolicy {
  if (spec === undefined) return ENTRUST;
  if (typeof spec !== 'object' || spec === null) throw new SpdError('EINVAL', 'socket policy expected');
  const action = (spec as { action?: unknown }).action;
  // KAME ipsec_set_policy: sockets take ipsec, entrust and bypass only; bypass needs privilege.
  if (action !== 'entrust' && action !== 'bypass' && action !== 'ipsec') {
    throw new SpdError('EINVAL', `socket policy must be entrust, bypass or ipsec, got ${showValue(action)}`);
  }
  if (action === 'bypass' && !privileged) throw new SpdError('EACCES', 'bypass needs a privileged socket');
  const requests = checkRequests(action, (spec as { requests?: unknown }).requests);
  return action === 'ipsec' ? { action, requests } : { action };
}

/** Validates and builds a per-socket policy; a missing direction means entrust. */
export function createSocketPolicy(spec: {
  privileged?: boolean;
  in?: SocketDirPolicySpec;
  out?: SocketDirPolicySpec;
}): SocketPolicy {
  if (typeof spec !== 'object' || spec === null) throw new SpdError('EINVAL', 'socket policy spec expected');
  const privileged = spec.privileged === true;
  return { privileged, in: checkSocketDir(spec.in, privileged), out: checkSocketDir(spec.out, privileged) };
}

/** A socket's own answer, when it has one. */
export function fromSocket(d: SocketDirPolicy): PolicyResolution {
  if (d.action === 'ipsec') return { action: 'ipsec', requests: d.requests, source: 'socket' };
  return { action: 'none', requests: [], source: 'socket' };
}
