// A broad table of setkey statements, written for these tests in the style of the ipsec-tools sample
// configurations and the FreeBSD/NetBSD IPsec regression scripts (tests/sys/netipsec, tests/net/ipsec).
import { strict as assert } from 'node:assert';
import { parseSetkey } from '../../../setkey/parser.js';
import type * as A from '../../../setkey/ast.js';
import { formatAddr } from '../../../common/inet.js';

const K16 = '0x00112233445566778899aabbccddeeff';
const K20 = '0x00112233445566778899aabbccddeeff01020304';
const K24 = '0x00112233445566778899aabbccddeeff0011223344556677';
const K32 = `${K16}${K16.slice(2)}`;

function one<T extends A.Statement>(src: string): T {
  const r = parseSetkey(src, { file: 't.conf' });
  assert.deepEqual(
    r.errors.map((e) => e.message),
    [],
    src,
  );
  assert.equal(r.statements.length, 1, src);
  return r.statements[0] as T;
}

const hex = (b: Uint8Array | undefined): string => Buffer.from(b ?? []).toString('hex');

describe('setkey/parser: SA statements', () => {
  it('add: ESP tunnel with 3DES and HMAC-MD5', () => {
    const s = one<A.SaStatement>(`add 10.1.1.1 10.1.1.2 esp 0x10001 -m tunnel -E 3des-cbc ${K24} -A hmac-md5 ${K16};`);
    assert.equal(s.kind, 'add');
    assert.equal(formatAddr(s.src.addr), '10.1.1.1');
    assert.equal(formatAddr(s.dst.addr), '10.1.1.2');
    assert.equal(s.proto.name, 'esp');
    assert.equal(s.spi, 0x10001);
    assert.equal(s.ext.mode, 'tunnel');
    assert.equal(s.alg?.enc?.name, '3des-cbc');
    assert.equal(hex(s.alg?.enc?.key?.bytes), K24.slice(2));
    assert.equal(s.alg?.auth?.name, 'hmac-md5');
    assert.equal(s.alg?.auth?.key?.bytes.length, 16);
  });

  it('add -6: AH with hmac-sha256 and a decimal SPI', () => {
    const s = one<A.SaStatement>(`add -6 fec0::1 fec0::2 ah 8192 -A hmac-sha256 ${K32};`);
    assert.equal(s.opts.family, 6);
    assert.equal(s.src.family, 6);
    assert.equal(formatAddr(s.dst.addr), 'fec0::2');
    assert.equal(s.spi, 8192);
    assert.equal(s.alg?.enc, undefined);
    assert.equal(s.alg?.auth?.key?.bytes.length, 32);
  });

  it('add: every extension flag', () => {
    const s = one<A.SaStatement>(`add 192.0.2.1 192.0.2.2 esp 4096 -u 7 -r 32 -f random-pad -f nocyclic-seq
      -lh 3600 -ls 2880 -bh 1000000 -bs 800000 -E aes-ctr ${K20} -A aes-xcbc-mac ${K16};`);
    assert.deepEqual(
      {
        reqid: s.ext.reqid,
        replay: s.ext.replay,
        pad: s.ext.pad,
        nocyc: s.ext.nocyclicSeq,
        hard: s.ext.hard,
        soft: s.ext.soft,
      },
      {
        reqid: 7,
        replay: 32,
        pad: 'random-pad',
        nocyc: true,
        hard: { addtimeSec: 3600, bytes: 1000000 },
        soft: { addtimeSec: 2880, bytes: 800000 },
      },
    );
    assert.equal(s.line, 1);
    assert.equal(s.endLine, 2);
  });

  it('update (NetBSD): AES-GCM-16 with its 4-byte salt and no -A', () => {
    const s = one<A.SaStatement>(`update 10.0.0.1 10.0.0.2 esp 10000 -E aes-gcm-16 ${K20};`);
    assert.equal(s.kind, 'update');
    assert.equal(s.alg?.enc?.key?.bytes.length, 20);
  });

  it('add: IPComp with deflate and -R', () => {
    const s = one<A.SaStatement>('add 10.0.0.1 10.0.0.2 ipcomp 0x1000 -m tunnel -C deflate -R;');
    assert.equal(s.proto.name, 'ipcomp');
    assert.equal(s.alg?.comp?.name, 'deflate');
    assert.equal(s.alg?.rawCpi, true);
  });

  it('add: esp-udp with NAT-T ports, quoted keys, and with an OA address', () => {
    const s = one<A.SaStatement>(
      'add 10.0.0.1[4500] 10.0.0.2[4501] esp-udp 0x2000 -m tunnel -E aes-cbc "0123456789abcdef" -A hmac-sha1 "0123456789abcdefghij";',
    );
    assert.equal(s.src.port, 4500);
    assert.equal(s.dst.port, 4501);
    assert.equal(Buffer.from(s.alg!.enc!.key!.bytes).toString(), '0123456789abcdef');
    assert.equal(s.alg?.enc?.key?.form, 'quoted');
    const t = one<A.SaStatement>(`add 10.0.0.1 10.0.0.2 esp-udp 192.168.1.1 0x2001 -E null -A hmac-sha1 ${K20};`);
    assert.equal(formatAddr(t.proto.natOa!.addr), '192.168.1.1');
    assert.equal(t.alg?.enc?.name, 'null');
    assert.equal(t.alg?.enc?.key, undefined);
  });

  it('accepts FreeBSD `-E null ""` and ipsec-tools `-A null`', () => {
    const s = one<A.SaStatement>('add 10.0.0.1 10.0.0.2 esp 0x3000 -E null "" -A null;');
    assert.equal(s.alg?.enc?.key?.bytes.length, 0);
    assert.equal(s.alg?.auth?.name, 'null');
  });

  it('an odd number of hex digits makes the first digit a byte of its own (ipsec-tools key_string)', () => {
    const r = parseSetkey('add 10.0.0.1 10.0.0.2 esp 0x3000 -E aes-cbc 0x123;', { check: false });
    assert.equal(hex((r.statements[0] as A.SaStatement).alg?.enc?.key?.bytes), '0123');
  });

  it('get, delete -4n, deleteall, flush and dump with and without a protocol', () => {
    const r = parseSetkey(
      'get 10.0.0.1 10.0.0.2 esp 0x1000;\ndelete -4n 10.0.0.1 10.0.0.2 ah 4096;\ndeleteall 10.0.0.1 10.0.0.2 esp;\nflush;\nflush ah;\ndump esp;\ndump;',
    );
    assert.deepEqual(r.errors, []);
    assert.deepEqual(
      r.statements.map((s) => s.kind),
      ['get', 'delete', 'deleteall', 'flush', 'flush', 'dump', 'dump'],
    );
    const del = r.statements[1] as A.SaStatement;
    assert.deepEqual(del.opts, { numericOnly: true, family: 4 });
    assert.equal((r.statements[4] as A.FlushDumpStatement).proto?.name, 'ah');
    assert.equal((r.statements[3] as A.FlushDumpStatement).proto, undefined);
    assert.deepEqual(
      r.statements.map((s) => s.line),
      [1, 2, 3, 4, 5, 6, 7],
    );
  });

  it('warns that -m is obsolete on get and delete', () => {
    const r = parseSetkey('get 10.0.0.1 10.0.0.2 esp 0x1000 -m tunnel;');
    assert.equal(r.statements.length, 1);
    assert.deepEqual(
      r.warnings.map((w) => w.message),
      ["line 1: WARNING: mode is obsolete near 'get'"],
    );
  });

  it('resolves host names only through the injected resolver', () => {
    const resolveHost = (name: string): Uint8Array[] => (name === 'gw.example' ? [Uint8Array.of(192, 0, 2, 9)] : []);
    const r = parseSetkey('deleteall gw.example 10.0.0.2 esp;', { resolveHost });
    assert.equal(formatAddr((r.statements[0] as A.DeleteAllStatement).src.addr), '192.0.2.9');
    const n = parseSetkey('deleteall gw.example 10.0.0.2 esp;');
    assert.match(n.errors[0]!.message, /^line 1: cannot resolve host name: give a numeric address near 'gw.example'$/);
    const multi = parseSetkey('deleteall h 10.0.0.2 esp;', {
      resolveHost: () => [Uint8Array.of(1, 1, 1, 1), Uint8Array.of(2, 2, 2, 2)],
    });
    assert.match(multi.errors[0]!.message, /multiple address specified/);
    const failing = parseSetkey('deleteall gw.example 10.0.0.2 esp;', {
      resolveHost: () => {
        throw new Error('ENOTFOUND');
      },
    });
    assert.equal(failing.errors[0]!.message, "line 1: cannot resolve host name: ENOTFOUND near 'gw.example'");
    const numericOnly = parseSetkey('deleteall -n gw.example 10.0.0.2 esp;', { resolveHost });
    assert.match(numericOnly.errors[0]!.message, /not a numeric address/);
  });

  it('FreeBSD extensions: -natt oai[sport] oar[dport], -natt_mtu, -esn, -hwif', () => {
    const s = one<A.SaStatement>(
      `add 198.51.100.1 203.0.113.9 esp 0x3000 -m tunnel -r 64 -esn -natt 10.0.0.1[4500] 10.0.0.2[4501] -natt_mtu 1400 -E aes-gcm-16 ${K20};`,
    );
    assert.equal(s.ext.esn, true);
    assert.deepEqual(
      [formatAddr(s.ext.natt!.oai.addr), s.ext.natt!.oai.port, formatAddr(s.ext.natt!.oar.addr), s.ext.natt!.oar.port],
      ['10.0.0.1', 4500, '10.0.0.2', 4501],
    );
    assert.equal(s.ext.nattFragLen, 1400);
    const h = parseSetkey('add 10.0.0.1 10.0.0.2 esp 0x3000 -hwif ixl0 -E null;', { check: false })
      .statements[0] as A.SaStatement;
    assert.equal(h.ext.hwif, 'ixl0');
    assert.match(
      parseSetkey('add 10.0.0.1 10.0.0.2 esp 0x3000 -natt 10.0.0.1 10.0.0.2 -E null;').errors[0]!.message,
      /-natt needs oai\[port\] oar\[port\]/,
    );
    assert.match(
      parseSetkey('add 10.0.0.1 10.0.0.2 esp 0x3000 -esn -E null;').warnings[0]!.message,
      /-esn without a replay window/,
    );
  });

  it('stops at exit / quit / bye', () => {
    const r = parseSetkey('flush;\nquit;\nthis is not parsed;');
    assert.deepEqual(
      r.statements.map((s) => s.kind),
      ['flush', 'exit'],
    );
    assert.deepEqual(r.errors, []);
  });
});

