// setkey against a real kernel (a Host's keysock over the in-process PF_KEY transport): the sample
// configurations load and dump in ipsec-tools' format, kernel errors are reported with file:line and the run
// goes on, -F/-FP, -v decoding, the -l loop, -p, and the "no uipsecd" message.
import { strict as assert } from 'node:assert';
import { kernelWorld } from './kernel-world.js';
import { fixtureText, golden } from './fixtures.js';
import { readSad, readSpd } from './dump-reader.js';
import { runSetkey } from '../../../setkey/main.js';

const SAMPLES: [string, number, number][] = [
  // file, SAs and policies it leaves in the kernel
  ['host-transport.conf', 4, 2],
  ['gateway-tunnel.conf', 2, 4],
  ['ipv6-natt.conf', 2, 4],
  ['bsd-regress.conf', 8, 8],
];

describe('setkey with a kernel (in-process keysock on a Host)', () => {
  for (const [name, nSa, nSp] of SAMPLES) {
    it(`${name} loads with -f; -D and -DP print every entry in ipsec-tools' format`, async () => {
      const w = kernelWorld();
      const r = await w.run(['-f', name], { files: { [name]: fixtureText(name) } });
      assert.equal(r.err, '');
      assert.equal(r.code, 0);
      assert.equal(w.host.sad.size, nSa);
      assert.equal(w.host.spd.size, nSp);
      const d = await w.run(['-D']);
      assert.equal(d.code, 0);
      assert.equal(readSad(d.out).length, nSa); // the reader throws on any line out of format
      const p = await w.run(['-DP']);
      assert.equal(readSpd(p.out).length, nSp);
    });
  }

  it('host-transport.conf: -D and -DP equal the hand-written golden text', async () => {
    const w = kernelWorld();
    await w.run(['-f', 'h.conf'], { files: { 'h.conf': fixtureText('host-transport.conf') } });
    assert.equal((await w.run(['-D'])).out, golden('host-transport-sad.txt'));
    assert.equal((await w.run(['-DP'])).out, golden('host-transport-spd.txt'));
  });

  it('bsd-regress.conf: get prints the SA, delete/deleteall remove theirs, ICMP and IPv6 selectors print as setkey does', async () => {
    const w = kernelWorld();
    const r = await w.run(['-f', 'b.conf'], { files: { 'b.conf': fixtureText('bsd-regress.conf') } });
    const got = readSad(r.out);
    assert.deepEqual(
      got.map((s) => [s.src, s.dst, s.spi, s.enc]),
      [['10.0.0.1', '10.0.0.2', 10000, { alg: 'aes-cbc', key: Buffer.from('0123456789012345').toString('hex') }]],
    );
    assert.equal(got[0]!.sadbSeq, 0, 'a get shows sadb_seq=0, as for the seq-0 request ipsec-tools sends');
    const sad = readSad((await w.run(['-D'])).out);
    assert.ok(!sad.some((s) => s.src === '10.0.0.9'), 'delete and deleteall removed the 10.0.0.9 SAs');
    const comp = sad.find((s) => s.satype === 'ipcomp')!;
    assert.deepEqual([comp.comp, comp.spi, comp.mode], ['deflate', 10006, 'any']);
    const life = sad.find((s) => s.spi === 10007)!;
    assert.deepEqual([life.hardAdd, life.softAdd, life.hardBytes, life.softBytes], [2, 1, 10000, 5000]);
    const text = (await w.run(['-DP'])).out;
    assert.match(text, /^10\.0\.0\.1 10\.0\.0\.5 icmp 8,0\n\tout ipsec\n\tipcomp\/transport\/\/use\n/m);
    assert.match(
      text,
      /^fd00:1::\/64\[any\] fd00:2::\/64\[any\] 255\n\tout ipsec\n\tesp\/tunnel\/fd00::1-fd00::2\/require\n/m,
    );
    assert.match(text, /^10\.0\.0\.1\[22\] 10\.0\.0\.0\/8\[any\] tcp\n\tout none\n/m);
    // spdupdate replaced the first policy with a two-request bundle
    assert.match(
      text,
      /^10\.0\.0\.1\[any\] 10\.0\.0\.2\[any\] 255\n\tout ipsec\n\tesp\/transport\/\/require\n\tah\/transport\/\/require\n/m,
    );
  });

  it('ports with upper layer any and unique:28000 (ipsec-tools sample-policy02.cf) load; the kernel replaces the reqid', async () => {
    const w = kernelWorld();
    const conf =
      'spdadd 10.0.0.1[500] 10.0.0.2 any -P out none;\n' +
      'spdadd ::1 ::1[9995] tcp -P out ipsec esp/transport//unique:28000;\n';
    const r = await w.run(['-f', 'p.conf'], { files: { 'p.conf': conf } });
    assert.equal(r.code, 0);
    assert.match(
      r.err,
      /p\.conf:2: reqid 28000 is above 16383 \(IPSEC_MANUAL_REQID_MAX\): the kernel assigns one of its own/,
    );
    assert.equal(w.host.spd.size, 2);
    const text = (await w.run(['-DP'])).out;
    assert.match(text, /^10\.0\.0\.1\[500\] 10\.0\.0\.2\[any\] 255\n\tout none\n/m);
    // a kernel reqid is printed with '#' (ipsec_dump_policy: above IPSEC_MANUAL_REQID_MAX)
    const m = /^\tesp\/transport\/\/unique#(\d+)$/m.exec(text);
    assert.ok(m, text);
    assert.notEqual(Number(m[1]), 28000);
    assert.ok(Number(m[1]) > 16383);
  });

  it('kernel errors print file:line and the statement, the run goes on, exit status 1', async () => {
    const w = kernelWorld();
    const script = [
      'add 10.0.0.1 10.0.0.2 esp 0x1000 -E null -A hmac-sha1 0x0001020304050607080910111213141516171819;',
      'add 10.0.0.1 10.0.0.2 esp 0x1000 -E null -A hmac-sha1 0x0001020304050607080910111213141516171819;',
      'delete 10.0.0.1 10.0.0.2 esp 0x2000;',
      'spdadd 10.0.0.1 10.0.0.2 any -P out none;',
      'spdadd 10.0.0.1 10.0.0.2 any -P out none;',
      'spddelete 10.9.9.9 10.0.0.2 any -P out;',
      // FreeBSD key_update: keys may not change on a MATURE SA (EINVAL)
      'update 10.0.0.1 10.0.0.2 esp 0x1000 -E null -A hmac-sha1 0x1111111111111111111111111111111111111111;',
      'add 10.0.0.2 10.0.0.1 esp 0x1001 -E null -A hmac-sha1 0x0001020304050607080910111213141516171819;',
    ].join('\n');
    const r = await w.run(['-f', 'e.conf'], { files: { 'e.conf': script } });
    assert.equal(r.code, 1);
    assert.equal(
      r.err,
      [
        'e.conf:2: add: File exists.',
        'e.conf:3: delete: No entry.',
        'e.conf:5: spdadd: File exists.',
        'e.conf:6: spddelete: No entry.',
        'e.conf:7: update: Invalid argument.',
      ].join('\n') + '\n',
    );
    assert.equal(w.host.sad.size, 2, 'the last add went through after the errors');
    const c = await w.run(['-c'], { stdin: ['spdadd 10.0.0.1 10.0.0.2 any', '  -P out none;'] });
    assert.deepEqual([c.code, c.err], [1, 'line 1: spdadd: File exists.\n']);
  });

  it('-c answers each statement as soon as the kernel does, before the next line is read (interactive use)', async () => {
    const w = kernelWorld();
    const out: string[] = [];
    let seenBeforeNextLine = '';
    async function* typed() {
      yield 'add 10.0.0.1 10.0.0.2 esp 0x1000 -E null -A hmac-md5 0x000102030405060708090a0b0c0d0e0f;';
      yield 'get 10.0.0.1 10.0.0.2 esp 0x1000;';
      for (let i = 0; i < 5; i++) await new Promise((r) => setImmediate(r)); // the user thinks
      seenBeforeNextLine = out.join('');
      yield 'delete 10.0.0.1 10.0.0.2 esp 0x1000;';
    }
    const r = await w.run(['-c'], {
      extra: {
        stdinLines: typed,
        out: (t) => {
          out.push(t);
        },
      },
    });
    assert.equal(r.code, 0);
    assert.match(seenBeforeNextLine, /^10\.0\.0\.1 10\.0\.0\.2 \n\tesp mode=any spi=4096\(0x00001000\)/);
    assert.equal(w.host.sad.size, 0);
  });

  it('-F and -FP flush silently; -D/-DP of empty tables say so; -p prints ports', async () => {
    const w = kernelWorld();
    await w.run(['-f', 'n.conf'], { files: { 'n.conf': fixtureText('ipv6-natt.conf') } });
    const withPorts = await w.run(['-Dp']);
    assert.match(withPorts.out, /^2001:db8::1\[0\] 2001:db8::2\[0\] \n/m);
    const spdp = await w.run(['-DPp']);
    assert.match(spdp.out, /\tesp\/tunnel\/192\.168\.1\.10\[4500\]-198\.51\.100\.1\[4500\]\/unique:7\n/);
    assert.deepEqual(await w.run(['-F']), { code: 0, out: '', err: '' });
    assert.deepEqual(await w.run(['-PF']), { code: 0, out: '', err: '' });
    assert.equal(w.host.sad.size + w.host.spd.size, 0);
    assert.equal((await w.run(['-D'])).out, 'No SAD entries.\n');
    assert.equal((await w.run(['-DP'])).out, 'No SPD entries.\n');
    assert.deepEqual(JSON.parse((await w.run(['-D', '--json'])).out), []);
  });

  it('-v decodes the request and the reply in key_debug.c form', async () => {
    const w = kernelWorld();
    const r = await w.run(['-v', '-c'], {
      stdin: ['add 10.0.0.1 10.0.0.2 ah 0x1000 -A hmac-md5 0x000102030405060708090a0b0c0d0e0f;'],
    });
    assert.equal(r.code, 0);
    const msgs = r.out.split('\n\n').filter((s) => s);
    assert.equal(msgs.length, 2, 'one message sent, one received');
    // The request: SADB_ADD (3), satype AH (2), key 128 bits, then the SA (spi 4096) and the addresses
    assert.match(msgs[0]!, /^sadb_msg\{ version=2 type=3 errno=0 satype=2\n {2}len=\d+ reserved=0 seq=\d+ pid=4242\n/);
    assert.match(msgs[0]!, /\nsadb_key\{ bits=128 reserved=0\n {2}key= 00010203 04050607 08090a0b 0c0d0e0f \}\n/);
    assert.match(msgs[0]!, /\nsadb_sa\{ spi=4096 replay=0 state=0\n {2}auth=2 encrypt=0 flags=0x00000040 \}\n/);
    assert.match(
      msgs[0]!,
      /\nsadb_address\{ proto=255 prefixlen=32 reserved=0x0000 \}\nsockaddr\{ len=16 family=2 port=0\n 0a000001 {2}\}\n/,
    );
    assert.match(msgs[1]!, /^sadb_msg\{ version=2 type=3 errno=0 satype=2\n/);
  });

  it('-l re-dumps until interrupted, with the short header once', async () => {
    const w = kernelWorld();
    assert.equal(
      (
        await w.run(['-c'], {
          stdin: [
            'add 10.0.0.1 10.0.0.2 esp 0x1234 -lh 600 -ls 500 -E null -A hmac-md5 0x000102030405060708090a0b0c0d0e0f;',
          ],
        })
      ).code,
      0,
    );
    const ac = new AbortController();
    let passes = 0;
    const r = await w.run(['-Dl'], {
      extra: {
        interrupt: () => ac.signal,
        sleep: async () => {
          w.clock.advance(1000);
          if (++passes === 3) ac.abort();
        },
      },
    });
    assert.equal(r.code, 0);
    const lines = r.out.split('\n').filter((l) => l);
    assert.equal(lines[0], 'time p   s spi      ltime   src -> dst');
    // three passes, one SA each: age 0, 1, 2 seconds of a 600 s SA. shortdump prints a non-zero
    // sadb_address_proto through its own table, which has no 255, so as "#255" (setkey.c STR_OR_ID/numstr).
    const row = (age: number) => ` esp M 00001234 ${String(age).padStart(3)}/600 #255 10.0.0.1 -> #255 10.0.0.2`;
    assert.deepEqual(
      lines.slice(1).map((l) => l.slice(4)),
      [row(0), row(1), row(2)],
    );
  });

  it('with no uipsecd listening it says so and how to start one, exit 1', async () => {
    const out: string[] = [],
      err: string[] = [];
    const code = await runSetkey(['--socket', '/nonexistent/pfkey.sock', '-D'], {
      out: (t) => {
        out.push(t);
      },
      err: (t) => {
        err.push(t);
      },
      readFile: () => new Uint8Array(),
      stdinLines: async function* () {},
      nowSec: () => 0,
      pid: 1,
      connect: async (p) => {
        throw Object.assign(new Error(`connect ENOENT ${p}`), { code: 'ENOENT' });
      },
    });
    assert.equal(code, 1);
    assert.deepEqual(out, []);
    assert.match(
      err.join(''),
      /^setkey: no uipsecd is listening on \/nonexistent\/pfkey\.sock \(ENOENT\)\.\nStart one with `uipsecd --socket \/nonexistent\/pfkey\.sock` \(see `uipsecd --help`\)/,
    );
  });
});
