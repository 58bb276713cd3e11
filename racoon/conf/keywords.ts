// Every racoon.conf keyword, sorted (binary-searched like iked's parse.y `lookup()`; keep it sorted — a test
// checks). The parser uses it to tell "known keyword in the wrong section" from "unknown directive".

const KEYWORDS: readonly string[] = [
  'adminsock',
  'aggressive',
  'anonymous',
  'asn1dn',
  'authentication_algorithm',
  'authentication_method',
  'base',
  'byte',
  'ca_type',
  'certificate_type',
  'clientaddr',
  'complex_bundle',
  'compression_algorithm',
  'counter',
  'dh_group',
  'disabled',
  'doi',
  'dpd_delay',
  'dpd_maxfail',
  'dpd_retry',
  'encryption_algorithm',
  'esp_frag',
  'exchange_mode',
  'exclusive_tail',
  'fqdn',
  'from',
  'generate_policy',
  'group',
  'gss_id',
  'gss_id_enc',
  'hash_algorithm',
  'identity_only',
  'ike_frag',
  'include',
  'inherit',
  'initial_contact',
  'interval',
  'ipsec_doi',
  'isakmp',
  'isakmp_natt',
  'keyid',
  'ldapcfg',
  'lifetime',
  'listen',
  'log',
  'main',
  'match_empty_cr',
  'maximum_length',
  'mode_cfg',
  'my_identifier',
  'nat_traversal',
  'natt_keepalive',
  'nonce_size',
  'padding',
  'passive',
  'path',
  'peers_certfile',
  'peers_identifier',
  'persend',
  'pfkey_buffer',
  'pfs_group',
  'ph1id',
  'phase1',
  'phase2',
  'privsep',
  'proposal',
  'proposal_check',
  'radiuscfg',
  'randomize',
  'randomize_length',
  'rekey',
  'remote',
  'remote_address',
  'remoteid',
  'sainfo',
  'script',
  'send_cert',
  'send_cr',
  'situation',
  'strict_address',
  'strict_check',
  'subnet',
  'support_proxy',
  'time',
  'timer',
  'user_fqdn',
  'verify_cert',
  'verify_identifier',
  'weak_phase1_check',
  'xauth_login',
];

/** The sorted keyword list (exported for the sortedness test and for tooling). */
export function keywordList(): readonly string[] {
  return KEYWORDS;
}

/** True when `word` is a racoon.conf keyword (binary search). */
export function isKeyword(word: string): boolean {
  let lo = 0;
  let hi = KEYWORDS.length - 1;
  while (lo <= hi) {
    const mid = (lo + hi) >> 1;
    const k = KEYWORDS[mid]!;
    if (k === word) return true;
    if (k < word) lo = mid + 1;
    else hi = mid - 1;
  }
  return false;
}
