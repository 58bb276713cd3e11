// `remote` sections and their phase 1 `proposal` blocks (racoon.conf(5) "Remote Nodes Specifications").
// The handler tables are built once; each statement gets the section being filled as its context.
import { formatAddr, parseAddr } from '../../common/inet.js';
import {
  ISAKMP_ETYPE_AGG,
  ISAKMP_ETYPE_BASE,
  ISAKMP_ETYPE_IDENT,
  IPSEC_DOI,
  IPSECDOI_SIT_IDENTITY_ONLY,
} from '../isakmp/constants.js';
import { DH_GROUPS, PH1_AUTH, PH1_ENC, PH1_HASH } from './algorithms.js';
import {
  DEFAULT_NONCE_SIZE,
  DEFAULT_PH1_LIFETIME_SEC,
  ISAKMP_PORT,
  type AlgorithmRef,
  type LaterFeature,
  type ProposalConf,
  type RacoonConf,
  type RemoteConf,
} from './ast.js';
import { posOf, type Handler, type TokenReader } from './reader.js';
import type { Token } from './lexer.js';
import { address, algorithmRef, idSpec, optionalPort } from './values.js';

const EXCHANGE_MODES: Readonly<Record<string, number>> = {
  main: ISAKMP_ETYPE_IDENT,
  aggressive: ISAKMP_ETYPE_AGG,
  base: ISAKMP_ETYPE_BASE,
};

/** What the statements of one `remote { }` fill in. */
interface RemoteCtx {
  rm: RemoteConf;
  later: LaterFeature[];
  proposals: ProposalConf[];
  remoteDh?: AlgorithmRef;
}

interface ProposalCtx {
  p: ProposalConf;
  later: LaterFeature[];
}

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
    dpdDelaySec: 0,
    dpdRetrySec: 5,
    dpdMaxfail: 5,
    ikeFrag: 'off',
    modeCfg: false,
    weakPhase1Check: false,
    rekey: 'on',
    scripts: [],
    proposals: [],
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

/** `lifetime time N unit;` or `lifetime byte N unit;` into the given setters. */
function lifetime(r: TokenReader, setSec: (v: number) => void, setBytes: (v: number) => void): void {
  if (r.accept('time')) setSec(r.timeSec('lifetime'));
  else if (r.accept('byte')) setBytes(r.bytes('lifetime'));
  else r.fail(r.peek(), "expected 'time' or 'byte' after lifetime");
  r.semi();
}

const PROPOSAL_HANDLERS: Readonly<Record<string, Handler<ProposalCtx>>> = {
  encryption_algorithm: (r, _kw, { p }) => {
    p.enc = algorithmRef(r, PH1_ENC, 'encryption_algorithm');
    r.semi();
  },
  hash_algorithm: (r, _kw, { p }) => {
    p.hash = algorithmRef(r, PH1_HASH, 'hash_algorithm');
    r.semi();
  },
  authentication_method: (r, _kw, { p, later }) => {
    p.authMethod = algorithmRef(r, PH1_AUTH, 'authentication_method', later);
    r.semi();
  },
  dh_group: (r, _kw, { p, later }) => {
    p.dhGroup = algorithmRef(r, DH_GROUPS, 'dh_group', later);
    r.semi();
  },
  lifetime: (r, _kw, { p }) =>
    lifetime(
      r,
      (v) => {
        p.lifetimeSec = v;
      },
      (v) => {
        p.lifetimeBytes = v;
      },
    ),
  gss_id: (r, kw, { later }) => {
    r.str('GSS-API id');
    later.push({ what: 'gss_id (GSS-API authentication)', pos: posOf(kw) });
    r.semi();
  },
};

/** A statement of a later racoon feature: its arguments are parsed, then it is recorded for validation. */
function laterStatement(what: string, args: (r: TokenReader, c: RemoteCtx) => void): Handler<RemoteCtx> {
  return (r, kw, c) => {
    args(r, c);
    r.semi();
    c.later.push({ what, pos: posOf(kw) });
  };
}

