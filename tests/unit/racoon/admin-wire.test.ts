// racoon's admin protocol codecs (racoon/admin-wire.ts): the C structures' layout checked against gcc on this
// machine (a C program declaring them as ipsec-tools admin.h, evt.h and handler.h describe them, filling them
// and printing the bytes), round trips, and a fixed-seed fuzz of every decoder.
import { strict as assert } from 'node:assert';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as W from '../../../racoon/admin-wire.js';
import { AdminEvents, MAX_QUEUED_BYTES, modeCfgAttrs } from '../../../racoon/admin-events.js';
import { formatEvent, formatIsakmp, formatModeCfg, modeCfgAddress } from '../../../racoon/racoonctl-print.js';
import { buildRequest, UsageError } from '../../../racoon/racoonctl-args.js';
import { prng } from '../../support/prng.js';

// The structures as the C headers describe them (field order and types), and values to fill them with.
const C_PROGRAM = `
#include <stdio.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <time.h>
#include <sys/socket.h>
#include <netinet/in.h>
#include <arpa/inet.h>
struct admin_com { uint16_t ac_len; uint16_t ac_cmd; int16_t ac_errno; uint16_t ac_proto; };
struct admin_com_indexes { uint8_t prefs, prefd, ul_proto, reserved; struct sockaddr_storage src, dst; };
struct admin_com_psk { int id_type; size_t id_len; size_t key_len; };
struct ph1dump { unsigned char ick[8], rck[8]; int status; int side; struct sockaddr_storage remote, local;
  uint8_t version; uint8_t etype; time_t created; int ph2cnt; };
struct evt_async { uint32_t ec_type; time_t ec_timestamp; struct sockaddr_storage ec_ph1src, ec_ph1dst;
  uint32_t ec_ph2msgid; };
static void hex(const void *p, size_t n) { const unsigned char *b = p; for (size_t i = 0; i < n; i++) printf("%02x", b[i]); printf("\\n"); }
int main(void) {
  printf("%zu %zu %zu %zu %zu\\n", sizeof(struct admin_com), sizeof(struct admin_com_indexes),
    sizeof(struct admin_com_psk), sizeof(struct ph1dump), sizeof(struct evt_async));
  struct ph1dump d; memset(&d, 0, sizeof d);
  for (int i = 0; i < 8; i++) { d.ick[i] = i + 1; d.rck[i] = 0xa0 + i; }
  d.status = 9; d.side = 1; d.version = 0x10; d.etype = 2; d.created = 1700000000; d.ph2cnt = 3;
  struct sockaddr_in *r = (struct sockaddr_in *)&d.remote, *l = (struct sockaddr_in *)&d.local;
  r->sin_family = AF_INET; r->sin_port = htons(4500); inet_pton(AF_INET, "192.0.2.2", &r->sin_addr);
  l->sin_family = AF_INET; l->sin_port = htons(500); inet_pton(AF_INET, "192.0.2.1", &l->sin_addr);
  hex(&d, sizeof d);
  struct evt_async e; memset(&e, 0, sizeof e);
  e.ec_type = 0x101; e.ec_timestamp = 1700000001; e.ec_ph2msgid = 0xdeadbeef;
  struct sockaddr_in6 *s6 = (struct sockaddr_in6 *)&e.ec_ph1src;
  s6->sin6_family = AF_INET6; s6->sin6_port = htons(500); inet_pton(AF_INET6, "2001:db8::1", &s6->sin6_addr);
  hex(&e, sizeof e);
  struct admin_com h = { 272, 0x8202, 1, 0x01ff };
  hex(&h, sizeof h);
  return 0;
}
`;

