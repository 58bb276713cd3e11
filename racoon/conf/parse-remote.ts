// `remote` sections and their phase 1 `proposal` blocks (racoon.conf(5) "Remote Nodes Specifications").
import { formatAddr, parseAddr } from '../../common/inet.js';
import { ISAKMP_ETYPE_AGG, ISAKMP_ETYPE_BASE, ISAKMP_ETYPE_IDENT, IPSEC_DOI, IPSECDOI_SIT_IDENTITY_ONLY } from '../isakmp/constants.js';
import { DH_GROUPS, PH1_AUTH, PH1_ENC, PH1_HASH } from './algorithms.js';
import {
  DEFAULT_NONCE_SIZE, DEFAULT_PH1_LIFETIME_SEC, ISAKMP_PORT, type AlgorithmRef, type LaterFeature, type ProposalConf, type RacoonConf,
  type RemoteConf,
} from './ast.js';
import { posOf, type Handler, type TokenReader } from './reader.js';
import type { Token } from './lexer.js';
import { address, algorithmRef, idSpec, optionalPort } from './values.js';

const EXCHANGE_MODES: Readonly<Record<string, number>> = { main: ISAKMP_ETYPE_IDENT, aggressive: ISAKMP_ETYPE_AGG, base: ISAKMP_ETYPE_BASE };

/** A remote with racoon's defaults (racoon `newrmconf`). */
export function defaultRemote(kw: Token, name: string): RemoteConf {
  return {
    pos: posOf(kw), name, anonymous: false, port: ISAKMP_PORT, portGiven: false, exchangeMode: [ISAKMP_ETYPE_IDENT], doi: IPSEC_DOI,
    situation: IPSECDOI_SIT_IDENTITY_ONLY, peersIdentifiers: [], verifyIdentifier: false, sendCert: true, sendCr: true,
    verifyCert: true, matchEmptyCr: false, lifetimeSec: DEFAULT_PH1_LIFETIME_SEC, initialContact: true, passive: false,
    supportProxy: false, proposalCheck: 'strict', natTraversal: 'off', generatePolicy: 'off', nonceSize: DEFAULT_NONCE_SIZE,
    dpdDelaySec: 0, dpdRetrySec: 5, dpdMaxfail: 5, ikeFrag: 'off', modeCfg: false, weakPhase1Check: false, rekey: 'on',
    scripts: [], proposals: [],
  };
}

/** A copy of `parent` for `remote X inherit parent` (racoon `duprmconf`): settings and proposals carry over. */
function inheritFrom(parent: RemoteConf, kw: Token, name: string): RemoteConf {
  return {
    ...structuredClone(parent), pos: posOf(kw), name, anonymous: false, address: undefined, port: parent.port, inherit: parent.name,
  };
}

function proposalHandlers(p: ProposalConf, later: LaterFeature[]): Record<string, Handler> {
  return {
    encryption_algorithm: (r) => { p.enc = algorithmRef(r, PH1_ENC, 'encryption_algorithm'); r.semi(); },
    hash_algorithm: (r) => { p.hash = algorithmRef(r, PH1_HASH, 'hash_algorithm'); r.semi(); },
    authentication_method: (r) => { p.authMethod = algorithmRef(r, PH1_AUTH, 'authentication_method', later); r.semi(); },
    dh_group: (r) => { p.dhGroup = algorithmRef(r, DH_GROUPS, 'dh_group', later); r.semi(); },
    lifetime: (r) => {
      if (r.accept('time')) p.lifetimeSec = r.timeSec('lifetime');
      else if (r.accept('byte')) p.lifetimeBytes = r.bytes('lifetime');
      else r.fail(r.peek(), "expected 'time' or 'byte' after lifetime");
      r.semi();
    },
    gss_id: (r, kw) => { r.str('GSS-API id'); later.push({ what: 'gss_id (GSS-API authentication)', pos: posOf(kw) }); r.semi(); },
  };
}

function laterStatement(what: string, later: LaterFeature[], args: (r: TokenReader) => void): Handler {
  return (r, kw) => { args(r); r.semi(); later.push({ what, pos: posOf(kw) }); };
}

