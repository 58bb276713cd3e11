// Errors: `file:line: message near 'token'` (or `line N:` for stdin), one per bad statement, with parsing
// resumed at the next ';', and the semantic checks made before anything is sent.
import { strict as assert } from 'node:assert';
import { parseSetkey } from '../../../setkey/parser.js';

const K16 = '0x00112233445566778899aabbccddeeff';
const K20 = '0x00112233445566778899aabbccddeeff01020304';

describe('setkey/parser: errors with line numbers and resynchronisation', () => {
  const script = [
    /* 1 */ 'add 10.0.0.1 10.0.0.2 esp 0x1000 -E aes-cbc 0x00;',
    /* 2 */ 'spdadd 10.0.0.1 10.0.0.2 any -P sideways none;',
    /* 3 */ '# a comment line',
    /* 4 */ 'add 10.0.0.1 10.0.0.2 esp 0x1001',
    /* 5 */ `    -E aes-cbc ${K16};`,
    /* 6 */ 'spdadd 10.0.0.1[80] 10.0.0.2 icmp -P out none;',
    /* 7 */ 'add 10.0.0.1 10.0.0.2 esp 0x1ffffffff -E null;',
    /* 8 */ 'get 10.0.0.1 10.0.0.2 esp; flush;',
    /* 9 */ 'spdflush',
    /* 10 */ ';',
    /* 11 */ 'add 10.0.0.1 10.0.0.2 ah 0x1000 -A des-cbc 0x00;',
    /* 12 */ 'frobnicate all the things;',
    /* 13 */ 'spdadd 10.0.0.1 ::1 any -P out none;',
    /* 14 */ `add 10.0.0.1 10.0.0.2 esp 300 -E aes-cbc ${K16} -A hmac-sha1 0x00;`,
    /* 15 */ 'spdadd 10.0.0.1 10.0.0.2 any -P out ipsec esp/tunnel//require;',
    /* 16 */ 'spdadd 10.0.0.0/33 10.0.0.2 any -P out none;',
    /* 17 */ 'add 10.0.0.1 10.0.0.2 esp 0x2000 -E aes-gcm-16 0x00112233445566778899aabbccddeeff01020304 -A hmac-sha1 0x0011223344556677889900112233445566778899;',
    /* 18 */ 'dump;',
  ].join('\n');

  it('reports every bad statement with file:line and the token, and keeps the good ones', () => {
    const r = parseSetkey(script, { file: 'ipsec.conf' });
    assert.deepEqual(
      r.errors.map((e) => e.message),
      [
        "ipsec.conf:1: invalid key length 8 bits for aes-cbc, which takes 128, 192 or 256 bits near 'aes-cbc'",
        "ipsec.conf:2: policy: invalid policy direction (want in, out or fwd) near 'sideways'",
        "ipsec.conf:6: a port is given but upper-layer protocol 'icmp' has no ports near '10.0.0.1'",
        "ipsec.conf:7: SPI too big. near '0x1ffffffff'",
        "ipsec.conf:8: syntax error: expected an SPI near ';'",
        "ipsec.conf:11: unknown authentication algorithm; supported: hmac-md5, hmac-sha1, hmac-sha256, hmac-sha2-256, hmac-sha384, hmac-sha2-384, hmac-sha512, hmac-sha2-512, aes-xcbc-mac, null near 'des-cbc'",
        "ipsec.conf:12: syntax error: unknown command near 'frobnicate'",
        "ipsec.conf:13: address family mismatch between source and destination near '::1'",
        "ipsec.conf:14: invalid key length 8 bits for hmac-sha1, which takes 160 bits near 'hmac-sha1'",
        "ipsec.conf:15: policy: tunnel mode needs src-dst endpoints near 'esp'",
        "ipsec.conf:16: prefix length out of range (at most 32) near '33'",
        "ipsec.conf:17: aes-gcm-16 is a combined-mode algorithm: do not add -A (RFC 4106 §2) near 'hmac-sha1'",
      ],
    );
    assert.deepEqual(
      r.statements.map((s) => [s.kind, s.line]),
      [
        ['add', 4],
        ['flush', 8],
        ['spdflush', 9],
        ['dump', 18],
      ],
    );
    for (const e of r.errors) assert.equal(e.file, 'ipsec.conf');
  });

  it('says `line N` for stdin and carries line and column on the error object', () => {
    const r = parseSetkey('\n\n  bogus;');
    assert.equal(r.errors[0]!.message, "line 3: syntax error: unknown command near 'bogus'");
    assert.equal(r.errors[0]!.line, 3);
    assert.equal(r.errors[0]!.col, 3);
    assert.equal(r.errors[0]!.code, 'ECONFIG');
  });

  it('a policy error points at the line inside the policy text', () => {
    const r = parseSetkey('spdadd 10.0.0.1 10.0.0.2 any -P out ipsec\n  esp/transport//require\n  ah/sideways//use;');
    assert.deepEqual(
      r.errors.map((e) => e.message),
      ["line 3: policy: invalid IPsec mode (want transport or tunnel) near 'sideways'"],
    );
  });

  it('a missing final ; is reported at the end of input', () => {
    const r = parseSetkey('flush;\nspdadd 10.0.0.1 10.0.0.2 any -P out none');
    assert.deepEqual(
      r.errors.map((e) => e.message),
      ["line 2: missing ';' at end of statement near 'end of input'"],
    );
    assert.equal(r.statements.length, 1);
  });

  it("a forgotten ';' is reported at the end of its statement's last line, and the next statement still parses", () => {
    const r = parseSetkey(
      [
        `add 10.0.0.1 10.0.0.2 esp 0x1000 -m transport`,
        `    -E aes-cbc ${K16}`,
        `add 10.0.0.1 10.0.0.2 esp 0x1001 -E aes-cbc ${K16};`,
        'spdadd 10.0.0.1 10.0.0.2 any -P out ipsec',
        '    esp/transport//require',
        'spdflush;',
        'flush',
        '',
      ].join('\n'),
      { file: 'k.conf' },
    );
    assert.deepEqual(
      r.errors.map((e) => e.message),
      [
        "k.conf:2: missing ';' at the end of the statement at column 16 (not shown: may be key material)",
        "k.conf:5: missing ';' at the end of the statement near 'esp/transport//require'",
        "k.conf:7: missing ';' at the end of the statement near 'flush'",
      ],
    );
    // The add after the first mistake is kept; the spdflush swallowed by the policy is not.
    assert.deepEqual(
      r.statements.map((x) => x.kind),
      ['add'],
    );
  });

  it("an unknown algorithm lists the supported ones, with a 'did you mean' when one is close", () => {
    const r = parseSetkey(
      `add 10.0.0.1 10.0.0.2 esp 0x1000 -E aes-cbcc ${K16};\n` +
        `add 10.0.0.1 10.0.0.2 esp 0x1001 -E AES_GCM_16 ${K20};\n` +
        `add 10.0.0.1 10.0.0.2 esp 0x1002 -E aes-cbc ${K16} -A hmac-sha265 ${K16}${K16.slice(2)};\n` +
        `add 10.0.0.1 10.0.0.2 esp 0x1003 -E rot13 ${K16};\n`,
    );
    const m = r.errors.map((e) => e.message);
    assert.match(
      m[0]!,
      /^line 1: unknown encryption algorithm \(did you mean 'aes-cbc'\?\); supported: .*\baes-gcm-16\b.* near 'aes-cbcc'$/,
    );
    assert.match(m[1]!, /^line 2: unknown encryption algorithm \(did you mean 'aes-gcm-16'\?\)/);
    assert.match(
      m[2]!,
      /^line 3: unknown authentication algorithm \(did you mean 'hmac-sha256'\?\); supported: hmac-md5, /,
    );
    assert.match(m[3]!, /^line 4: unknown encryption algorithm; supported: null, /);
    assert.equal(m.length, 4);
  });

  it('bad characters, unterminated quotes and stray tokens are syntax errors, not exceptions', () => {
    const r = parseSetkey('flush!;\nadd 10.0.0.1 10.0.0.2 esp 0x1000 -E aes-cbc "unterminated;\nspddump;');
    assert.deepEqual(
      r.errors.map((e) => e.message),
      [
        "line 1: syntax error: expected ';' near '!'",
        'line 2: invalid key: want 0x<hex> or "text" at column 45 (not shown: may be key material)',
      ],
    );
  });

  it('refuses legacy algorithms and protocols, listing what is supported', () => {
    const r = parseSetkey(
      `add 10.0.0.1 10.0.0.2 esp 0x1000 -E blowfish-cbc ${K16};\nadd 10.0.0.1 10.0.0.2 ah-old 0x1000 -A keyed-md5 ${K16};`,
    );
    assert.match(
      r.errors[0]!.message,
      /^line 1: unsupported encryption algorithm \(legacy 64-bit block cipher, not supported\); supported: null, des-cbc, 3des-cbc, aes-cbc, .* near 'blowfish-cbc'$/,
    );
    assert.match(r.errors[1]!.message, /^line 2: ah-old \(RFC 1826\/1827 format\) is not supported/);
    assert.match(
      r.errors[2]!.message,
      /^line 2: unsupported authentication algorithm \(RFC 1828 keyed MD5\); supported: hmac-md5, hmac-sha1, /,
    );
  });

  it('checks protocol/algorithm agreement, SPI ranges and replay with -old', () => {
    const bad = [
      [`add 10.0.0.1 10.0.0.2 esp 0x1000 -A hmac-sha1 ${K20};`, 'ESP needs an encryption algorithm (-E)'],
      [`add 10.0.0.1 10.0.0.2 ah 0x1000 -E aes-cbc ${K16};`, 'ah takes only an authentication algorithm (-A)'],
      [`add 10.0.0.1 10.0.0.2 ipcomp 0x1000 -E aes-cbc ${K16};`, 'ipcomp needs a compression algorithm (-C)'],
      [
        'add 10.0.0.1 10.0.0.2 esp 0x1000 -C deflate;',
        'ESP needs an encryption algorithm (-E)|-C is only valid for ipcomp',
      ],
      [
        'add 10.0.0.1 10.0.0.2 esp 0x1000 -E aes-cbc 0x1122;',
        'invalid key length 16 bits for aes-cbc, which takes 128, 192 or 256 bits',
      ],
      ['add 10.0.0.1 10.0.0.2 esp 255 -E null;', 'SPI values 0-255 are reserved (RFC 4303 §2.1)'],
      ['add 10.0.0.1 10.0.0.2 ipcomp 0x10000 -C deflate;', 'an IPComp CPI must fit in 16 bits (RFC 3173 §2.2)'],
      ['add 10.0.0.1 10.0.0.2 esp-old 0x1000 -r 4 -E null;', 'replay prevention cannot be used with ah/esp-old'],
      ['add 10.0.0.1 10.0.0.2 esp 0x1000 -f odd-pad -E null;', 'invalid -f extension'],
      ['add 10.0.0.1 10.0.0.2 esp 0x1000 -m sideways -E null;', 'invalid mode'],
      [`add 10.0.0.1 10.0.0.2 esp 0x1000 -E null "x";`, 'invalid key length 8 bits for null, which takes 0 bits'],
      ['add 10.0.0.1 10.0.0.2 esp 0x1000;', 'syntax error: expected -E, -A or -C'],
      ['add 10.0.0.1 10.0.0.2 udp 0x1000 -E null;', 'unknown security protocol'],
      ['add -q 10.0.0.1 10.0.0.2 esp 0x1000 -E null;', 'invalid flag'],
      ['add -6 10.0.0.1 10.0.0.2 esp 0x1000 -E null;', 'no IPv6 address (-6 given)'],
      ['deleteall 10.0.0.1[500] 10.0.0.2 esp;', 'a port is not allowed here'],
      ['spdadd 10.0.0.1[99999] 10.0.0.2 tcp -P out none;', 'invalid port'],
      ['spdadd 10.0.0.1 10.0.0.2 frob -P out none;', 'invalid upper layer protocol'],
      [
        'spdadd 10.0.0.1 10.0.0.2 tcp 8,0 -P out none;',
        'an upper-layer spec is only valid for icmp, icmp6, mh and gre',
      ],
      ['spdadd 10.0.0.1 10.0.0.2 icmp 300,1 -P out none;', 'invalid an upper layer protocol spec'],
      ['spdadd 10.0.0.1[1] 10.0.0.2 icmp 3,1 -P out none;', 'ports and an upper-layer spec cannot be combined'],
      ['spdadd 10.0.0.1 10.0.0.2 any -P out;', 'spdadd needs a policy action after the direction'],
      [
        'spdadd 10.0.0.1 10.0.0.2 any -P out ipsec esp/transport//unique:65536;',
        'reqid 65536 does not fit the 16-bit sadb_x_ipsecrequest_reqid',
      ],
      ['spdadd 10.0.0.1 10.0.0.2 any;', 'syntax error: expected -P policy'],
      ['spdadd 10.0.0.1 10.0.0.2 any -P ;', 'missing policy after -P'],
      [
        'spdadd 10.0.0.1 10.0.0.2 any -P out ipsec esp/tunnel/10.0.0.1-::1/require;',
        'policy: address family mismatch between tunnel endpoints',
      ],
      [
        'spdadd 10.0.0.1 10.0.0.2 any -P in ipsec esp/transport/me-any/require;',
        "policy: 'me-any' is only valid for out policies",
      ],
      [
        'spdadd 10.0.0.1 10.0.0.2 any -P out prio 3000000000 discard;',
        'policy: priority offset out of range (at most 2147483648)',
      ],
      [
        'spdadd 10.0.0.1 10.0.0.2 any -P out prio high + 1073741825 discard;',
        'policy: priority offset out of range (at most 1073741824)',
      ],
      ['spdadd 10.0.0.1 10.0.0.2 any -P out ipsec esp;', 'policy: too few arguments in IPsec request'],
      [
        'spdadd 10.0.0.1 10.0.0.2 any -P out ipsec esp/tunnel/10.0.0.1[1]-10.0.0.2/require;',
        'policy: give ports on both tunnel endpoints or on neither',
      ],
      [
        'spdadd 10.0.0.1 10.0.0.2 any -P out ipsec esp/transport/require;',
        'policy: invalid IPsec protocol (want esp, ah or ipcomp)',
      ],
    ];
    for (const [src, reason] of bad) {
      const r = parseSetkey(src!);
      assert.equal(r.statements.length, 0, src);
      assert.deepEqual(
        r.errors.map((e) => e.reason),
        reason!.split('|'),
        src,
      );
    }
  });

  it('takes ports with upper layer any, as ipsec-tools does (racoon bypass policies use them)', () => {
    for (const src of [
      'spdadd 0.0.0.0/0[500] 0.0.0.0/0[any] any -P out none;',
      'spdadd 10.0.0.1[4500] 10.0.0.2 any -P in none;',
      'spdadd fec0::10[any] fec0::11[110] any -P out none;',
    ]) {
      const r = parseSetkey(src);
      assert.deepEqual([r.errors, r.warnings, r.statements.length], [[], [], 1], src);
    }
  });

  it('warns (without refusing) about lifetimes, SA ports and per-socket actions', () => {
    const cases: [string, string][] = [
      [
        'add 10.0.0.1 10.0.0.2 esp 0x1000 -lh 60 -E null;',
        'KAME/FreeBSD kernels need both hard and soft lifetimes (-lh/-ls, -bh/-bs) or neither',
      ],
      ['add 10.0.0.1 10.0.0.2 esp 0x1000 -lh 60 -ls 90 -E null;', 'soft lifetime is longer than the hard lifetime'],
      ['add 10.0.0.1[500] 10.0.0.2 esp 0x1000 -E null;', 'a port on an SA is ignored unless the protocol is esp-udp'],
      [
        'spdadd 10.0.0.1 10.0.0.2 any -P out bypass;',
        "'bypass' is meant for per-socket policies; KAME kernels refuse it in the SPD",
      ],
      [
        'spdadd 10.0.0.1 10.0.0.2 any -P out ipsec;',
        'an ipsec policy without requests: kernels refuse or treat it as none',
      ],
      ['spdadd 10.0.0.1 10.0.0.2 any -P out discard esp/transport//use;', "requests are ignored with action 'discard'"],
      ['spdadd ::1 ::2 icmp -P out none;', 'icmp on an IPv6 selector: did you mean icmp6?'],
      [
        'spdadd ::1 ::1[9995] tcp -P out ipsec esp/transport//unique:28000;',
        'reqid 28000 is above 16383 (IPSEC_MANUAL_REQID_MAX): the kernel assigns one of its own instead',
      ],
    ];
    for (const [src, reason] of cases) {
      const r = parseSetkey(src);
      assert.deepEqual(r.errors, [], src);
      assert.equal(r.statements.length, 1, src);
      assert.deepEqual(
        r.warnings.map((w) => w.reason),
        [reason],
        src,
      );
      assert.equal(r.warnings[0]!.severity, 'warning');
    }
  });
});
