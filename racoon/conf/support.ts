// What uipsec's racoon does with each racoon.conf(5) directive: the one table a feature flips when it lands.
// The parser records every directive (with its value when the value decides) as a DirectiveUse; validation
// looks each one up here, so nothing that does nothing is ever accepted without a word.
import type { DirectiveUse } from './ast.js';

/**
 * - `supported`: the directive does what racoon.conf(5) says.
 * - `later`: a racoon feature uipsec lacks for now: an error "<directive>: not supported yet (<feature>)".
 * - `never`: uipsec will not do it (ipsec-tools 0.8.2 refuses it too, or it is obsolete): an error with the reason.
 * - `ignored`: accepted with a warning; it tunes local behaviour only and the peer cannot tell (the reason says).
 */
export type SupportStatus = 'supported' | 'later' | 'never' | 'ignored';

export interface Support {
  status: SupportStatus;
  /** The racoon feature (for `later`) or why (for `never`/`ignored`). */
  why?: string;
}

const XAUTH = 'XAuth / hybrid authentication';
const GSS = 'GSS-API (Kerberos) authentication is not planned';
const EC2N = 'EC2N groups 3/4 (RFC 2409 §6.3/6.4) are not planned: no maintained implementation, weak';
const BYTES = 'byte lifetimes: ipsec-tools 0.8.2 refuses them too ("byte lifetime support is deprecated")';
const UNIMPL = 'ipsec-tools 0.8.2 does not implement this authentication method either';
const PADDING = 'uipsec pads ISAKMP bodies to the cipher block only; peers accept any padding (RFC 2409 App. B)';

const local = (feature: string): Support => ({ status: 'later', why: feature });
const never = (why: string): Support => ({ status: 'never', why });
const ignored = (why: string): Support => ({ status: 'ignored', why });
const OK: Support = { status: 'supported' };

const V2_ONLY = 'an IKEv2 transform (RFC 5282, RFC 5930, RFC 7634, RFC 8031): write ike_version 2 in this remote';
const V2_EAP = 'XAuth and hybrid authentication are IKEv1; IKEv2 authenticates users with EAP (a later step)';
const V1_ONLY = (what: string) => ignored(`${what} is IKEv1 only (RFC 2409); IKEv2 has no such setting`);

/** IKEv2 transforms named in an IKEv1 remote's proposal: refused with the reason. */
const IKEV1_LIMITS: Readonly<Record<string, Support>> = Object.fromEntries(
  [
    'encryption_algorithm aes_ctr',
    'encryption_algorithm aes_gcm_16',
    'encryption_algorithm aes_gcm_12',
    'encryption_algorithm aes_gcm_8',
    'encryption_algorithm aes_ccm_16',
    'encryption_algorithm aes_ccm_12',
    'encryption_algorithm aes_ccm_8',
    'encryption_algorithm chacha20_poly1305',
    'hash_algorithm aes_xcbc',
    'hash_algorithm aes_cmac',
    'dh_group curve25519',
    'dh_group curve448',
  ].map((k) => [`proposal.${k}`, never(V2_ONLY)]),
);

/**
 * A remote with `ike_version 2` records its directives as `ikev2.<directive>` (conf/ikev2.ts). A key absent
 * here has IKEv1's status (`ikev2.X` looks up `remote.X`, `ikev2.proposal.X` looks up `proposal.X`).
 */
