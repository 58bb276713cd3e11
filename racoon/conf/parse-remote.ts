// `remote` sections (racoon.conf(5) "Remote Nodes Specifications"): the head (address, port, inherit), racoon's
// defaults, and the statements about the exchange itself; the settings statements are in remote-statements.ts
// and the `proposal` blocks in parse-proposal.ts. Each statement gets the section being filled as its context.
import { formatAddr, parseAddr } from '../../common/inet.js';
import {
  ISAKMP_ETYPE_AGG,
  ISAKMP_ETYPE_BASE,
  ISAKMP_ETYPE_IDENT,
  IPSEC_DOI,
  IPSECDOI_SIT_IDENTITY_ONLY,
  IPSECDOI_SIT_INTEGRITY,
  IPSECDOI_SIT_SECRECY,
} from '../isakmp/constants.js';
import { DEFAULT_NONCE_SIZE, DEFAULT_PH1_LIFETIME_SEC, ISAKMP_PORT, type RacoonConf, type RemoteConf } from './ast.js';
import { retagIkev2Uses } from './ikev2.js';
import type { Token } from './lexer.js';
import { parseProposal } from './parse-proposal.js';
import { posOf, type Handler, type TokenReader } from './reader.js';
import { BEHAVIOUR_HANDLERS, IDENTITY_HANDLERS, type RemoteCtx } from './remote-statements.js';
import { address, optionalPort } from './values.js';

const EXCHANGE_MODES: Readonly<Record<string, number>> = {
  main: ISAKMP_ETYPE_IDENT,
  aggressive: ISAKMP_ETYPE_AGG,
  base: ISAKMP_ETYPE_BASE,
};

const SITUATIONS = {
  identity_only: IPSECDOI_SIT_IDENTITY_ONLY,
  secrecy: IPSECDOI_SIT_SECRECY,
  integrity: IPSECDOI_SIT_INTEGRITY,
} as const;

/** A remote with racoon's defaults (racoon `newrmconf`). */
export function defaultRemote(kw: Token, name: string): RemoteConf {
  return {
    pos: posOf(kw),
    name,
    anonymous: false,
    port: ISAKMP_PORT,
    portGiven: false,
    exchangeMode: [ISAKMP_ETYPE_IDENT],
    doi: IPSEC_DOI,
    situation: IPSECDOI_SIT_IDENTITY_ONLY,
    peersIdentifiers: [],
    verifyIdentifier: false,
    sendCert: true,
    sendCr: true,
    verifyCert: true,
    matchEmptyCr: false,
    lifetimeSec: DEFAULT_PH1_LIFETIME_SEC,
    initialContact: true,
    passive: false,
    supportProxy: false,
    proposalCheck: 'strict',
    natTraversal: 'off',
    generatePolicy: 'off',
    nonceSize: DEFAULT_NONCE_SIZE,
    dpd: true,
    dpdDelaySec: 0,
    dpdRetrySec: 5,
    dpdMaxfail: 5,
    ikeFrag: 'off',
    modeCfg: false,
    weakPhase1Check: false,
    rekey: 'on',
    scripts: [],
    proposals: [],
    ikeVersion: 1,
    rsaPss: false,
  };
}

/** A copy of `parent` for `remote X inherit parent` (racoon `duprmconf`): settings and proposals carry over. */
function inheritFrom(parent: RemoteConf, kw: Token, name: string): RemoteConf {
  return {
    ...structuredClone(parent),
    pos: posOf(kw),
    name,
    anonymous: false,
    address: undefined,
    port: parent.port,
    inherit: parent.name,
  };
}
const REMOTE_HANDLERS: Readonly<Record<string, Handler<RemoteCtx>>> = {
  ...IDENTITY_HANDLERS,
  ...BEHAVIOUR_HANDLERS,
  remote_address: (r, _kw, { rm }) => {
    rm.address = address(r, 'remote_address');
    if (r.peek().kind === 'port') {
      rm.port = optionalPort(r, rm.port);
      rm.portGiven = true;
    }
    r.semi();
  },
  exchange_mode: (r, _kw, { rm }) => {
    // cftoken.l ignores the commas: `main, aggressive` and `main aggressive` are the same list.
    const modes: number[] = [];
    do {
      const t = r.word('exchange mode');
      const m = Object.hasOwn(EXCHANGE_MODES, t.text)
        ? EXCHANGE_MODES[t.text]!
        : r.fail(t, `bad exchange mode '${t.text}', expected main|aggressive|base`);
      if (modes.includes(m)) r.fail(t, `exchange mode '${t.text}' listed twice`);
      // The first mode is what we start as initiator; every listed mode is accepted from a peer.
      modes.push(m);
      r.use(`remote.exchange_mode ${t.text}`, t);
      r.acceptKind(',');
    } while (r.peek().kind === 'word');
    rm.exchangeMode = modes;
    r.semi();
  },
  doi: (r, _kw, { rm }) => {
    r.choice(['ipsec_doi'], 'doi');
    rm.doi = IPSEC_DOI;
    r.semi();
  },
  situation: (r, kw, { rm }) => {
    const s = r.choice(['identity_only', 'secrecy', 'integrity'] as const, 'situation');
    rm.situation = SITUATIONS[s];
    r.use(`remote.situation ${s}`, kw);
    r.semi();
  },
  dh_group: (r, kw) =>
    r.fail(kw, 'dh_group cannot be defined here (ipsec-tools 0.8.2 refuses it too): write it in each proposal'),
  proposal: (r, kw, { proposals }) => {
    proposals.push(parseProposal(r, kw));
  },
};

/** `remote (ADDRESS|anonymous|NAME) [port] [inherit PARENT] ({ ... } | ;)` */
export function parseRemote(r: TokenReader, kw: Token, conf: RacoonConf): void {
  const head = r.strOrWord('remote address, anonymous, or name');
  const addr = head.kind === 'word' ? parseAddr(head.text) : undefined;
  const anonymous = head.kind === 'word' && head.text === 'anonymous';
  const portGiven = r.peek().kind === 'port';
  const port = optionalPort(r, ISAKMP_PORT);
  const name = addr ? formatAddr(addr) : head.text;
  let rm = defaultRemote(kw, name);
  if (r.accept('inherit')) {
    const p = r.strOrWord('parent remote');
    const pa = parseAddr(p.text);
    const parent = conf.remotes.find(
      (x) => x.name === p.text || (pa !== undefined && x.address !== undefined && x.name === formatAddr(pa)),
    );
    if (!parent) r.fail(p, `inherit: no remote '${p.text}' defined before this one`);
    rm = inheritFrom(parent, kw, name);
  }
  rm.anonymous = anonymous;
  if (addr) rm.address = addr;
  if (addr || portGiven) {
    rm.port = port;
    rm.portGiven = portGiven;
  }
  if (r.acceptKind(';')) {
    if (!rm.inherit) r.error(kw, `remote '${name}' without a body must inherit from another remote`);
    conf.remotes.push(rm);
    return;
  }
  const ctx: RemoteCtx = { rm, proposals: [] };
  const firstUse = r.uses.length;
  r.block(`remote ${name}`, kw, REMOTE_HANDLERS, ctx);
  if (ctx.proposals.length > 0) rm.proposals = ctx.proposals;
  if (rm.ikeVersion === 2) retagIkev2Uses(r.uses, firstUse);
  conf.remotes.push(rm);
}