/** A `name on|off;` statement setting one boolean of the remote. */
function flag(set: (rm: RemoteConf, v: boolean) => void, what: string): Handler<RemoteCtx> {
  return (r, _kw, c) => {
    set(c.rm, r.onOff(what));
    r.semi();
  };
}

/** A `name CHOICE;` statement setting one field of the remote. */
function choice<T extends string>(
  choices: readonly T[],
  what: string,
  set: (rm: RemoteConf, v: T) => void,
): Handler<RemoteCtx> {
  return (r, _kw, c) => {
    set(c.rm, r.choice(choices, what));
    r.semi();
  };
}

/** A `name N;` statement setting one number of the remote. */
function number(what: string, set: (rm: RemoteConf, v: number) => void): Handler<RemoteCtx> {
  return (r, _kw, c) => {
    set(c.rm, r.num(what));
    r.semi();
  };
}

function certificateArgs(r: TokenReader): void {
  const t = r.choice(['x509', 'plain_rsa'], 'certificate type');
  r.str('certificate file');
  if (t === 'x509') r.str('private key file');
}

/** Identities, certificates, XAuth and script hooks of a remote. */
const IDENTITY_HANDLERS: Readonly<Record<string, Handler<RemoteCtx>>> = {
  my_identifier: (r, _kw, { rm }) => {
    rm.myIdentifier = idSpec(r, 'my_identifier');
    r.semi();
  },
  peers_identifier: (r, _kw, { rm }) => {
    rm.peersIdentifiers.push(idSpec(r, 'peers_identifier'));
    r.semi();
  },
  verify_identifier: flag((rm, v) => {
    rm.verifyIdentifier = v;
  }, 'verify_identifier'),
  send_cert: flag((rm, v) => {
    rm.sendCert = v;
  }, 'send_cert'),
  send_cr: flag((rm, v) => {
    rm.sendCr = v;
  }, 'send_cr'),
  verify_cert: flag((rm, v) => {
    rm.verifyCert = v;
  }, 'verify_cert'),
  match_empty_cr: flag((rm, v) => {
    rm.matchEmptyCr = v;
  }, 'match_empty_cr'),
  certificate_type: laterStatement('certificate_type (certificates)', certificateArgs),
  ca_type: laterStatement('ca_type (certificates)', (r) => {
    r.choice(['x509'], 'CA type');
    r.str('CA file');
  }),
  peers_certfile: laterStatement('peers_certfile (certificates)', (r) => {
    if (r.accept('dnssec')) return;
    if (r.accept('x509') || r.accept('plain_rsa')) {
      r.str('certificate file');
      return;
    }
    r.str('certificate file');
  }),
  xauth_login: laterStatement('xauth_login (XAuth)', (r) => {
    r.strOrWord('login');
  }),
  script: (r, kw, { rm, later }) => {
    const path = r.str('script path');
    const ev = r.choice(['phase1_up', 'phase1_down', 'phase1_dead'] as const, 'script event');
    r.semi();
    rm.scripts.push({ event: ev, path, pos: posOf(kw) });
    later.push({ what: `script ${ev} (script hooks)`, pos: posOf(kw) });
  },
};