const IKEV2_SUPPORT: Readonly<Record<string, Support>> = {
  'ikev2.exchange_mode main': ignored('exchange_mode has no meaning in IKEv2: IKE_SA_INIT then IKE_AUTH'),
  'ikev2.exchange_mode aggressive': ignored('exchange_mode has no meaning in IKEv2: IKE_SA_INIT then IKE_AUTH'),
  'ikev2.exchange_mode base': ignored('exchange_mode has no meaning in IKEv2: IKE_SA_INIT then IKE_AUTH'),
  'ikev2.proposal_check': ignored('IKEv2 negotiates no lifetimes: each end rekeys on its own (RFC 7296 §2.8)'),
  'ikev2.support_proxy on': ignored('IKEv2 traffic selectors always name the addresses (RFC 7296 §2.9)'),
  'ikev2.weak_phase1_check on': V1_ONLY('weak_phase1_check'),
  'ikev2.dpd on': OK, // IKEv2 liveness checks are always answered; dpd_delay starts ours
  'ikev2.dpd_delay': OK,
  'ikev2.dpd_retry': OK,
  'ikev2.dpd_maxfail': OK,
  'ikev2.my_identifier asn1dn': OK,
  'ikev2.my_identifier keyid file': OK,
  'ikev2.peers_identifier asn1dn': OK,
  'ikev2.peers_identifier keyid file': OK,
  'ikev2.certificate_type': OK,
  'ikev2.ca_type': OK,
  'ikev2.peers_certfile': OK,
  'ikev2.xauth_login': never(V2_EAP),
  'ikev2.script': OK,
  'ikev2.generate_policy': OK, // policies from the proposed selectors, with the children (docs/ikev2.md)
  'ikev2.ike_frag': OK,
  'ikev2.mode_cfg on': OK, // the configuration payload (RFC 7296 §2.19), docs/ikev2.md
  'ikev2.mobike on': local('MOBIKE (RFC 4555)'),
  'ikev2.ph1id': local('ph1id / sainfo remoteid matching'),
  'ikev2.proposal.encryption_algorithm aes_ctr': OK,
  'ikev2.proposal.encryption_algorithm aes_gcm_16': OK,
  'ikev2.proposal.encryption_algorithm aes_gcm_12': OK,
  'ikev2.proposal.encryption_algorithm aes_gcm_8': OK,
  'ikev2.proposal.encryption_algorithm aes_ccm_16': OK,
  'ikev2.proposal.encryption_algorithm aes_ccm_12': OK,
  'ikev2.proposal.encryption_algorithm aes_ccm_8': OK,
  'ikev2.proposal.encryption_algorithm chacha20_poly1305': OK,
  'ikev2.proposal.hash_algorithm aes_xcbc': OK,
  'ikev2.proposal.hash_algorithm aes_cmac': OK,
  'ikev2.proposal.dh_group curve25519': OK,
  'ikev2.proposal.dh_group curve448': OK,
  'ikev2.proposal.authentication_method rsasig': OK,
  'ikev2.proposal.authentication_method hybrid_rsa_server': never(V2_EAP),
  'ikev2.proposal.authentication_method hybrid_rsa_client': never(V2_EAP),
  'ikev2.proposal.authentication_method xauth_psk_server': never(V2_EAP),
  'ikev2.proposal.authentication_method xauth_psk_client': never(V2_EAP),
  'ikev2.proposal.authentication_method xauth_rsa_server': never(V2_EAP),
  'ikev2.proposal.authentication_method xauth_rsa_client': never(V2_EAP),
  // IKEv1 remotes: the statement exists for IKEv2 only.
  'remote.rsa_pss on': never(
    'rsa_pss chooses the padding of IKEv2 RFC 7427 signatures: write ike_version 2 in this remote',
  ),
  'ikev2.rsa_pss on': OK,
  'remote.mobike on': never('MOBIKE (RFC 4555) is an IKEv2 extension: write ike_version 2 in this remote'),
};

/**
 * Directive keys: `section.directive` or `section.directive value` when the value decides (an algorithm, a
 * mode). A key absent here is supported. Keep one line per key: a feature that lands turns its lines to OK.
 */