/** A `name on|off;` statement setting one boolean. */
function flag(set: (v: boolean) => void, what: string): Handler {
  return (r) => { set(r.onOff(what)); r.semi(); };
}

function certificateArgs(r: TokenReader): void {
  const t = r.choice(['x509', 'plain_rsa'], 'certificate type');
  r.str('certificate file');
  if (t === 'x509') r.str('private key file');
}

/** Identities, certificates, XAuth and script hooks of a remote. */
function identityHandlers(rm: RemoteConf, later: LaterFeature[]): Record<string, Handler> {
  return {
    my_identifier: (r) => { rm.myIdentifier = idSpec(r, 'my_identifier'); r.semi(); },
    peers_identifier: (r) => { rm.peersIdentifiers.push(idSpec(r, 'peers_identifier')); r.semi(); },
    verify_identifier: flag((v) => { rm.verifyIdentifier = v; }, 'verify_identifier'),
    send_cert: flag((v) => { rm.sendCert = v; }, 'send_cert'),
    send_cr: flag((v) => { rm.sendCr = v; }, 'send_cr'),
    verify_cert: flag((v) => { rm.verifyCert = v; }, 'verify_cert'),
    match_empty_cr: flag((v) => { rm.matchEmptyCr = v; }, 'match_empty_cr'),
    certificate_type: laterStatement('certificate_type (certificates)', later, certificateArgs),
    ca_type: laterStatement('ca_type (certificates)', later, (r) => { r.choice(['x509'], 'CA type'); r.str('CA file'); }),
    peers_certfile: laterStatement('peers_certfile (certificates)', later, (r) => {
      if (r.accept('dnssec')) return;
      if (r.accept('x509') || r.accept('plain_rsa')) { r.str('certificate file'); return; }
      r.str('certificate file');
    }),
    xauth_login: laterStatement('xauth_login (XAuth)', later, (r) => { r.strOrWord('login'); }),
    script: (r, kw) => {
      const path = r.str('script path');
      const ev = r.choice(['phase1_up', 'phase1_down', 'phase1_dead'] as const, 'script event');
      r.semi();
      rm.scripts.push({ event: ev, path, pos: posOf(kw) });
      later.push({ what: `script ${ev} (script hooks)`, pos: posOf(kw) });
    },
  };
}

/** Lifetimes, negotiation policy, NAT-T, DPD, fragmentation and re-keying of a remote. */
function behaviourHandlers(rm: RemoteConf, later: LaterFeature[]): Record<string, Handler> {
  return {
    lifetime: (r) => {
      if (r.accept('time')) rm.lifetimeSec = r.timeSec('lifetime');
      else if (r.accept('byte')) rm.lifetimeBytes = r.bytes('lifetime');
      else r.fail(r.peek(), "expected 'time' or 'byte' after lifetime");
      r.semi();
    },
    initial_contact: flag((v) => { rm.initialContact = v; }, 'initial_contact'),
    passive: flag((v) => { rm.passive = v; }, 'passive'),
    support_proxy: flag((v) => { rm.supportProxy = v; }, 'support_proxy'),
    proposal_check: (r) => { rm.proposalCheck = r.choice(['obey', 'strict', 'claim', 'exact'] as const, 'proposal_check'); r.semi(); },
    nat_traversal: (r) => { rm.natTraversal = r.choice(['on', 'off', 'force'] as const, 'nat_traversal'); r.semi(); },
    generate_policy: (r) => { rm.generatePolicy = r.choice(['on', 'off', 'require', 'unique'] as const, 'generate_policy'); r.semi(); },
    nonce_size: (r) => { rm.nonceSize = r.num('nonce_size'); r.semi(); },
    dpd_delay: (r) => { rm.dpdDelaySec = r.num('dpd_delay'); r.semi(); },
    dpd_retry: (r) => { rm.dpdRetrySec = r.num('dpd_retry'); r.semi(); },
    dpd_maxfail: (r) => { rm.dpdMaxfail = r.num('dpd_maxfail'); r.semi(); },
    ike_frag: (r, kw) => {
      rm.ikeFrag = r.choice(['on', 'off', 'force'] as const, 'ike_frag');
      if (rm.ikeFrag !== 'off') later.push({ what: `ike_frag ${rm.ikeFrag} (IKE fragmentation)`, pos: posOf(kw) });
      r.semi();
    },
    esp_frag: laterStatement('esp_frag (ESP pre-fragmentation)', later, (r) => { rm.espFrag = r.num('esp_frag', 0, 65535); }),
    mode_cfg: (r, kw) => {
      rm.modeCfg = r.onOff('mode_cfg');
      if (rm.modeCfg) later.push({ what: 'mode_cfg on (ISAKMP mode config)', pos: posOf(kw) });
      r.semi();
    },
    weak_phase1_check: flag((v) => { rm.weakPhase1Check = v; }, 'weak_phase1_check'),
    rekey: (r) => { rm.rekey = r.choice(['on', 'off', 'force'] as const, 'rekey'); r.semi(); },
    ph1id: (r) => { rm.ph1id = r.num('ph1id'); r.semi(); },
  };
}

