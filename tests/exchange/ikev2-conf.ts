// racoon.conf for the IKEv2 exchange tests (ikev2.test.ts, ikev2-fuzz.test.ts, ikev2-certs, ikev2-frag).

/** racoon.conf for one side: an IKEv2 remote with PSK to `peer`, and an anonymous sainfo. */
export function v2Conf(
  peer: string,
  o: {
    enc?: string;
    hash?: string;
    groups?: string[];
    pfs?: string;
    life?: string;
    childLife?: string;
    dpd?: number;
    extra?: string;
    /** The sainfo's ESP transforms (default aes 128 / hmac_sha256). */
    childEnc?: string;
    childAuth?: string;
  } = {},
): string {
  const proposals = (o.groups ?? ['ecp256'])
    .map(
      (g) => `  proposal {
    encryption_algorithm ${o.enc ?? 'aes 128'};
    hash_algorithm ${o.hash ?? 'sha256'};
    authentication_method pre_shared_key;
    dh_group ${g};
  }`,
    )
    .join('\n');
  return `
timer { counter 3; interval 10 sec; }
remote ${peer} {
  ike_version 2;
  lifetime time ${o.life ?? '8 hour'};
  ${o.dpd ? `dpd_delay ${o.dpd};` : ''}
  ${o.extra ?? ''}
${proposals}
}
sainfo anonymous {
  ${o.pfs ? `pfs_group ${o.pfs};` : ''}
  lifetime time ${o.childLife ?? '1 hour'};
  encryption_algorithm ${o.childEnc ?? 'aes 128'};
  authentication_algorithm ${o.childAuth ?? 'hmac_sha256'};
}
`;
}

export interface CertSide {
  peer: string;
  cert: string;
  key: string;
  peerDn: string;
  extra?: string;
}

/** An IKEv2 remote authenticating with `certificate_type x509`, asn1dn identities both ways. */
export function certConf(certDir: string, s: CertSide): string {
  return `path certificate "${certDir}";
timer { counter 3; interval 10 sec; }
remote ${s.peer} {
  ike_version 2;
  certificate_type x509 "${s.cert}" "${s.key}";
  my_identifier asn1dn;
  peers_identifier asn1dn "${s.peerDn}";
  verify_identifier on;
  ${s.extra ?? ''}
  proposal { encryption_algorithm aes 128; hash_algorithm sha256; authentication_method rsasig; dh_group ecp256; }
}
sainfo anonymous { encryption_algorithm aes 128; authentication_algorithm hmac_sha256; }
`;
}