/** Lifetimes, negotiation policy, NAT-T, DPD, fragmentation and re-keying of a remote. */
const BEHAVIOUR_HANDLERS: Readonly<Record<string, Handler<RemoteCtx>>> = {
  lifetime: (r, _kw, { rm }) =>
    lifetime(
      r,
      (v) => {
        rm.lifetimeSec = v;
      },
      (v) => {
        rm.lifetimeBytes = v;
      },
    ),
  initial_contact: flag((rm, v) => {
    rm.initialContact = v;
  }, 'initial_contact'),
  passive: flag((rm, v) => {
    rm.passive = v;
  }, 'passive'),
  support_proxy: flag((rm, v) => {
    rm.supportProxy = v;
  }, 'support_proxy'),
  proposal_check: choice(['obey', 'strict', 'claim', 'exact'] as const, 'proposal_check', (rm, v) => {
    rm.proposalCheck = v;
  }),
  nat_traversal: choice(['on', 'off', 'force'] as const, 'nat_traversal', (rm, v) => {
    rm.natTraversal = v;
  }),
  generate_policy: choice(['on', 'off', 'require', 'unique'] as const, 'generate_policy', (rm, v) => {
    rm.generatePolicy = v;
  }),
  nonce_size: number('nonce_size', (rm, v) => {
    rm.nonceSize = v;
  }),
  dpd_delay: number('dpd_delay', (rm, v) => {
    rm.dpdDelaySec = v;
  }),
  dpd_retry: number('dpd_retry', (rm, v) => {
    rm.dpdRetrySec = v;
  }),
  dpd_maxfail: number('dpd_maxfail', (rm, v) => {
    rm.dpdMaxfail = v;
  }),
  ike_frag: (r, kw, { rm, later }) => {
    rm.ikeFrag = r.choice(['on', 'off', 'force'] as const, 'ike_frag');
    if (rm.ikeFrag !== 'off') later.push({ what: `ike_frag ${rm.ikeFrag} (IKE fragmentation)`, pos: posOf(kw) });
    r.semi();
  },
  esp_frag: laterStatement('esp_frag (ESP pre-fragmentation)', (r, { rm }) => {
    rm.espFrag = r.num('esp_frag', 0, 65535);
  }),
  mode_cfg: (r, kw, { rm, later }) => {
    rm.modeCfg = r.onOff('mode_cfg');
    if (rm.modeCfg) later.push({ what: 'mode_cfg on (ISAKMP mode config)', pos: posOf(kw) });
    r.semi();
  },
  weak_phase1_check: flag((rm, v) => {
    rm.weakPhase1Check = v;
  }, 'weak_phase1_check'),
  rekey: choice(['on', 'off', 'force'] as const, 'rekey', (rm, v) => {
    rm.rekey = v;
  }),
  ph1id: number('ph1id', (rm, v) => {
    rm.ph1id = v;
  }),
};

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
    const modes: number[] = [];
    do {
      const t = r.word('exchange mode');
      const m = Object.hasOwn(EXCHANGE_MODES, t.text)
        ? EXCHANGE_MODES[t.text]!
        : r.fail(t, `bad exchange mode '${t.text}', expected main|aggressive|base`);
      if (modes.includes(m)) r.fail(t, `exchange mode '${t.text}' listed twice`);
      modes.push(m);
    } while (r.acceptKind(','));
    rm.exchangeMode = modes;
    r.semi();
  },
  doi: (r, _kw, { rm }) => {
    r.choice(['ipsec_doi'], 'doi');
    rm.doi = IPSEC_DOI;
    r.semi();
  },
  situation: (r, kw, { later }) => {
    const s = r.choice(['identity_only', 'secrecy', 'integrity'], 'situation');
    if (s !== 'identity_only') later.push({ what: `situation ${s} (labelled IPsec)`, pos: posOf(kw) });
    r.semi();
  },
  dh_group: (r, _kw, c) => {
    // Deprecated remote-level dh_group (aggressive mode); racoon copies it into proposals without one.
    c.remoteDh = algorithmRef(r, DH_GROUPS, 'dh_group', c.later);
    r.semi();
  },
  proposal: (r, kw, { proposals, later }) => {
    const p: ProposalConf = { pos: posOf(kw) };
    r.block('proposal', kw, PROPOSAL_HANDLERS, { p, later });
    proposals.push(p);
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
  const ctx: RemoteCtx = { rm, later: conf.later, proposals: [] };
  r.block(`remote ${name}`, kw, REMOTE_HANDLERS, ctx);
  // A remote-level dh_group fills the proposals that lack one.
  if (ctx.remoteDh) for (const p of ctx.proposals) p.dhGroup ??= ctx.remoteDh;
  if (ctx.proposals.length > 0) rm.proposals = ctx.proposals;
  conf.remotes.push(rm);
}
