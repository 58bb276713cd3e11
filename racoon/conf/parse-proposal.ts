// Phase 1 `proposal { }` blocks inside a remote section (racoon.conf(5) "Remote Nodes Specifications":
// encryption_algorithm, hash_algorithm, authentication_method, dh_group, lifetime, gss_id).
import { DH_GROUPS, PH1_AUTH, PH1_ENC, PH1_HASH } from './algorithms.js';
import type { ProposalConf } from './ast.js';
import type { Token } from './lexer.js';
import { posOf, type Handler, type TokenReader } from './reader.js';
import { algorithmRef, lifetime } from './values.js';

interface ProposalCtx {
  p: ProposalConf;
}

/** `gss_id "name";` (cftoken.l also takes `gssapi_id`, its older spelling). */
const gssId: Handler<ProposalCtx> = (r, kw, { p }) => {
  p.gssId = r.str('GSS-API id');
  r.use('proposal.gss_id', kw);
  r.semi();
};

const PROPOSAL_HANDLERS: Readonly<Record<string, Handler<ProposalCtx>>> = {
  encryption_algorithm: (r, _kw, { p }) => {
    p.enc = algorithmRef(r, PH1_ENC, 'encryption_algorithm', 'proposal');
    r.semi();
  },
  hash_algorithm: (r, _kw, { p }) => {
    p.hash = algorithmRef(r, PH1_HASH, 'hash_algorithm', 'proposal');
    r.semi();
  },
  authentication_method: (r, _kw, { p }) => {
    p.authMethod = algorithmRef(r, PH1_AUTH, 'authentication_method', 'proposal');
    r.semi();
  },
  dh_group: (r, _kw, { p }) => {
    p.dhGroup = algorithmRef(r, DH_GROUPS, 'dh_group', 'proposal');
    r.semi();
  },
  lifetime: (r, kw, { p }) =>
    lifetime(r, kw, 'proposal', (v) => {
      p.lifetimeSec = v;
    }),
  gss_id: gssId,
  gssapi_id: gssId,
};
/** `proposal { ... }`: one phase 1 proposal of a remote. */
export function parseProposal(r: TokenReader, kw: Token): ProposalConf {
  const p: ProposalConf = { pos: posOf(kw) };
  r.block('proposal', kw, PROPOSAL_HANDLERS, { p });
  return p;
}
