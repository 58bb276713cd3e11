// Statements to PF_KEY messages (extension order as ipsec-tools
// parse.y setkeymsg_*), checked through pfkey's own encoder/decoder, and end to end back to setkey -D text.
import { strict as assert } from 'node:assert';
import { parseSetkey } from '../../../setkey/parser.js';
import { statementToMessages, saFlags } from '../../../setkey/to-pfkey.js';
import { formatMessageFile } from '../../../setkey/from-pfkey.js';
import { decodeMessage, encodeMessage, type PfkeyMessage } from '../../../pfkey/msg.js';
import * as C from '../../../pfkey/constants.js';
import type { SaStatement } from '../../../setkey/ast.js';
import { golden } from './fixtures.js';

/** Parses one statement, converts it, and round-trips every message through the pfkey codec. */
function wire(src: string, defaultPriority = false): PfkeyMessage[] {
  const r = parseSetkey(src);
  assert.deepEqual(
    r.errors.map((e) => e.message),
    [],
    src,
  );
  const t = statementToMessages(r.statements[0]!, { pid: 4242, defaultPriority });
  assert.ok(t.ok, src);
  return t.messages.map((m) => decodeMessage(encodeMessage(m)));
}

const K16 = '0x00112233445566778899aabbccddeeff';
const T0 = 1704459662;

