// IKEv2 in racoon.conf (uipsec): `remote ADDR { ike_version 2; ... }` keeps racoon's keywords where they mean
// the same thing, and this file holds what differs — the `ike_version` and `mobike` statements, the retagging
// of a v2 remote's directive uses for the support table (`ikev2.*` keys, support.ts), the names of the IKEv2
// transforms (RFC 7296 §3.3.2; RFC 5282, RFC 5930, RFC 7634, RFC 8031) and the checks of a v2 remote.
import type { ConfigError } from '../../common/errors.js';
// RFC 7296 §2.10: IKEv2 nonces are 16..256 octets (IKEv1 allowed 8).
import { IKEV2_NONCE_MAX, IKEV2_NONCE_MIN } from '../ikev2/constants.js';
import * as T from '../ikev2/transforms.js';
import type { AlgorithmRef, DirectiveUse, ProposalConf, RacoonConf, RemoteConf, SainfoConf } from './ast.js';
import { configError } from './diagnostic.js';
import type { Handler } from './reader.js';

export const IKEV2_REMOTE_HANDLERS: Readonly<Record<string, Handler<{ rm: RemoteConf }>>> = {
  ike_version: (r, _kw, { rm }) => {
    const t = r.peek();
    const v = r.num('ike_version');
    if (v !== 1 && v !== 2) r.fail(t, `ike_version ${v}: racoon speaks IKE versions 1 and 2`);
    rm.ikeVersion = v === 2 ? 2 : 1;
    r.semi();
  },
  // RFC 7427 §3 / RFC 8247 §3.2 (RSASSA-PSS preferred): the padding of our RSA signatures. An RSA-PSS key
  // (id-RSASSA-PSS) always signs with PSS; `rsa_pss on` makes a plain RSA key do the same.
  rsa_pss: (r, kw, { rm }) => {
    rm.rsaPss = r.onOff('rsa_pss');
    if (rm.rsaPss) r.use('remote.rsa_pss on', kw);
    r.semi();
  },
  // RFC 4555: a statement a user of other IKEv2 daemons writes; parsed so the diagnostic is precise.
  mobike: (r, kw) => {
    if (r.onOff('mobike')) r.use('remote.mobike on', kw);
    r.semi();
  },
};

/**
 * A v2 remote's uses become `ikev2.<directive>` (and `ikev2.proposal.<directive>` inside its proposals), so
 * the support table can say what IKEv2 lacks without touching IKEv1's lines. Called after the remote block,
 * because `ike_version 2` may come last.
 */
export function retagIkev2Uses(uses: DirectiveUse[], from: number): void {
  for (let i = from; i < uses.length; i++) {
    const u = uses[i]!;
    if (u.key.startsWith('remote.')) u.key = `ikev2.${u.key.slice('remote.'.length)}`;
    else if (u.key.startsWith('proposal.')) u.key = `ikev2.${u.key}`;
  }
}

/** IKE SA and child SA encryption by racoon.conf name: the IKEv2 ENCR id, and whether it is an AEAD. */
export const IKEV2_ENCR_BY_NAME: Readonly<Record<string, { id: number; aead: boolean; keyed: boolean }>> = {
  aes: { id: T.IKEV2_ENCR_AES_CBC, aead: false, keyed: true },
  rijndael: { id: T.IKEV2_ENCR_AES_CBC, aead: false, keyed: true },
  '3des': { id: T.IKEV2_ENCR_3DES, aead: false, keyed: false },
  camellia: { id: T.IKEV2_ENCR_CAMELLIA_CBC, aead: false, keyed: true },
  aes_ctr: { id: T.IKEV2_ENCR_AES_CTR, aead: false, keyed: true },
  aes_gcm_16: { id: T.IKEV2_ENCR_AES_GCM_16, aead: true, keyed: true },
  aes_gcm_12: { id: T.IKEV2_ENCR_AES_GCM_12, aead: true, keyed: true },
  aes_gcm_8: { id: T.IKEV2_ENCR_AES_GCM_8, aead: true, keyed: true },
  aes_ccm_16: { id: T.IKEV2_ENCR_AES_CCM_16, aead: true, keyed: true },
  aes_ccm_12: { id: T.IKEV2_ENCR_AES_CCM_12, aead: true, keyed: true },
  aes_ccm_8: { id: T.IKEV2_ENCR_AES_CCM_8, aead: true, keyed: true },
  chacha20_poly1305: { id: T.IKEV2_ENCR_CHACHA20_POLY1305, aead: true, keyed: false },
  null_enc: { id: T.IKEV2_ENCR_NULL, aead: false, keyed: false },
  null: { id: T.IKEV2_ENCR_NULL, aead: false, keyed: false },
};