export const SUPPORT: Readonly<Record<string, Support>> = {
  // top level
  privsep: local(
    'privilege separation (privsep): Node cannot fork(2) a privileged helper, so racoon runs as one process; confine it with the service manager instead (examples/systemd/racoon.service: CapabilityBoundingSet, NoNewPrivileges, ProtectSystem)',
  ),
  'path backupsa': local('SA backup file (path backupsa)'),
  'path pidfile': OK,
  gss_id_enc: never(GSS),
  pfkey_buffer: ignored('uipsec PF_KEY channels have no socket buffer to size'),
  'complex_bundle on': local('complex bundles (complex_bundle on)'),
  mode_cfg: OK,
  'mode_cfg.auth_source radius': OK,
  'mode_cfg.auth_source ldap': OK,
  'mode_cfg.auth_source pam': OK,
  'mode_cfg.conf_source radius': OK,
  'mode_cfg.conf_source ldap': OK,
  'mode_cfg.group_source system': OK,
  'mode_cfg.group_source ldap': OK,
  'mode_cfg.accounting radius': OK,
  'mode_cfg.accounting pam': local('XAuth accounting through PAM sessions (accounting radius is supported)'),
  'mode_cfg.accounting system': ignored('uipsec keeps no login accounting (utmp/wtmp); logins are in the log'),
  'mode_cfg.save_passwd': ignored('the Unity save-password hint is for Cisco clients; uipsec does not send it'),
  'mode_cfg.pfs_group': ignored('the Unity PFS hint is for Cisco clients; uipsec does not send it'),
  ldapcfg: OK,
  radiuscfg: OK,
  'listen.strict_address': OK,
  'timer.persend': ignored('uipsec sends each packet once per retry (persend 1)'),
  'timer.phase2': ignored('uipsec ends a phase 2 negotiation after timer counter retransmissions instead'),
  'padding.randomize': ignored(PADDING),
  'padding.randomize_length': ignored(PADDING),
  'padding.maximum_length': ignored(PADDING),
  'padding.exclusive_tail': ignored(PADDING),
  'padding.strict_check': ignored(PADDING),
  // remote
  'remote.exchange_mode aggressive': OK,
  'remote.exchange_mode base': OK,
  'remote.situation secrecy': never('labelled IPsec situations (RFC 2407 §4.2) are not planned'),
  'remote.situation integrity': never('labelled IPsec situations (RFC 2407 §4.2) are not planned'),
  'remote.my_identifier asn1dn': OK,
  'remote.my_identifier keyid file': OK,
  'remote.peers_identifier asn1dn': OK,
  'remote.peers_identifier keyid file': OK,
  'remote.certificate_type': OK,
  'remote.ca_type': OK,
  'remote.peers_certfile': OK,
  'remote.xauth_login': OK,
  'remote.script': OK,
  'remote.lifetime byte': never(BYTES),
  'remote.support_proxy on': ignored(
    'uipsec always sends IDci/IDcr in quick mode, which is what support_proxy asks of racoon; transport-mode ' +
      'SAs between the ID addresses instead of the IKE addresses (Mobile IPv6 proxies) are not made',
  ),
  'remote.esp_frag': local('ESP pre-fragmentation (esp_frag)'),
  'remote.mode_cfg on': OK,
  'remote.ph1id': OK,
  // proposal
  'proposal.lifetime byte': never(BYTES),
  'proposal.gss_id': never(GSS),
  'proposal.authentication_method rsasig': OK,
  'proposal.authentication_method dsssig': never(UNIMPL),
  'proposal.authentication_method rsaenc': never(UNIMPL),
  'proposal.authentication_method rsarev': never(UNIMPL),
  'proposal.authentication_method gssapi_krb': never(GSS),
  'proposal.authentication_method hybrid_rsa_server': OK,
  'proposal.authentication_method hybrid_rsa_client': OK,
  'proposal.authentication_method hybrid_dss_server': never(UNIMPL),
  'proposal.authentication_method hybrid_dss_client': never(UNIMPL),
  'proposal.authentication_method xauth_psk_server': OK,
  'proposal.authentication_method xauth_psk_client': OK,
  'proposal.authentication_method xauth_rsa_server': OK,
  'proposal.authentication_method xauth_rsa_client': OK,
  'proposal.dh_group ec2n155': never(EC2N),
  'proposal.dh_group ec2n185': never(EC2N),
  // sainfo
  'sainfo.clientaddr': OK,
  'sainfo.group': local(XAUTH),
  'sainfo.my_identifier': local(XAUTH),
  'sainfo.remoteid': OK,
  'sainfo.id fqdn': local('sainfo ids by name (fqdn, user_fqdn, keyid)'),
  'sainfo.id user_fqdn': local('sainfo ids by name (fqdn, user_fqdn, keyid)'),
  'sainfo.id keyid': local('sainfo ids by name (fqdn, user_fqdn, keyid)'),
  'sainfo.id range': local('sainfo address ranges (ID_IPV4_ADDR_RANGE)'),
  'sainfo.lifetime byte': never(BYTES),
  'sainfo.pfs_group ec2n155': never(EC2N),
  'sainfo.pfs_group ec2n185': never(EC2N),
  ...IKEV1_LIMITS,
  ...IKEV2_SUPPORT,
};

