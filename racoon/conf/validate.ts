// Semantic checks over a parsed racoon.conf (what ipsec-tools' cfparse.y actions and racoon.conf(5) require):
// complete proposals, sainfo algorithm classes, duplicates, ranges — and every directive whose feature uipsec
// lacks is reported at its file:line from the support table (support.ts), never silently ignored.
import type { ConfigError } from '../../common/errors.js';
import { configError } from './diagnostic.js';
import { formatAddr, formatPrefix } from '../../common/inet.js';
import {
  ISAKMP_ETYPE_AGG,
  ISAKMP_ETYPE_BASE,
  ISAKMP_NONCE_MAX,
  ISAKMP_NONCE_MIN,
  OAKLEY_ATTR_AUTH_METHOD_PSKEY,
  OAKLEY_ATTR_AUTH_METHOD_RSASIG,
} from '../isakmp/constants.js';
import type { Pos, ProposalConf, RacoonConf, RemoteConf, SainfoConf, SainfoSide } from './ast.js';
import { supportMessage } from './support.js';
import { validateIkev2Conf } from './ikev2.js';
import { validateCfg } from './validate-cfg.js';

function err(out: ConfigError[], pos: Pos, message: string): void {
  out.push(configError(message, pos.file, pos.line, pos.col));
}

function validateProposal(p: ProposalConf, rm: RemoteConf, out: ConfigError[]): void {
  const missing = [
    ['encryption_algorithm', p.enc],
    ['hash_algorithm', p.hash],
    ['authentication_method', p.authMethod],
    ['dh_group', p.dhGroup],
  ]
    .filter(([, v]) => !v)
    .map(([k]) => k);
  if (missing.length) err(out, p.pos, `proposal in remote ${rm.name} lacks ${missing.join(', ')}`);
  if (p.lifetimeSec === 0) err(out, p.pos, 'proposal lifetime must be positive');
}

/**
 * racoon.conf(5) SECURITY CONSIDERATIONS (CERT VU#886601): aggressive mode sends the identities in clear and,
 * with a pre-shared key, its second message lets anyone who sees it test guesses of the key offline. Base mode
 * (RFC 2408 §4.8) has the same exposure: IDs in clear, and HASH_I in clear in message 3.
 */
function aggressiveWarning(rm: RemoteConf, warnings: ConfigError[]): void {
  const modes = rm.exchangeMode.filter((m) => m === ISAKMP_ETYPE_AGG || m === ISAKMP_ETYPE_BASE);
  if (!modes.length) return;
  const psk = rm.proposals.some((p) => p.authMethod?.id === OAKLEY_ATTR_AUTH_METHOD_PSKEY);
  const name =
    modes.length > 1
      ? 'aggressive and base modes are'
      : `${modes[0] === ISAKMP_ETYPE_AGG ? 'aggressive' : 'base'} mode is`;
  err(
    warnings,
    rm.pos,
    `warning: remote ${rm.name}: ${name} not recommended (racoon.conf(5), CERT VU#886601): identities ` +
      `travel in clear${psk ? ' and the pre-shared key can be guessed offline from one captured exchange' : ''}`,
  );
}

/**
 * rsasig needs a key to sign with: certificate_type. racoon accepts the file and fails the exchange when such a
 * proposal is chosen (oakley_getmycert), so this is a warning, as real files keep spare rsasig proposals.
 */
function signatureWarning(rm: RemoteConf, warnings: ConfigError[]): void {
  const sig = rm.proposals.find((p) => p.authMethod?.id === OAKLEY_ATTR_AUTH_METHOD_RSASIG);
  if (sig && !rm.certificate)
    err(
      warnings,
      sig.pos,
      `warning: remote ${rm.name}: authentication_method rsasig without certificate_type: ` +
        'phase 1 fails if this proposal is chosen',
    );
}

function validateRemote(rm: RemoteConf, out: ConfigError[], warnings: ConfigError[]): void {
  aggressiveWarning(rm, warnings);
  signatureWarning(rm, warnings);
  if (rm.proposals.length === 0) err(out, rm.pos, `remote ${rm.name} has no proposal`);
  for (const p of rm.proposals) validateProposal(p, rm, out);
  // racoon.conf(5): in aggressive mode every proposal must use the same DH group (KE goes in message 1).
  if (rm.exchangeMode.includes(ISAKMP_ETYPE_AGG)) {
    const groups = new Set(rm.proposals.map((p) => p.dhGroup?.id).filter((g) => g !== undefined));
    if (groups.size > 1)
      err(out, rm.pos, `remote ${rm.name}: aggressive mode needs the same dh_group in every proposal`);
  }
  // RFC 2409 §5: nonces are 8..256 bytes.
  if (rm.nonceSize < ISAKMP_NONCE_MIN || rm.nonceSize > ISAKMP_NONCE_MAX)
    err(out, rm.pos, `remote ${rm.name}: nonce_size ${rm.nonceSize} outside ${ISAKMP_NONCE_MIN}..${ISAKMP_NONCE_MAX}`);
  if (rm.lifetimeSec === 0) err(out, rm.pos, `remote ${rm.name}: lifetime must be positive`);
  if (rm.dpdDelaySec > 0 && (rm.dpdRetrySec === 0 || rm.dpdMaxfail === 0))
    err(out, rm.pos, `remote ${rm.name}: dpd_retry and dpd_maxfail must be positive when dpd_delay is set`);
  if (rm.verifyIdentifier && rm.peersIdentifiers.length === 0)
    err(out, rm.pos, `remote ${rm.name}: verify_identifier on needs a peers_identifier`);
}

