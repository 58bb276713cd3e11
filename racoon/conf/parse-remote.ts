// `remote` sections and their phase 1 `proposal` blocks (racoon.conf(5) "Remote Nodes Specifications").
// The handler tables are built once; each statement gets the section being filled as its context.
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
import { DH_GROUPS, PH1_AUTH, PH1_ENC, PH1_HASH } from './algorithms.js';
import {
  DEFAULT_NONCE_SIZE,
  DEFAULT_PH1_LIFETIME_SEC,
  ISAKMP_PORT,
  type ProposalConf,
  type RacoonConf,
  type IdSpec,
  type PeersCertSpec,
  type RemoteConf,
} from './ast.js';
import { posOf, unknownDirective, type Handler, type TokenReader } from './reader.js';
import type { Token } from './lexer.js';
import { address, algorithmRef, idSpec, optionalPort } from './values.js';
import { IKEV2_REMOTE_HANDLERS, retagIkev2Uses } from './ikev2.js';

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

/** What the statements of one `remote { }` fill in. */
interface RemoteCtx {
  rm: RemoteConf;
  proposals: ProposalConf[];
}

interface ProposalCtx {
  p: ProposalConf;
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

/**
 * `lifetime time N unit;` into `setSec`, or `lifetime byte N unit;`, which is parsed and recorded as
 * `section.lifetime byte` (ipsec-tools 0.8.2 refuses byte lifetimes; the support table says so).
 */
export function lifetime(r: TokenReader, kw: Token, section: string, setSec: (v: number) => void): void {
  if (r.accept('time')) setSec(r.timeSec('lifetime'));
  else if (r.accept('byte')) {
    r.bytes('lifetime');
    r.use(`${section}.lifetime byte`, kw);
  } else r.fail(r.peek(), "expected 'time' or 'byte' after lifetime");
  r.semi();
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

/** A `name on|off;` statement setting one boolean of the remote; `remote.name on` is recorded when on. */
function flag(set: (rm: RemoteConf, v: boolean) => void, what: string): Handler<RemoteCtx> {
  return (r, kw, c) => {
    const v = r.onOff(what);
    set(c.rm, v);
    if (v) r.use(`remote.${what} on`, kw);
    r.semi();
  };
}

/** A `name CHOICE;` statement setting one field of the remote; recorded as `remote.name` unless `off`. */
function choice<T extends string>(
  choices: readonly T[],
  what: string,
  set: (rm: RemoteConf, v: T) => void,
): Handler<RemoteCtx> {
  return (r, kw, c) => {
    const v = r.choice(choices, what);
    set(c.rm, v);
    if (v !== 'off') r.use(`remote.${what}`, kw);
    r.semi();
  };
}

/** A `name N;` statement setting one number of the remote; recorded as `remote.name` unless `recordZero` is false and N is 0. */
function number(what: string, set: (rm: RemoteConf, v: number) => void, recordZero = true): Handler<RemoteCtx> {
  return (r, kw, c) => {
    const v = r.num(what);
    set(c.rm, v);
    if (v !== 0 || recordZero) r.use(`remote.${what}`, kw);
    r.semi();
  };
}

/** `my_identifier` / `peers_identifier`, recorded by type (`keyid file` apart from `keyid tag`). */
function identifier(r: TokenReader, what: string): IdSpec {
  const id = idSpec(r, what);
  r.use(`remote.${what} ${id.type}${id.type === 'keyid' ? ` ${id.keyidKind ?? 'file'}` : ''}`, id.pos);
  r.semi();
  return id;
}

/** `peers_certfile (dnssec | [x509|plain_rsa] "file")`; the untyped form is x509 (cfparse.y warns). */
function peersCert(r: TokenReader, kw: Token): PeersCertSpec {
  if (r.accept('dnssec')) return { type: 'dnssec', pos: posOf(kw) };
  const type = r.accept('plain_rsa') ? 'plain_rsa' : (r.accept('x509'), 'x509');
  return { type, file: r.str('certificate file'), pos: posOf(kw) };
}

/** Identities, certificates, XAuth and script hooks of a remote. */
const IDENTITY_HANDLERS: Readonly<Record<string, Handler<RemoteCtx>>> = {
  my_identifier: (r, _kw, { rm }) => {
    rm.myIdentifier = identifier(r, 'my_identifier');
  },
  peers_identifier: (r, _kw, { rm }) => {
    rm.peersIdentifiers.push(identifier(r, 'peers_identifier'));
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
  certificate_type: (r, kw, { rm }) => {
    const t = r.choice(['x509', 'plain_rsa'] as const, 'certificate type');
    if (r.peek().text === 'in_keychain') r.fail(r.peek(), unknownDirective('verify_cert_by_keychain'));
    const first = r.str(t === 'x509' ? 'certificate file' : 'private key file');
    rm.certificate =
      t === 'x509'
        ? { type: 'x509', certFile: first, keyFile: r.str('private key file'), pos: posOf(kw) }
        : { type: 'plain_rsa', keyFile: first, pos: posOf(kw) };
    if (t === 'plain_rsa') {
      // cfparse.y: a plain RSA key has no certificate to send, request or verify.
      rm.sendCr = false;
      rm.sendCert = false;
      rm.verifyCert = false;
    }
    r.use('remote.certificate_type', kw);
    r.semi();
  },
  ca_type: (r, kw, { rm }) => {
    r.choice(['x509'], 'CA type');
    rm.caFile = { file: r.str('CA file'), pos: posOf(kw) };
    r.use('remote.ca_type', kw);
    r.semi();
  },
  peers_certfile: (r, kw, { rm }) => {
    rm.peersCert = peersCert(r, kw);
    r.use('remote.peers_certfile', kw); // dnssec: reported when the certificates load (cert/remote.ts)
    r.semi();
  },
  xauth_login: (r, kw, { rm }) => {
    rm.xauthLogin = r.strOrWord('login').text;
    r.use('remote.xauth_login', kw);
    r.semi();
  },
  script: (r, kw, { rm }) => {
    const path = r.str('script path');
    const ev = r.choice(['phase1_up', 'phase1_down', 'phase1_dead'] as const, 'script event');
    r.semi();
    rm.scripts.push({ event: ev, path, pos: posOf(kw) });
    r.use('remote.script', kw);
  },
};

/** Lifetimes, negotiation policy, NAT-T, DPD, fragmentation and re-keying of a remote. */
const BEHAVIOUR_HANDLERS: Readonly<Record<string, Handler<RemoteCtx>>> = {
  lifetime: (r, kw, { rm }) =>
    lifetime(r, kw, 'remote', (v) => {
      rm.lifetimeSec = v;
    }),
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
  dpd: flag((rm, v) => {
    rm.dpd = v;
  }, 'dpd'),
  dpd_delay: number(
    'dpd_delay',
    (rm, v) => {
      rm.dpdDelaySec = v;
    },
    false,
  ),
  dpd_retry: number('dpd_retry', (rm, v) => {
    rm.dpdRetrySec = v;
  }),
  dpd_maxfail: number('dpd_maxfail', (rm, v) => {
    rm.dpdMaxfail = v;
  }),
  ike_frag: choice(['on', 'off', 'force'] as const, 'ike_frag', (rm, v) => {
    rm.ikeFrag = v;
  }),
  esp_frag: (r, kw, { rm }) => {
    rm.espFrag = r.num('esp_frag', 0, 65535);
    r.use('remote.esp_frag', kw);
    r.semi();
  },
  mode_cfg: flag((rm, v) => {
    rm.modeCfg = v;
  }, 'mode_cfg'),
  weak_phase1_check: flag((rm, v) => {
    rm.weakPhase1Check = v;
  }, 'weak_phase1_check'),
  rekey: choice(['on', 'off', 'force'] as const, 'rekey', (rm, v) => {
    rm.rekey = v;
  }),
  ph1id: number('ph1id', (rm, v) => {
    rm.ph1id = v;
  }),
  ...IKEV2_REMOTE_HANDLERS,
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
    // cftoken.l ignores the commas: `main, aggressive` and `main aggressive` are the same list.
    const modes: number[] = [];
    do {
      const t = r.word('exchange mode');
      const m = Object.hasOwn(EXCHANGE_MODES, t.text)
        ? EXCHANGE_MODES[t.text]!
        : r.fail(t, `bad exchange mode '${t.text}', expected main|aggressive|base`);
      if (modes.includes(m)) r.fail(t, `exchange mode '${t.text}' listed twice`);
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
    const p: ProposalConf = { pos: posOf(kw) };
    r.block('proposal', kw, PROPOSAL_HANDLERS, { p });
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
  const ctx: RemoteCtx = { rm, proposals: [] };
  const firstUse = r.uses.length;
  r.block(`remote ${name}`, kw, REMOTE_HANDLERS, ctx);
  if (ctx.proposals.length > 0) rm.proposals = ctx.proposals;
  if (rm.ikeVersion === 2) retagIkev2Uses(r.uses, firstUse);
  conf.remotes.push(rm);
}