describe('setkey/to-pfkey: statements to PF_KEY messages', () => {
  it('add: KEY_ENCRYPT, KEY_AUTH, LIFETIME_HARD/SOFT, SA, SA2, ADDRESS_SRC/DST in that order', () => {
    const [m] = wire(
      `add 10.0.0.1 10.0.0.2 esp 0x1000 -m tunnel -u 9 -r 4 -f zero-pad -lh 60 -ls 50 -bs 1000 -E aes-cbc ${K16} -A hmac-sha1 "12345678901234567890";`,
    );
    assert.deepEqual(m!.extOrder, [9, 8, 3, 4, 1, 19, 5, 6]);
    assert.deepEqual(
      [m!.msg.type, m!.msg.satype, m!.msg.seq, m!.msg.pid, m!.msg.version],
      [C.SADB_ADD, C.SADB_SATYPE_ESP, 0, 4242, 2],
    );
    assert.deepEqual(m!.ext.sa, {
      spi: 0x1000,
      replay: 4,
      state: 0,
      auth: C.SADB_AALG_SHA1HMAC,
      encrypt: C.SADB_X_EALG_AESCBC,
      flags: 0x40 | 0x200,
    });
    assert.deepEqual(m!.ext.sa2, { mode: C.IPSEC_MODE_TUNNEL, sequence: 0, reqid: 9 });
    assert.equal(m!.ext.keyEncrypt!.bits, 128);
    assert.equal(m!.ext.keyAuth!.bits, 160);
    assert.deepEqual(m!.ext.lifetimeHard, { allocations: 0, bytes: 0n, addtime: 60n, usetime: 0n });
    assert.deepEqual(m!.ext.lifetimeSoft, { allocations: 0, bytes: 1000n, addtime: 50n, usetime: 0n });
    assert.deepEqual([m!.ext.addressSrc!.proto, m!.ext.addressSrc!.prefixlen], [255, 32]);
  });

  it('add esp-udp: NAT_T_TYPE and OA after SA2, NAT-T ports (default 4500) after the addresses', () => {
    const [m] = wire('add 10.0.0.1[4501] 10.0.0.2 esp-udp 192.168.1.1 0x2000 -E null -A null;');
    assert.deepEqual(m!.extOrder, [9, 1, 19, 20, 23, 5, 6, 21, 22]);
    assert.deepEqual(
      [m!.ext.natTType!.type, m!.ext.natTSport!.port, m!.ext.natTDport!.port],
      [C.UDP_ENCAP_ESPINUDP, 4501, 4500],
    );
    assert.equal(m!.ext.keyEncrypt!.bits, 0); // -E null still sends a 0-bit key, -A null none
    assert.equal(m!.ext.keyAuth, undefined);
    assert.equal(m!.ext.sa!.auth, C.SADB_X_AALG_NULL);
  });

  it('add with FreeBSD -natt/-natt_mtu/-esn: OAI, OAR, FRAG and the ESN flag', () => {
    const [m] = wire(
      'add 198.51.100.1 203.0.113.9 esp 0x3000 -r 64 -esn -natt 10.0.0.1[4500] 10.0.0.2[4501] -natt_mtu 1400 -E null;',
    );
    assert.deepEqual(m!.extOrder, [9, 1, 19, 20, 23, 24, 25, 5, 6, 21, 22]);
    assert.equal(m!.ext.sa!.flags, C.SADB_X_EXT_CYCSEQ | C.SADB_X_SAFLAGS_ESN);
    assert.deepEqual([m!.ext.natTSport!.port, m!.ext.natTDport!.port, m!.ext.natTFrag!.fraglen], [4500, 4501, 1400]);
    assert.deepEqual(
      [m!.ext.natTOai!.addr.addr.join('.'), m!.ext.natTOar!.addr.addr.join('.')],
      ['10.0.0.1', '10.0.0.2'],
    );
    const hw = parseSetkey('add 10.0.0.1 10.0.0.2 esp 0x3000 -hwif ixl0 -E null;');
    assert.deepEqual(statementToMessages(hw.statements[0]!, { pid: 1 }), {
      ok: false,
      reason: 'hardware offload (-hwif) is not supported',
    });
  });

  it('add ipcomp: the compression id in sadb_sa_encrypt, RAWCPI, no key extensions', () => {
    const [m] = wire('add 10.0.0.1 10.0.0.2 ipcomp 0x100 -f nocyclic-seq -C deflate -R;');
    assert.deepEqual(m!.extOrder, [1, 19, 5, 6]);
    assert.deepEqual(
      [m!.msg.satype, m!.ext.sa!.encrypt, m!.ext.sa!.flags],
      [C.SADB_X_SATYPE_IPCOMP, C.SADB_X_CALG_DEFLATE, C.SADB_X_EXT_RAWCPI],
    );
  });

  it('a replay window beyond 255 bytes also goes in SADB_X_EXT_SA_REPLAY, in packets (FreeBSD)', () => {
    const [m] = wire('add 10.0.0.1 10.0.0.2 esp 0x1000 -r 1024 -E null;');
    assert.deepEqual([m!.ext.sa!.replay, m!.ext.saReplay!.replay], [255, 8192]);
  });

  it('get / delete carry SA and SA2; deleteall carries only the addresses (BSD)', () => {
    const [g] = wire('get 10.0.0.1 10.0.0.2 ah 4096;');
    assert.deepEqual([g!.msg.type, g!.extOrder], [C.SADB_GET, [1, 19, 5, 6]]);
    const [d] = wire('deleteall -6 2001:db8::1 2001:db8::2 esp;');
    assert.deepEqual([d!.msg.type, d!.msg.satype, d!.extOrder], [C.SADB_DELETE, C.SADB_SATYPE_ESP, [5, 6]]);
    assert.equal(d!.ext.addressSrc!.prefixlen, 128);
  });

  it('flush/dump carry the satype; spdflush/spddump are bare', () => {
    assert.deepEqual(
      wire('flush ah;').map((m) => [m.msg.type, m.msg.satype, m.extOrder]),
      [[C.SADB_FLUSH, 2, []]],
    );
    assert.deepEqual(
      wire('dump;').map((m) => [m.msg.type, m.msg.satype]),
      [[C.SADB_DUMP, 0]],
    );
    assert.deepEqual(
      wire('spddump;').map((m) => m.msg.type),
      [C.SADB_X_SPDDUMP],
    );
  });

  it('spdadd: X_POLICY then addresses with the upper-layer protocol, prefix and port', () => {
    const [m] = wire(
      'spdadd 10.0.0.0/24[80] 10.0.1.0/24 tcp -P out ipsec esp/tunnel/192.0.2.1-192.0.2.2/unique:7 ah/transport//use;',
    );
    assert.deepEqual([m!.msg.type, m!.msg.satype, m!.extOrder], [C.SADB_X_SPDADD, 0, [18, 5, 6]]);
    assert.deepEqual(
      [m!.ext.addressSrc!.proto, m!.ext.addressSrc!.prefixlen, m!.ext.addressSrc!.addr.port],
      [6, 24, 80],
    );
    const p = m!.ext.policy!;
    assert.deepEqual([p.type, p.dir, p.priority], [C.IPSEC_POLICY_IPSEC, C.IPSEC_DIR_OUTBOUND, 0]);
    assert.deepEqual(
      p.requests.map((r) => [r.proto, r.mode, r.level, r.reqid, r.src?.addr.join('.')]),
      [
        [C.IPPROTO_ESP, C.IPSEC_MODE_TUNNEL, C.IPSEC_LEVEL_UNIQUE, 7, '192.0.2.1'],
        [C.IPPROTO_AH, C.IPSEC_MODE_TRANSPORT, C.IPSEC_LEVEL_USE, 0, undefined],
      ],
    );
  });

  it('policy priorities: explicit values, and PRIORITY_DEFAULT when the Linux default is asked for', () => {
    assert.equal(
      wire('spdadd 10.0.0.1 10.0.0.2 any -P in prio high + 5 none;')[0]!.ext.policy!.priority,
      0x40000000 - 5,
    );
    assert.equal(wire('spdadd 10.0.0.1 10.0.0.2 any -P in none;', true)[0]!.ext.policy!.priority, 0x80000000);
    assert.equal(wire('spddelete 10.0.0.1 10.0.0.2 any -P in;', true)[0]!.ext.policy!.priority, 0);
  });

  it('Linux -r mode: an in policy also goes out as fwd with its first unique request lowered to require', () => {
    const r = parseSetkey(
      'spdadd 10.1.0.0/16 10.2.0.0/16 any -P in ipsec esp/tunnel/192.0.2.1-192.0.2.2/unique:5 ah/transport//unique:6;',
    );
    const t = statementToMessages(r.statements[0]!, { pid: 1, fwdCopies: true });
    assert.ok(t.ok);
    assert.deepEqual(
      t.messages.map((m) => m.ext.policy!.dir),
      [C.IPSEC_DIR_INBOUND, 3],
    );
    assert.deepEqual(
      t.messages[1]!.ext.policy!.requests.map((q) => [q.level, q.reqid]),
      [
        [C.IPSEC_LEVEL_REQUIRE, 0],
        [C.IPSEC_LEVEL_UNIQUE, 6],
      ],
    );
    assert.deepEqual(
      t.messages[0]!.ext.policy!.requests.map((q) => [q.level, q.reqid]),
      [
        [C.IPSEC_LEVEL_UNIQUE, 5],
        [C.IPSEC_LEVEL_UNIQUE, 6],
      ],
    );
    const out = parseSetkey('spdadd 10.1.0.0/16 10.2.0.0/16 any -P out none;');
    assert.equal(
      (statementToMessages(out.statements[0]!, { pid: 1, fwdCopies: true }) as { messages: unknown[] }).messages.length,
      1,
    );
  });

  it('saFlags follows parse.y p_ext (CYCSEQ by default)', () => {
    const st = parseSetkey('add 10.0.0.1 10.0.0.2 esp 0x1000 -f random-pad -E null;').statements[0] as SaStatement;
    assert.equal(saFlags(st), C.SADB_X_EXT_CYCSEQ | C.SADB_X_EXT_PRAND);
  });

  it('refuses what pfkey cannot carry', () => {
    const r = parseSetkey('spdadd tagged "x" -P out none;');
    const t = statementToMessages(r.statements[0]!, { pid: 1 });
    assert.equal(t.ok, false);
    assert.deepEqual(statementToMessages(parseSetkey('exit;').statements[0]!, { pid: 1 }), { ok: true, messages: [] });
  });

  it("end to end: script -> SADB_ADD -> the kernel's dump reply -> setkey -D text", () => {
    const [add] = wire(
      'add 10.0.0.1 10.0.0.2 esp 0x1000 -m transport -E aes-cbc "1234567890123456" -A hmac-sha1 "12345678901234567890";',
    );
    // What a kernel answers to SADB_DUMP for it: mature, created at T0, flags as Linux reports them.
    const reply: PfkeyMessage = {
      msg: { ...add!.msg, type: C.SADB_DUMP, seq: 1 },
      ext: {
        ...add!.ext,
        sa: { ...add!.ext.sa!, state: C.SADB_SASTATE_MATURE, flags: 0 },
        lifetimeCurrent: { allocations: 0, bytes: 0n, addtime: BigInt(T0), usetime: 0n },
      },
    };
    assert.equal(formatMessageFile(encodeMessage(reply), { nowSec: T0 + 7 }), golden('sa-esp-transport.txt'));
    const [sp] = wire('spdadd 10.0.0.1 10.0.0.2 any -P out ipsec esp/transport//require;');
    const spReply: PfkeyMessage = {
      msg: { ...sp!.msg, type: C.SADB_X_SPDDUMP, reserved: 1 },
      ext: {
        ...sp!.ext,
        policy: { ...sp!.ext.policy!, id: 1 },
        lifetimeCurrent: { allocations: 0, bytes: 0n, addtime: BigInt(T0), usetime: 0n },
        lifetimeHard: { allocations: 0, bytes: 0n, addtime: 0n, usetime: 0n },
      },
    };
    assert.equal(formatMessageFile(encodeMessage(spReply), { nowSec: T0 + 7 }), golden('spd-transport.txt'));
  });
});