function remoteHandlers(rm: RemoteConf, later: LaterFeature[], proposals: ProposalConf[], remoteDh: { group?: AlgorithmRef }): Record<string, Handler> {
  return {
    ...identityHandlers(rm, later),
    ...behaviourHandlers(rm, later),
    remote_address: (r) => {
      rm.address = address(r, 'remote_address');
      if (r.peek().kind === 'port') { rm.port = optionalPort(r, rm.port); rm.portGiven = true; }
      r.semi();
    },
    exchange_mode: (r) => {
      const modes: number[] = [];
      do {
        const t = r.word('exchange mode');
        const m = Object.hasOwn(EXCHANGE_MODES, t.text) ? EXCHANGE_MODES[t.text]! : r.fail(t, `bad exchange mode '${t.text}', expected main|aggressive|base`);
        if (modes.includes(m)) r.fail(t, `exchange mode '${t.text}' listed twice`);
        modes.push(m);
      } while (r.acceptKind(','));
      rm.exchangeMode = modes;
      r.semi();
    },
    doi: (r) => { r.choice(['ipsec_doi'], 'doi'); rm.doi = IPSEC_DOI; r.semi(); },
    situation: (r, kw) => {
      const s = r.choice(['identity_only', 'secrecy', 'integrity'], 'situation');
      if (s !== 'identity_only') later.push({ what: `situation ${s} (labelled IPsec)`, pos: posOf(kw) });
      r.semi();
    },
    dh_group: (r) => {
      // Deprecated remote-level dh_group (aggressive mode); racoon copies it into proposals without one.
      remoteDh.group = algorithmRef(r, DH_GROUPS, 'dh_group', later);
      r.semi();
    },
    proposal: (r, kw) => {
      const p: ProposalConf = { pos: posOf(kw) };
      r.block('proposal', kw, proposalHandlers(p, later));
      proposals.push(p);
    },
  };
}

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
    const parent = conf.remotes.find((x) => x.name === p.text || (parseAddr(p.text) && x.address && x.name === formatAddr(parseAddr(p.text)!)));
    if (!parent) r.fail(p, `inherit: no remote '${p.text}' defined before this one`);
    rm = inheritFrom(parent, kw, name);
  }
  rm.anonymous = anonymous;
  if (addr) rm.address = addr;
  if (addr || portGiven) { rm.port = port; rm.portGiven = portGiven; }
  if (r.acceptKind(';')) {
    if (!rm.inherit) r.error(kw, `remote '${name}' without a body must inherit from another remote`);
    conf.remotes.push(rm);
    return;
  }
  const proposals: ProposalConf[] = [];
  const remoteDh: { group?: AlgorithmRef } = {};
  r.block(`remote ${name}`, kw, remoteHandlers(rm, conf.later, proposals, remoteDh));
  // A remote-level dh_group fills the proposals that lack one.
  if (remoteDh.group) for (const p of proposals) p.dhGroup ??= remoteDh.group;
  if (proposals.length > 0) rm.proposals = proposals;
  conf.remotes.push(rm);
}
