// The IKEv2 checks of racoon.conf (racoon/conf/ikev2.ts, support.ts, validate.ts), run as `racoon -F -f FILE`
// runs them (checkConfig): statements with no IKEv2 meaning at file:line, MOBIKE "not supported yet", the
// RFC 7296 §2.10 nonce range at the nonce_size line, and IKEv2-only transforms in an IKEv1 remote or in a
// sainfo an IKEv1 quick mode would offer, each refused with the reason.
import { strict as assert } from 'node:assert';
import { checkConfig, type CheckResult } from '../../../../racoon/conf/check.js';

const P =
  'proposal { encryption_algorithm aes; hash_algorithm sha256; authentication_method pre_shared_key; dh_group modp2048; }';

function check(text: string): CheckResult {
  return checkConfig('/t.conf', { readFile: () => text, readdir: () => [] });
}
const errors = (r: CheckResult) => r.errors.map((e) => e.message);
const warnings = (r: CheckResult) => r.warnings.map((e) => e.message);

describe('racoon.conf: IKEv2 checks', () => {
  it('a complete IKEv2 remote with the IKEv2-only names is OK', () => {
    const r = check(`remote 192.0.2.2 {
  ike_version 2;
  nonce_size 32;
  proposal { encryption_algorithm chacha20_poly1305; hash_algorithm aes_cmac; authentication_method pre_shared_key; dh_group curve448; }
  proposal { encryption_algorithm aes_gcm_16 256; hash_algorithm sha384; authentication_method pre_shared_key; dh_group ecp384; }
}
sainfo anonymous { encryption_algorithm aes_ctr, aes_gcm_16; authentication_algorithm aes_xcbc; compression_algorithm deflate; }
`);
    assert.deepEqual([errors(r), warnings(r)], [[], []]);
    assert.equal(r.ok, true);
  });

  it('statements without an IKEv2 meaning: errors and warnings at their file:line, with the reason', () => {
    const r = check(`remote 192.0.2.2 {
  ike_version 2;
  exchange_mode aggressive;
  proposal_check obey;
  mobike on;
  xauth_login "u";
  support_proxy on;
  weak_phase1_check on;
  ${P}
}
`);
    assert.equal(r.ok, false);
    assert.deepEqual(errors(r), [
      '/t.conf:5: mobike on: not supported yet (MOBIKE (RFC 4555))',
      '/t.conf:6: xauth_login: not supported (XAuth and hybrid authentication are IKEv1; IKEv2 authenticates users with EAP (a later step))',
    ]);
    // No aggressive-mode warning for an IKEv2 remote: exchange_mode is ignored there.
    assert.deepEqual(warnings(r), [
      '/t.conf:3: warning: exchange_mode aggressive: accepted and ignored (exchange_mode has no meaning in IKEv2: IKE_SA_INIT then IKE_AUTH)',
      '/t.conf:4: warning: proposal_check: accepted and ignored (IKEv2 negotiates no lifetimes: each end rekeys on its own (RFC 7296 §2.8))',
      '/t.conf:7: warning: support_proxy on: accepted and ignored (IKEv2 traffic selectors always name the addresses (RFC 7296 §2.9))',
      '/t.conf:8: warning: weak_phase1_check on: accepted and ignored (weak_phase1_check is IKEv1 only (RFC 2409); IKEv2 has no such setting)',
    ]);
  });

  it('`ike_version 2` written last still makes the remote IKEv2 (its statements are retagged after the block)', () => {
    const r = check(`remote 192.0.2.2 {\n  mobike on;\n  ${P}\n  ike_version 2;\n}\n`);
    assert.deepEqual(errors(r), ['/t.conf:2: mobike on: not supported yet (MOBIKE (RFC 4555))']);
  });

  it('mobike in an IKEv1 remote: not supported, it is an IKEv2 extension', () => {
    assert.deepEqual(errors(check(`remote 192.0.2.2 {\n  mobike on;\n  ${P}\n}\n`)), [
      '/t.conf:2: mobike on: not supported (MOBIKE (RFC 4555) is an IKEv2 extension: write ike_version 2 in this remote)',
    ]);
    assert.deepEqual(errors(check(`remote 192.0.2.2 {\n  ike_version 2;\n  mobike off;\n  ${P}\n}\n`)), []);
  });

  it('ike_version other than 1 or 2 is refused at its line', () => {
    assert.deepEqual(errors(check(`remote 192.0.2.2 {\n  ike_version 3;\n  ${P}\n}\n`)), [
      '/t.conf:2: ike_version 3: racoon speaks IKE versions 1 and 2',
    ]);
  });

  it('nonce_size: 16..256 for IKEv2 (RFC 7296 §2.10), 8..256 for IKEv1 (RFC 2409 §5), at the nonce_size line', () => {
    const remote = (v: number, n: number) =>
      `remote 192.0.2.${n % 200} {\n  ike_version ${v};\n  nonce_size ${n};\n  ${P}\n}\n`;
    for (const n of [16, 17, 255, 256]) assert.deepEqual(errors(check(remote(2, n))), [], `v2 ${n}`);
    for (const n of [8, 15]) assert.deepEqual(errors(check(remote(1, n))), [], `v1 ${n}`);
    for (const n of [0, 8, 15, 257, 300])
      assert.deepEqual(errors(check(remote(2, n))), [
        `/t.conf:3: remote 192.0.2.${n % 200}: IKEv2 nonce_size ${n} outside 16..256 (RFC 7296 §2.10)`,
      ]);
    assert.deepEqual(errors(check(remote(1, 7))), ['/t.conf:3: remote 192.0.2.7: nonce_size 7 outside 8..256']);
    assert.deepEqual(errors(check(remote(1, 257))), ['/t.conf:3: remote 192.0.2.57: nonce_size 257 outside 8..256']);
  });

  it('IKEv2-only transforms in an IKEv1 remote: refused with the reason, at their lines', () => {
    const why = 'an IKEv2 transform (RFC 5282, RFC 5930, RFC 7634, RFC 8031): write ike_version 2 in this remote';
    const r = check(`remote 192.0.2.2 {
  proposal {
    encryption_algorithm aes_gcm_16;
    hash_algorithm aes_xcbc;
    authentication_method pre_shared_key;
    dh_group curve25519;
  }
  proposal { encryption_algorithm chacha20_poly1305; hash_algorithm aes_cmac; authentication_method pre_shared_key; dh_group curve448; }
}
`);
    assert.deepEqual(errors(r), [
      `/t.conf:3: encryption_algorithm aes_gcm_16: not supported (${why})`,
      `/t.conf:4: hash_algorithm aes_xcbc: not supported (${why})`,
      `/t.conf:6: dh_group curve25519: not supported (${why})`,
      `/t.conf:8: encryption_algorithm chacha20_poly1305: not supported (${why})`,
      `/t.conf:8: hash_algorithm aes_cmac: not supported (${why})`,
      `/t.conf:8: dh_group curve448: not supported (${why})`,
    ]);
  });

  it('an IKEv2-only child algorithm in a sainfo an IKEv1 remote may use: refused; with IKEv2 remotes only: OK', () => {
    const sainfo = `sainfo anonymous {\n  encryption_algorithm aes_ctr, aes;\n  authentication_algorithm aes_xcbc, hmac_sha1;\n  compression_algorithm deflate;\n}\n`;
    const mixed = check(`remote 192.0.2.2 { ike_version 2; ${P} }\nremote 192.0.2.3 { ${P} }\n${sainfo}`);
    assert.deepEqual(errors(mixed), [
      '/t.conf:4: aes_ctr: an IKEv2 child algorithm, and this configuration has IKEv1 remotes whose quick mode cannot offer it',
      '/t.conf:5: aes_xcbc: an IKEv2 child algorithm, and this configuration has IKEv1 remotes whose quick mode cannot offer it',
    ]);
    assert.deepEqual(errors(check(`remote 192.0.2.2 { ike_version 2; ${P} }\n${sainfo}`)), []);
  });

  it('an IKEv2 proposal whose names have no IKEv2 form, and IKEv1 authentication methods, say why', () => {
    const r = check(`remote 192.0.2.3 {
  ike_version 2;
  proposal { encryption_algorithm aes; hash_algorithm tiger; authentication_method pre_shared_key; dh_group modp2048; }
  proposal { encryption_algorithm aes; hash_algorithm sha256; authentication_method xauth_psk_client; dh_group modp2048; }
}
`);
    assert.deepEqual(
      errors(r)
        .filter((e) => !/lacks|unknown hash/.test(e))
        .sort(),
      [
        '/t.conf:3: remote 192.0.2.3 (IKEv2): hash_algorithm tiger has no IKEv2 PRF',
        '/t.conf:4: authentication_method xauth_psk_client: not supported (XAuth and hybrid authentication are IKEv1; IKEv2 authenticates users with EAP (a later step))',
      ],
    );
  });
});
