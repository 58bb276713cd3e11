// setkey -x against a kernel (in-process keysock on a Host with a memwire interface): the monitor shows the
// traffic of a negotiation as a key manager would cause it: a packet that needs an SA raises ACQUIRE, a
// script adds the SAs (ADD, seen both as the request and the kernel's broadcast reply), and the SA's hard
// lifetime runs out (EXPIRE). Also the -xx time stamps, -H hex, and the kdebug text of an ACQUIRE.
import { strict as assert } from 'node:assert';
import { parseAddr } from '../../../common/inet.js';
import { MemWire } from '../../../kernel/link/memwire.js';
import * as C from '../../../pfkey/constants.js';
import { encodeMessage, makeSadbMsg } from '../../../pfkey/msg.js';
import { formatPromisc, promiscStamp } from '../../../setkey/main.js';
import { hexLines } from '../../../setkey/kdebug.js';
import { kernelWorld } from './kernel-world.js';

const tick = () => new Promise<void>((r) => setImmediate(r));

/** The sadb_msg type and satype of every message the monitor printed, in order. */
function typesSeen(out: string): [number, number][] {
  return [...out.matchAll(/^sadb_msg\{ version=2 type=(\d+) errno=\d+ satype=(\d+)$/gm)].map((m) => [
    Number(m[1]),
    Number(m[2]),
  ]);
}

describe('setkey -x: the promiscuous monitor', () => {
  it('shows ACQUIRE for traffic that needs an SA, the ADDs of a script, and the EXPIRE of an SA running out', async () => {
    const w = kernelWorld('monitor');
    const wire = new MemWire();
    w.host.addInterface('eth0', wire.attach('a', [parseAddr('10.0.0.1')!]), ['10.0.0.1/24']);
    await w.run(['-c'], { stdin: ['spdadd 10.0.0.1 10.0.0.2 any -P out ipsec esp/transport//require;'] });

    const ac = new AbortController();
    const chunks: string[] = [];
    const monitor = w.run(['-x'], {
      extra: {
        interrupt: () => ac.signal,
        out: (t) => {
          chunks.push(t);
        },
      },
    });
    await tick();
    const startAt = chunks.length;

    // 1. outbound traffic with no SA: the kernel asks the key managers for one
    w.host.sendEchoRequest(parseAddr('10.0.0.2')!, 1, 1, new Uint8Array(8));
    await tick();
    // 2. "the key manager" installs the SAs with setkey; the outbound one has a 2 s hard lifetime
    const add = await w.run(['-c'], {
      stdin: [
        'add 10.0.0.1 10.0.0.2 esp 0x1000 -m transport -lh 2 -ls 1 -E aes-cbc 0x000102030405060708090a0b0c0d0e0f;',
        'add 10.0.0.2 10.0.0.1 esp 0x1001 -m transport -E aes-cbc 0x0f0e0d0c0b0a09080706050403020100;',
      ],
    });
    assert.equal(add.code, 0);
    await tick();
    // 3. time passes: the hard lifetime ends
    w.clock.advance(3000);
    await tick();
    ac.abort();
    const r = await monitor;
    assert.equal(r.code, 0);

    const out = chunks.slice(startAt).join('');
    const seen = typesSeen(out);
    const ACQ = C.SADB_ACQUIRE,
      ADD = C.SADB_ADD,
      EXP = C.SADB_EXPIRE,
      ESP = C.SADB_SATYPE_ESP;
    // ACQUIRE first; each ADD three times: the request echoed to promiscuous sockets, then the broadcast
    // reply both wrapped and plain (KAME key_sendup_mbuf: "in promiscuous mode ... you'll get two PF_KEY
    // messages" for a broadcast reply); then the EXPIRE
    const adds = Array.from({ length: 6 }, () => [ADD, ESP] as [number, number]);
    assert.deepEqual(
      seen.filter(([t]) => t !== C.SADB_X_PROMISC),
      [[ACQ, ESP], ...adds, [EXP, ESP]],
    );
    // the ACQUIRE names the addresses the packet needs an SA between
    const acq = out.slice(out.indexOf(`type=${ACQ} `));
    assert.match(
      acq,
      /sadb_address\{ proto=\d+ prefixlen=32 reserved=0x0000 \}\nsockaddr\{ len=16 family=2 port=0\n 0a000001 {2}\}\n/,
    );
    assert.match(
      acq,
      /sadb_address\{ proto=\d+ prefixlen=32 reserved=0x0000 \}\nsockaddr\{ len=16 family=2 port=0\n 0a000002 {2}\}\n/,
    );
    // the EXPIRE is the hard one for SPI 0x1000 (4096): it carries LIFETIME_HARD with addtime 2
    const exp = out.slice(out.indexOf(`type=${EXP} `));
    assert.match(exp, /sadb_sa\{ spi=4096 /);
    assert.match(exp, /sadb_ext\{ len=4 type=3 \}\nsadb_lifetime\{ alloc=0, bytes=0\n {2}addtime=2, usetime=0 \}/);
    // every message starts with setkey's printdate line (-x: HH:MM:SS.usec of the injected clock)
    assert.match(out, /^13:01:09\.000000 \n/);
  });

  it('-x, -xx time stamps; -H hex; promiscuous wrappers are stripped before decoding', () => {
    assert.equal(promiscStamp(1_704_459_669_123, 1), '13:01:09.123000 \n');
    assert.equal(promiscStamp(1_704_459_669_123, 1, 3600), '14:01:09.123000 \n');
    assert.equal(promiscStamp(1_704_459_669_123, 2), '1704459669.123000 \n');
    const inner = encodeMessage({ msg: makeSadbMsg(C.SADB_FLUSH, C.SADB_SATYPE_UNSPEC, 7, 99), ext: {} });
    const wrapped = new Uint8Array(32);
    wrapped.set(encodeMessage({ msg: makeSadbMsg(C.SADB_X_PROMISC, 0), ext: {} }), 0);
    wrapped.set(inner, 16);
    new DataView(wrapped.buffer).setUint16(4, 4, true); // sadb_msg_len covers both (little-endian host)
    const text = formatPromisc(wrapped, 0, { promisc: 2, hex: true });
    assert.equal(
      text,
      '0.000000 \n' +
        '00000000: 02 0b 00 00 04 00 00 00 00 00 00 00 00 00 00 00 \n' +
        '00000010: 02 09 00 00 02 00 00 00 07 00 00 00 63 00 00 00 \n' +
        'sadb_msg{ version=2 type=9 errno=0 satype=0\n  len=2 reserved=0 seq=7 pid=99\n\n',
    );
    // a bare X_PROMISC header (the answer to our own request) prints only the stamp
    assert.equal(formatPromisc(wrapped.subarray(0, 16), 0, { promisc: 2, hex: false }), '0.000000 \n');
    assert.equal(hexLines(new Uint8Array([1, 2, 3])), '00000000: 01 02 03 \n');
  });
});
