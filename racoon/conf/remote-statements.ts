// The settings statements of a `remote { }` section (racoon.conf(5) "Remote Nodes Specifications"): identities,
// certificates, XAuth and script hooks; lifetimes, negotiation policy, NAT-T, DPD, fragmentation, re-keying.
// Each records its use for the support table (support.ts) as `remote.NAME`.
import type { IdSpec, PeersCertSpec, ProposalConf, RemoteConf } from './ast.js';
import { IKEV2_REMOTE_HANDLERS } from './ikev2.js';
import type { Token } from './lexer.js';
import { posOf, unknownDirective, type Handler, type TokenReader } from './reader.js';
import { idSpec, lifetime } from './values.js';

/** What the statements of one `remote { }` fill in. */
export interface RemoteCtx {
  rm: RemoteConf;
  proposals: ProposalConf[];
}

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
export const IDENTITY_HANDLERS: Readonly<Record<string, Handler<RemoteCtx>>> = {
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
export const BEHAVIOUR_HANDLERS: Readonly<Record<string, Handler<RemoteCtx>>> = {
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
  nonce_size: (r, kw, c) => {
    c.rm.nonceSizePos = posOf(kw); // the range checks (RFC 2409 §5, RFC 7296 §2.10) point at this line
    number('nonce_size', (rm, v) => {
      rm.nonceSize = v;
    })(r, kw, c);
  },
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