describe('setkey/parser: SPD statements', () => {
  it('spdadd: prefixes, [any], a tunnel request', () => {
    const s = one<A.SpdStatement>(
      'spdadd 10.0.0.0/24[any] 10.0.1.0/24[any] any -P out ipsec esp/tunnel/192.0.2.1-192.0.2.2/require;',
    );
    assert.equal(s.kind, 'spdadd');
    assert.deepEqual([s.src.prefixLen, s.src.prefixGiven, s.src.port, s.src.portGiven], [24, true, 0, true]);
    assert.equal(s.upper.proto, 255);
    assert.equal(s.policy.dir, 'out');
    assert.equal(s.policy.action, 'ipsec');
    assert.equal(s.policy.priority, undefined);
    const r = s.policy.requests[0]!;
    assert.deepEqual([r.proto, r.mode, r.level, r.reqid], ['esp', 'tunnel', 'require', 0]);
    assert.equal(formatAddr(r.src!.addr), '192.0.2.1');
    assert.equal(formatAddr(r.dst!.addr), '192.0.2.2');
  });

  it('spdadd -6: ICMPv6 type,code go in the selector ports (fix_portstr)', () => {
    const s = one<A.SpdStatement>('spdadd -6 ::/0 ::/0 icmp6 135,0 -P in none;');
    assert.deepEqual([s.upper.proto, s.src.port, s.dst.port, s.src.prefixLen], [58, 135, 0, 0]);
    assert.equal(s.policy.action, 'none');
    const t = one<A.SpdStatement>('spdadd 10.0.0.1 10.0.0.2 icmp 8 -P out discard;');
    assert.deepEqual([t.upper.proto, t.src.port, t.dst.port], [1, 8, 0]);
  });

  it('spdadd: ports, a service name, and a transport bundle', () => {
    const s = one<A.SpdStatement>(
      'spdadd 10.0.0.1[80] 10.0.0.2[ssh] tcp -P out ipsec esp/transport//use ah/transport//require;',
    );
    assert.deepEqual([s.src.port, s.dst.port, s.src.prefixLen, s.upper.proto], [80, 22, 32, 6]);
    assert.deepEqual(
      s.policy.requests.map((r) => `${r.proto}/${r.mode}/${r.level}`),
      ['esp/transport/use', 'ah/transport/require'],
    );
    assert.equal(s.policy.requests[0]!.src, undefined);
  });

  it('spdadd: GRE keys split into 16-bit halves, dotted or numeric', () => {
    const s = one<A.SpdStatement>('spdadd 10.0.0.1 10.0.0.2 gre 1.2.3.4 -P out discard;');
    assert.deepEqual([s.upper.proto, s.src.port, s.dst.port], [47, 258, 772]);
    const t = one<A.SpdStatement>('spdadd 10.0.0.1 10.0.0.2 gre 65537 -P out discard;');
    assert.deepEqual([t.src.port, t.dst.port], [1, 1]);
  });

  it('upper-layer protocols by name, number, any, and ipsec-tools extras', () => {
    const cases: [string, number][] = [
      ['udp', 17],
      ['tcp', 6],
      ['any', 255],
      ['50', 50],
      ['icmp6', 58],
      ['ip4', 4],
      ['ipv6-icmp', 58],
      ['sctp', 132],
    ];
    for (const [name, num] of cases) {
      const s = one<A.SpdStatement>(`spdadd 10.0.0.1 10.0.0.2 ${name} -P out none;`);
      assert.equal(s.upper.proto, num, name);
    }
  });

  it('spdupdate with priorities (Linux ipsec-tools): prio N, prio -N, base ± N', () => {
    const pr = (p: string): number | undefined =>
      one<A.SpdStatement>(`spdupdate 10.0.0.0/8 10.0.0.0/8 udp -P in ${p} ipsec esp/transport//unique:42;`).policy
        .priority;
    assert.equal(pr('prio 5'), 0x80000000 - 5);
    assert.equal(pr('priority -5'), 0x80000000 + 5);
    assert.equal(pr('prio def'), 0x80000000);
    assert.equal(pr('prio high'), 0x40000000);
    assert.equal(pr('prio low - 10'), 0xc0000000 + 10);
    assert.equal(pr('priority high + 1073741824'), 0);
    const s = one<A.SpdStatement>('spdupdate 10.0.0.0/8 10.0.0.0/8 udp -P in ipsec esp/transport//unique:42;');
    assert.deepEqual([s.kind, s.policy.requests[0]!.level, s.policy.requests[0]!.reqid], ['spdupdate', 'unique', 42]);
  });

  it('spddelete with a direction-only policy', () => {
    const s = one<A.SpdStatement>('spddelete 10.0.0.0/8 10.0.0.0/8 any -P out;');
    assert.equal(s.kind, 'spddelete');
    assert.equal(s.policy.dir, 'out');
    assert.equal(s.policy.action, undefined);
  });

  it('spdadd tagged (NetBSD/pf)', () => {
    const s = one<A.SpdTaggedStatement>('spdadd tagged "vpn0" -P out ipsec esp/transport//require;');
    assert.deepEqual([s.kind, s.tag, s.policy.action], ['spdadd-tagged', 'vpn0', 'ipsec']);
  });

  it('a policy spanning lines, with comments that contain ;', () => {
    const r = parseSetkey(
      [
        'spdadd 10.0.0.0/24 10.0.1.0/24 any   # the selector',
        '   -P out ipsec            # a comment; with a semicolon',
        '   esp/tunnel/1.1.1.1-2.2.2.2/require',
        '   ;',
        'spdflush;',
      ].join('\n'),
    );
    assert.deepEqual(r.errors, []);
    assert.deepEqual(
      r.statements.map((s) => [s.kind, s.line, s.endLine]),
      [
        ['spdadd', 1, 4],
        ['spdflush', 5, 5],
      ],
    );
    assert.equal((r.statements[0] as A.SpdStatement).policy.requests.length, 1);
  });

  it('policy request shapes: proto/mode, proto/mode/, addrs with ports, me-any, any-me, default level', () => {
    const reqs = (p: string) => one<A.SpdStatement>(`spdadd 10.0.0.1 10.0.0.2 any -P ${p};`).policy.requests;
    assert.equal(reqs('out ipsec esp/transport')[0]!.level, 'default');
    assert.equal(reqs('out ipsec esp/transport/ ah/transport//use').length, 2);
    const p = reqs('out ipsec esp/tunnel/10.0.0.1[4500]-10.0.0.2[4500]/require')[0]!;
    assert.deepEqual([p.src!.port, p.dst!.port], [4500, 4500]);
    assert.equal(reqs('out ipsec esp/transport/me-any/require')[0]!.src, undefined);
    assert.equal(reqs('in ipsec esp/transport/any-me')[0]!.level, 'default');
    assert.equal(reqs('out ipsec ipcomp/tunnel/2001:db8::1-2001:db8::2/use')[0]!.dst!.family, 6);
    assert.equal(reqs('fwd ipsec esp/tunnel/10.0.0.1-10.0.0.2/unique')[0]!.reqid, 0);
  });
});