/** The table entry for `key` (absent keys are supported). */
export function supportOf(key: string): Support {
  if (Object.hasOwn(SUPPORT, key)) return SUPPORT[key]!;
  if (key.startsWith('ikev2.proposal.')) return supportOf(key.slice('ikev2.'.length));
  if (key.startsWith('ikev2.')) return supportOf(`remote.${key.slice('ikev2.'.length)}`);
  return OK;
}

/** The diagnostic text for a use whose status is not `supported`, or undefined. */
export function supportMessage(use: DirectiveUse): { text: string; warning: boolean } | undefined {
  const s = supportOf(use.key);
  // `remote.` and `proposal.` go without saying; other sections are named (`sainfo group`, `timer phase2`).
  const what = use.key.replace(/^(ikev2\.)?(remote\.|proposal\.)?/, '').replace('.', ' ');
  switch (s.status) {
    case 'supported':
      return undefined;
    case 'later':
      return { text: `${what}: not supported yet (${s.why})`, warning: false };
    case 'never':
      return { text: `${what}: not supported (${s.why})`, warning: false };
    case 'ignored':
      return { text: `warning: ${what}: accepted and ignored (${s.why})`, warning: true };
  }
}

/**
 * Directives that ipsec-tools 0.8.2 does not know but other racoons wrote (KAME's racoon before ipsec-tools,
 * Apple's racoon): a precise "where it comes from, what to write instead" instead of "unknown directive".
 */
export const FOREIGN: Readonly<Record<string, string>> = {
  identifier: "KAME racoon's top-level 'identifier' is gone: write my_identifier in each remote",
  strength: "KAME racoon's 'strength' is gone: write the algorithms in each proposal",
  restrict_check: "KAME racoon's 'restrict_check' is now padding 'strict_check'",
  keepalive: "KAME racoon's 'keepalive' is gone: NAT-T keepalives are timer 'natt_keepalive'",
  support_mip6: "KAME racoon's 'support_mip6' is gone (ipsec-tools 0.8.2 does not know it)",
  policy: "KAME racoon's 'policy' section is gone: write sainfo sections",
  admin: "KAME racoon's 'admin [port]' is gone: write 'adminsock \"path\"'",
  auto_exit_delay: "Apple racoon's 'auto_exit_delay' is not in ipsec-tools 0.8.2",
  dpd_algorithm: "Apple racoon's 'dpd_algorithm' is not in ipsec-tools 0.8.2",
  certificate_verification: "Apple racoon's 'certificate_verification' is not in ipsec-tools 0.8.2: write verify_cert",
  open_dir_auth_group: "Apple racoon's 'open_dir_auth_group' is not in ipsec-tools 0.8.2",
  shared_secret: "Apple racoon's 'shared_secret' is not in ipsec-tools 0.8.2: write the key in psk.txt",
  verify_cert_by_keychain: "Apple racoon's keychain certificates are not in ipsec-tools 0.8.2",
  transport_url: 'not a racoon.conf directive',
};