/** `hash_algorithm` of an IKEv2 proposal: the PRF and, unless the cipher is an AEAD, the integrity transform. */
export const IKEV2_HASH_BY_NAME: Readonly<Record<string, { prf: number; integ: number }>> = {
  md5: { prf: T.IKEV2_PRF_HMAC_MD5, integ: T.IKEV2_AUTH_HMAC_MD5_96 },
  sha1: { prf: T.IKEV2_PRF_HMAC_SHA1, integ: T.IKEV2_AUTH_HMAC_SHA1_96 },
  sha256: { prf: T.IKEV2_PRF_HMAC_SHA2_256, integ: T.IKEV2_AUTH_HMAC_SHA2_256_128 },
  sha2_256: { prf: T.IKEV2_PRF_HMAC_SHA2_256, integ: T.IKEV2_AUTH_HMAC_SHA2_256_128 },
  sha384: { prf: T.IKEV2_PRF_HMAC_SHA2_384, integ: T.IKEV2_AUTH_HMAC_SHA2_384_192 },
  sha2_384: { prf: T.IKEV2_PRF_HMAC_SHA2_384, integ: T.IKEV2_AUTH_HMAC_SHA2_384_192 },
  sha512: { prf: T.IKEV2_PRF_HMAC_SHA2_512, integ: T.IKEV2_AUTH_HMAC_SHA2_512_256 },
  sha2_512: { prf: T.IKEV2_PRF_HMAC_SHA2_512, integ: T.IKEV2_AUTH_HMAC_SHA2_512_256 },
  aes_xcbc: { prf: T.IKEV2_PRF_AES128_XCBC, integ: T.IKEV2_AUTH_AES_XCBC_96 },
  aes_cmac: { prf: T.IKEV2_PRF_AES128_CMAC, integ: T.IKEV2_AUTH_AES_CMAC_96 },
};

/** sainfo `authentication_algorithm` names as IKEv2 INTEG ids (ESP and AH). */
export const IKEV2_INTEG_BY_NAME: Readonly<Record<string, number>> = {
  hmac_md5: T.IKEV2_AUTH_HMAC_MD5_96,
  hmac_sha1: T.IKEV2_AUTH_HMAC_SHA1_96,
  hmac_sha256: T.IKEV2_AUTH_HMAC_SHA2_256_128,
  hmac_sha2_256: T.IKEV2_AUTH_HMAC_SHA2_256_128,
  hmac_sha384: T.IKEV2_AUTH_HMAC_SHA2_384_192,
  hmac_sha2_384: T.IKEV2_AUTH_HMAC_SHA2_384_192,
  hmac_sha512: T.IKEV2_AUTH_HMAC_SHA2_512_256,
  hmac_sha2_512: T.IKEV2_AUTH_HMAC_SHA2_512_256,
  aes_xcbc: T.IKEV2_AUTH_AES_XCBC_96,
  non_auth: T.IKEV2_AUTH_NONE,
};

/** One IKE SA proposal as IKEv2 transforms (one `proposal { }` of a v2 remote). */
export interface Ikev2IkeProposal {
  encr: number;
  keyBits?: number;
  prf: number;
  /** Absent with an AEAD (RFC 5282 §8). */
  integ?: number;
  dh: number;
}

/** racoon's default key length for a cipher that takes one (racoon `default_keylen`). */
const DEFAULT_KEY_BITS = 128;

/** The transforms of one proposal, or the reason it has none in IKEv2. */
export function ikev2ProposalOf(p: ProposalConf): Ikev2IkeProposal | string {
  const enc = p.enc && (Object.hasOwn(IKEV2_ENCR_BY_NAME, p.enc.name) ? IKEV2_ENCR_BY_NAME[p.enc.name] : undefined);
  if (!enc || enc.id === T.IKEV2_ENCR_NULL) return `encryption_algorithm ${p.enc?.name ?? '(none)'} has no IKEv2 form`;
  const hash = p.hash && (Object.hasOwn(IKEV2_HASH_BY_NAME, p.hash.name) ? IKEV2_HASH_BY_NAME[p.hash.name] : undefined);
  if (!hash) return `hash_algorithm ${p.hash?.name ?? '(none)'} has no IKEv2 PRF`;
  if (!p.dhGroup) return 'no dh_group';
  const out: Ikev2IkeProposal = { encr: enc.id, prf: hash.prf, dh: p.dhGroup.id };
  if (enc.keyed) out.keyBits = p.enc!.keyLen ?? DEFAULT_KEY_BITS;
  if (!enc.aead) out.integ = hash.integ;
  return out;
}