function sideText(s: SainfoSide | string): string {
  if (typeof s === 'string') return s;
  if (!('prefix' in s)) return `${s.kind} "${s.value}"`;
  const addr = s.rangeEnd
    ? `${formatAddr(s.prefix.addr)}-${formatAddr(s.rangeEnd)}`
    : s.idType === 'addr'
      ? formatAddr(s.prefix.addr)
      : formatPrefix(s.prefix);
  return `${s.idType === 'addr' ? 'address' : 'subnet'} ${addr}[${s.port === 0 ? 'any' : s.port}] ${s.proto === 0 ? 'any' : s.proto}`;
}

export function sainfoText(sa: SainfoConf): string {
  return `sainfo ${sideText(sa.local)} ${sideText(sa.remote)}${sa.from ? ` from ${sa.from.type} ${sa.from.value ?? ''}`.trimEnd() : ''}`;
}

function validateSainfo(sa: SainfoConf, out: ConfigError[]): void {
  // cfparse.y: all three algorithm classes are mandatory.
  if (sa.encryption.length === 0) err(out, sa.pos, `no encryption algorithm at ${sainfoText(sa)}`);
  if (sa.authentication.length === 0) err(out, sa.pos, `no authentication algorithm at ${sainfoText(sa)}`);
  if (sa.compression.length === 0) err(out, sa.pos, `no compression algorithm at ${sainfoText(sa)}`);
  if (sa.lifetimeSec === 0) err(out, sa.pos, 'sainfo lifetime must be positive');
  if (
    typeof sa.local !== 'string' &&
    typeof sa.remote !== 'string' &&
    'prefix' in sa.local &&
    'prefix' in sa.remote &&
    sa.local.prefix.family !== sa.remote.prefix.family
  ) {
    err(out, sa.pos, `${sainfoText(sa)} mixes IPv4 and IPv6`);
  }
}

function remoteKey(rm: RemoteConf): string {
  return rm.address ? `${rm.name}[${rm.portGiven ? rm.port : 'any'}]` : rm.name;
}

export interface Validation {
  errors: ConfigError[];
  /** Directives accepted but without effect (support status `ignored`), each with the reason. */
  warnings: ConfigError[];
}

/** Semantic errors and warnings of `conf`, each in file order of the directives they concern. */
export function validateRacoonConfFull(conf: RacoonConf): Validation {
  const warnings: ConfigError[] = [];
  const out: ConfigError[] = [];
  for (const u of conf.uses) {
    const m = supportMessage(u);
    if (m) err(m.warning ? warnings : out, u.pos, m.text);
  }
  const remotes = new Map<string, RemoteConf>();
  for (const rm of conf.remotes) {
    const k = remoteKey(rm);
    const prev = remotes.get(k);
    if (prev) err(out, rm.pos, `duplicate remote ${k} (first at ${prev.pos.file}:${prev.pos.line})`);
    else remotes.set(k, rm);
    validateRemote(rm, out, warnings);
  }
  const sainfos = new Map<string, SainfoConf>();
  for (const sa of conf.sainfos) {
    const k = sainfoText(sa);
    const prev = sainfos.get(k);
    if (prev) err(out, sa.pos, `duplicated ${k} (first at ${prev.pos.file}:${prev.pos.line})`);
    else sainfos.set(k, sa);
    validateSainfo(sa, out);
  }
  validateIkev2Conf(conf, out);
  validateCfg(conf, out, warnings);
  const fileIndex = (f: string) => {
    const i = conf.files.indexOf(f);
    return i < 0 ? conf.files.length : i;
  };
  const order = (a: ConfigError, b: ConfigError) =>
    fileIndex(a.file) - fileIndex(b.file) || a.line - b.line || a.col - b.col;
  return { errors: out.sort(order), warnings: warnings.sort(order) };
}

/** All semantic errors of `conf` (warnings left out), in file order. */
export function validateRacoonConf(conf: RacoonConf): ConfigError[] {
  return validateRacoonConfFull(conf).errors;
}