describe('racoon admin protocol codecs (admin-wire.ts)', () => {
  it('lays the structures out as gcc does on this machine', function () {
    if (spawnSync('gcc', ['--version']).status !== 0) this.skip(); // gcc not installed
    const dir = mkdtempSync(join(tmpdir(), 'uipsec-adminabi-'));
    try {
      writeFileSync(join(dir, 'abi.c'), C_PROGRAM);
      const cc = spawnSync('gcc', ['-o', join(dir, 'abi'), join(dir, 'abi.c')], { encoding: 'utf8' });
      assert.equal(cc.status, 0, cc.stderr);
      const [sizes, ph1, evt, hdr] = spawnSync(join(dir, 'abi'), { encoding: 'utf8' }).stdout.trim().split('\n');
      assert.equal(sizes, `${W.ADMIN_COM_LEN} ${W.INDEXES_LEN} ${W.PSK_LEN} ${W.PH1DUMP_LEN} ${W.EVT_ASYNC_LEN}`);
      const [d] = W.decodePh1Dumps(Buffer.from(ph1!, 'hex'));
      assert.deepEqual(
        { ...d!, icookie: [...d!.icookie], rcookie: [...d!.rcookie] },
        {
          icookie: [1, 2, 3, 4, 5, 6, 7, 8],
          rcookie: [0xa0, 0xa1, 0xa2, 0xa3, 0xa4, 0xa5, 0xa6, 0xa7],
          status: 9,
          side: 1,
          remote: { addr: Uint8Array.of(192, 0, 2, 2), port: 4500 },
          local: { addr: Uint8Array.of(192, 0, 2, 1), port: 500 },
          version: 0x10,
          etype: 2,
          created: 1700000000,
          ph2cnt: 3,
        },
      );
      assert.equal(Buffer.from(W.encodePh1Dumps([d!])).toString('hex'), ph1, 'our encoding is the C bytes');
      const e = W.decodeEvent(Buffer.from(evt!, 'hex'));
      assert.equal(e.type, W.EVT_PHASE1_DOWN);
      assert.equal(e.timestamp, 1700000001);
      assert.equal(e.ph2msgid, 0xdeadbeef);
      assert.deepEqual(e.src, {
        addr: new Uint8Array(Buffer.from('20010db8000000000000000000000001', 'hex')),
        port: 500,
      });
      assert.equal(e.dst, undefined);
      const ours = W.encodeEventMessage({ type: e.type, timestamp: e.timestamp, src: e.src, ph2msgid: e.ph2msgid });
      assert.equal(Buffer.from(ours.subarray(W.ADMIN_COM_LEN)).toString('hex'), evt);
      const req = W.encodeRequest(W.ADMIN_ESTABLISH_SA, W.ADMIN_PROTO_ISAKMP, new Uint8Array(W.INDEXES_LEN));
      assert.equal(Buffer.from(req.subarray(0, 8)).toString('hex'), hdr, 'racoonctl make_request');
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('replies over 64 KiB carry the high length bits (ADMIN_FLAG_LONG_REPLY)', () => {
    const r = W.encodeReply(W.ADMIN_SHOW_SA | W.ADMIN_FLAG_VERSION, W.ADMIN_PROTO_ESP, 0, new Uint8Array(70000));
    const h = W.decodeHeader(r);
    assert.equal(h.len, 70008);
    assert.equal(h.cmd & ~W.ADMIN_FLAG_LONG_REPLY, W.ADMIN_SHOW_SA);
    assert.equal(h.errno, 0);
    const small = W.decodeHeader(W.encodeReply(W.ADMIN_DELETE_SA, W.ADMIN_PROTO_ISAKMP, 2));
    assert.deepEqual(small, { len: 8, cmd: W.ADMIN_DELETE_SA, errno: 2, proto: W.ADMIN_PROTO_ISAKMP });
    // A request's 0x8000 is the version flag, not a long length.
    const q = W.decodeHeader(W.encodeRequest(W.ADMIN_SHOW_EVT, 0), false);
    assert.deepEqual(q, { len: 8, cmd: W.ADMIN_SHOW_EVT | W.ADMIN_FLAG_VERSION, errno: 1, proto: 0 });
  });

  it('builds the requests racoonctl sends, and refuses bad ones with a usage error', () => {
    const es = buildRequest(['es', '-w', 'isakmp', 'inet', '10.0.0.1', '10.0.0.2[4500]']);
    assert.equal(es.cmd, W.ADMIN_ESTABLISH_SA);
    assert.equal(es.until, W.EVT_PHASE1_MODE_CFG);
    const ix = W.decodeIndexes(es.body!);
    assert.deepEqual([ix.prefs, ix.prefd, ix.dst!.port, ix.src!.port], [32, 32, 4500, 0]);
    const psk = buildRequest(['vc', '-u', 'alice', '10.0.0.2'], () => 'pw');
    assert.equal(psk.cmd, W.ADMIN_ESTABLISH_SA_PSK);
    const cred = W.decodePsk(psk.body!.subarray(W.INDEXES_LEN));
    assert.deepEqual([cred.login, Buffer.from(cred.password).toString()], ['alice', 'pw']);
    assert.equal(buildRequest(['lu', 'bob']).cmd, W.ADMIN_LOGOUT_USER);
    for (const bad of [
      ['ss'],
      ['ss', 'gre'],
      ['ds', 'isakmp', 'inet', '10.0.0.1'],
      ['es', 'isakmp', 'inet6', '1.2.3.4', '::1'],
      ['lu', 'x'.repeat(32)],
      ['vc'],
      ['frob'],
    ])
      assert.throws(() => buildRequest(bad), UsageError, bad.join(' '));
  });

  it("prints racoonctl's table, events and mode config lines", () => {
    const d: W.Ph1Dump = {
      icookie: Uint8Array.of(1, 2, 3, 4, 5, 6, 7, 8),
      rcookie: new Uint8Array(8),
      status: 9,
      side: 0,
      remote: { addr: Uint8Array.of(10, 0, 0, 2), port: 500 },
      local: { addr: Uint8Array.of(10, 0, 0, 1), port: 500 },
      version: 0x10,
      etype: 2,
      created: 0,
      ph2cnt: 2,
    };
    assert.equal(
      formatIsakmp([d], 1),
      'Destination            Cookies                           ST S  V E Created             Phase2\n' +
        '10.0.0.2.500           0102030405060708:0000000000000000  9 I 10 M                          2 \n',
    );
    const e = { type: W.EVT_PHASE1_UP, timestamp: 0, src: d.local, dst: d.remote, ph2msgid: 0 };
    assert.equal(formatEvent(e), 'Phase 1 established : 10.0.0.1[500] -> 10.0.0.2[500]\n');
    assert.equal(formatEvent({ ...e, type: 0x999, src: undefined }), 'Event 2457: anonymous -> 10.0.0.2[500]\n');
    const attrs = modeCfgAttrs(Uint8Array.of(10, 77, 0, 10));
    assert.equal(formatModeCfg({ ...e, attrs }), 'Bound to address 10.77.0.10\n');
    assert.equal(formatModeCfg(e), 'VPN connexion established\n');
  });

  it('drops a listener that does not read its events', () => {
    const events = new AdminEvents();
    let queued = 0,
      dropped = 0;
    events.subscribe({ write: (m) => (queued += m.length), drop: () => dropped++ });
    for (let i = 0; i < 100; i++) events.emit(W.EVT_PHASE1_UP);
    assert.equal(dropped, 1);
    assert.equal(events.size, 0);
    assert.ok(queued <= MAX_QUEUED_BYTES + W.ADMIN_COM_LEN + W.EVT_ASYNC_LEN);
  });

  it('fuzz: every decoder returns or throws AdminWireError on random and mutated bytes', () => {
    const rnd = prng(13013);
    const good = [
      W.encodePh1Dumps([]),
      W.encodeIndexes({ prefs: 32, prefd: 32, ulProto: 0 }),
      W.encodeEventMessage({ type: 1, timestamp: 1, ph2msgid: 0, attrs: modeCfgAttrs(Uint8Array.of(1, 2, 3, 4)) }),
      W.encodePsk('u', 'p'),
    ];
    for (let i = 0; i < 6000; i++) {
      const base = good[i % good.length]!;
      const b =
        i % 2 ? Uint8Array.from({ length: Math.floor(rnd() * 700) }, () => Math.floor(rnd() * 256)) : base.slice();
      if (i % 2 === 0)
        for (let k = 0; k < 4 && b.length; k++) b[Math.floor(rnd() * b.length)] = Math.floor(rnd() * 256);
      for (const f of [W.decodeHeader, W.decodeIndexes, W.decodePh1Dumps, W.decodeEvent, W.decodePsk, modeCfgAddress]) {
        try {
          f(b);
        } catch (e) {
          assert.ok(e instanceof W.AdminWireError, `${f.name}: ${(e as Error).message}`);
        }
      }
    }
  });
});