/** One child SA transform set from a sainfo: ENCR with key length and INTEG (ESP), or INTEG alone (AH). */
export interface Ikev2ChildTransform {
  encr?: number;
  keyBits?: number;
  integ?: number;
}

function encOf(ref: AlgorithmRef): { id: number; aead: boolean; keyBits?: number } | undefined {
  const e = Object.hasOwn(IKEV2_ENCR_BY_NAME, ref.name) ? IKEV2_ENCR_BY_NAME[ref.name] : undefined;
  if (!e) return undefined;
  return { id: e.id, aead: e.aead, ...(e.keyed ? { keyBits: ref.keyLen ?? DEFAULT_KEY_BITS } : {}) };
}

/** ESP transform sets of a sainfo in preference order: encryption × authentication, an AEAD on its own. */
export function ikev2EspTransforms(sa: SainfoConf): Ikev2ChildTransform[] {
  const out: Ikev2ChildTransform[] = [];
  for (const ref of sa.encryption) {
    const e = encOf(ref);
    if (!e) continue;
    if (e.aead) {
      out.push({ encr: e.id, keyBits: e.keyBits });
      continue;
    }
    for (const a of sa.authentication) {
      const integ = Object.hasOwn(IKEV2_INTEG_BY_NAME, a.name) ? IKEV2_INTEG_BY_NAME[a.name] : undefined;
      if (integ !== undefined) out.push({ encr: e.id, keyBits: e.keyBits, integ });
    }
  }
  return out;
}

/** AH transform sets of a sainfo: its authentication algorithms (non_auth excluded). */
export function ikev2AhTransforms(sa: SainfoConf): Ikev2ChildTransform[] {
  const out: Ikev2ChildTransform[] = [];
  for (const a of sa.authentication) {
    const integ = Object.hasOwn(IKEV2_INTEG_BY_NAME, a.name) ? IKEV2_INTEG_BY_NAME[a.name] : undefined;
    if (integ !== undefined && integ !== T.IKEV2_AUTH_NONE) out.push({ integ });
  }
  return out;
}

/** The checks of a v2 remote beyond IKEv1's: every proposal has an IKEv2 form, nonces are 16..256 bytes. */
export function validateIkev2Remote(rm: RemoteConf, out: ConfigError[]): void {
  for (const p of rm.proposals) {
    if (!p.enc || !p.hash || !p.authMethod || !p.dhGroup) continue; // IKEv1's check reports what is missing
    const v = ikev2ProposalOf(p);
    if (typeof v === 'string')
      out.push(configError(`remote ${rm.name} (IKEv2): ${v}`, p.pos.file, p.pos.line, p.pos.col));
  }
  const at = rm.nonceSizePos ?? rm.pos;
  if (rm.nonceSize < IKEV2_NONCE_MIN || rm.nonceSize > IKEV2_NONCE_MAX)
    out.push(
      configError(
        `remote ${rm.name}: IKEv2 nonce_size ${rm.nonceSize} outside ${IKEV2_NONCE_MIN}..${IKEV2_NONCE_MAX} (RFC 7296 §2.10)`,
        at.file,
        at.line,
        at.col,
      ),
    );
}

/** sainfo algorithms that only an IKEv2 child negotiates (racoon's IKEv1 quick mode has no transform for them). */
const IKEV2_CHILD_ONLY = new Set(['aes_ctr', 'aes_ccm_16', 'aes_ccm_12', 'aes_ccm_8', 'chacha20_poly1305', 'aes_xcbc']);

/**
 * The IKEv2 checks of a whole configuration: every v2 remote, and no IKEv2-only child algorithm in a sainfo
 * when IKEv1 remotes exist (sainfos are found by identities, not by remote, so an IKEv1 quick mode would
 * offer it).
 */
export function validateIkev2Conf(conf: RacoonConf, out: ConfigError[]): void {
  for (const rm of conf.remotes) if (rm.ikeVersion === 2) validateIkev2Remote(rm, out);
  if (!conf.remotes.some((rm) => rm.ikeVersion === 1)) return;
  for (const sa of conf.sainfos)
    for (const a of [...sa.encryption, ...sa.authentication])
      if (IKEV2_CHILD_ONLY.has(a.name))
        out.push(
          configError(
            `${a.name}: an IKEv2 child algorithm, and this configuration has IKEv1 remotes whose quick mode cannot offer it`,
            a.pos.file,
            a.pos.line,
            a.pos.col,
          ),
        );
}
