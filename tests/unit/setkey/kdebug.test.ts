// The -v / -x decoder (key_debug.c kdebug_sadb style) on hand-built messages, its handling of broken
// lengths, and a fixed-seed fuzz: any bytes print something and never throw. Also the new command-line
// options and the script splitter that big -f files are parsed through.
import { strict as assert } from 'node:assert';
import fc from 'fast-check';
import { kdebugSadb } from '../../../setkey/kdebug.js';
import { parseArgs } from '../../../setkey/options.js';
import { runSetkey } from '../../../setkey/main.js';
import { splitScript } from '../../../setkey/lexer.js';
import { parseSetkey } from '../../../setkey/parser.js';

/** Little-endian PF_KEY bytes from a list of [size, value] fields (n16/n32 = network order). */
function bytes(fields: ['u8' | 'u16' | 'u32' | 'n16' | 'n32' | 'raw', number | number[]][]): Uint8Array {
  const out: number[] = [];
  for (const [k, v] of fields) {
    const n = v as number;
    if (k === 'u8') out.push(n);
    else if (k === 'u16') out.push(n & 255, n >> 8);
    else if (k === 'u32') out.push(n & 255, (n >> 8) & 255, (n >> 16) & 255, n >>> 24);
    else if (k === 'n16') out.push(n >> 8, n & 255);
    else if (k === 'n32') out.push(n >>> 24, (n >> 16) & 255, (n >> 8) & 255, n & 255);
    else out.push(...(v as number[]));
  }
  return new Uint8Array(out);
}

describe('setkey/kdebug: kdebug_sadb text', () => {
  // SADB_GET (5), satype ESP (3), seq 7, pid 4242: SA spi 0x1000, then ADDRESS_SRC 10.0.0.1: 16+16+8+16 = 56 bytes
  const get = bytes([
    ['u8', 2],
    ['u8', 5],
    ['u8', 0],
    ['u8', 3],
    ['u16', 7],
    ['u16', 0],
    ['u32', 7],
    ['u32', 4242],
    ['u16', 2],
    ['u16', 1],
    ['n32', 0x1000],
    ['u8', 0],
    ['u8', 1],
    ['u8', 2],
    ['u8', 12],
    ['u32', 0x40],
    ['u16', 3],
    ['u16', 5],
    ['u8', 255],
    ['u8', 32],
    ['u16', 0],
    ['u8', 16],
    ['u8', 2],
    ['n16', 500],
    ['raw', [10, 0, 0, 1]],
    ['raw', [0, 0, 0, 0, 0, 0, 0, 0]],
  ]);

  it('prints the header, each extension header and its fields as key_debug.c does', () => {
    assert.equal(
      kdebugSadb(get),
      [
        'sadb_msg{ version=2 type=5 errno=0 satype=3',
        '  len=7 reserved=0 seq=7 pid=4242',
        'sadb_ext{ len=2 type=1 }',
        'sadb_sa{ spi=4096 replay=0 state=1',
        '  auth=2 encrypt=12 flags=0x00000040 }',
        'sadb_ext{ len=3 type=5 }',
        'sadb_address{ proto=255 prefixlen=32 reserved=0x0000 }',
        'sockaddr{ len=16 family=2 port=500',
        ' 0a000001  }',
        '',
      ].join('\n'),
    );
  });

  it("stops with key_debug.c's messages on a zero or overlong extension length", () => {
    const zero = get.slice();
    zero[16] = 0;
    zero[17] = 0;
    assert.match(kdebugSadb(zero), /sadb_ext\{ len=0 type=1 \}\nkdebug_sadb: invalid ext_len=0 was passed\.\n$/);
    const long = get.slice();
    long[16] = 9;
    assert.match(kdebugSadb(long), /kdebug_sadb: ext_len exceeds end of buffer\.\n$/);
    const unknown = get.slice();
    unknown[18] = 99;
    assert.match(kdebugSadb(unknown), /kdebug_sadb: invalid ext_type 99 was passed\.\n$/);
    assert.match(kdebugSadb(new Uint8Array(3)), /shorter than sadb_msg/);
  });

  it('prints a key with ipsec_hexdump grouping and a policy with its requests', () => {
    const key = bytes([
      ['u8', 2],
      ['u8', 3],
      ['u8', 0],
      ['u8', 3],
      ['u16', 6],
      ['u16', 0],
      ['u32', 0],
      ['u32', 1],
      ['u16', 4],
      ['u16', 9],
      ['u16', 160],
      ['u16', 0],
      ['raw', Array.from({ length: 24 }, (_, i) => (i < 20 ? i : 0))],
    ]);
    assert.match(
      kdebugSadb(key),
      /\nsadb_key\{ bits=160 reserved=0\n {2}key= 00010203 04050607 08090a0b 0c0d0e0f 10111213 \}\n$/,
    );
    // X_POLICY (type ipsec, dir out, id 0x11, priority 0) with one transport request (BSD layout, no addresses)
    const pol = bytes([
      ['u8', 2],
      ['u8', 14],
      ['u8', 0],
      ['u8', 0],
      ['u16', 5],
      ['u16', 0],
      ['u32', 0],
      ['u32', 1],
      ['u16', 3],
      ['u16', 18],
      ['u16', 2],
      ['u8', 2],
      ['u8', 0],
      ['u32', 0x11],
      ['u32', 0],
      ['u16', 8],
      ['u16', 50],
      ['u8', 1],
      ['u8', 2],
      ['u16', 0],
    ]);
    assert.match(
      kdebugSadb(pol),
      /\nsadb_x_policy\{ type=2 dir=2 id=11 priority=0 \}\n \{ len=8 proto=50 mode=1 level=2 reqid=0\n \}\n$/,
    );
  });

  it('fuzz (fixed seed): any bytes, and any prefix of a real message, print without throwing', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 300 }), (b) => {
        assert.equal(typeof kdebugSadb(b), 'string');
      }),
      { seed: 5, numRuns: 3000 },
    );
    fc.assert(
      fc.property(fc.nat(get.length), fc.nat(255), fc.nat(get.length - 1), (cut, v, at) => {
        const m = get.slice(0, Math.max(cut, 0));
        if (at < m.length) m[at] = v;
        assert.equal(typeof kdebugSadb(m), 'string');
      }),
      { seed: 6, numRuns: 3000 },
    );
  });
});

describe('setkey/options: long options and the new short ones', () => {
  it('--json, --socket PATH, --socket=PATH, --help, -v, -H/-h, -x counted', () => {
    const f = parseArgs(['--socket', '/tmp/k.sock', '-DP', '--json'])!;
    assert.deepEqual([f.socket, f.mode, f.policy, f.json], ['/tmp/k.sock', 'dump', true, true]);
    assert.equal(parseArgs(['--socket=/x', '-D'])!.socket, '/x');
    assert.equal(parseArgs(['--socket']), undefined);
    assert.equal(parseArgs(['--bogus']), undefined);
    assert.equal(parseArgs(['--help'])!.help, true);
    assert.deepEqual(
      [parseArgs(['-xx'])!.promisc, parseArgs(['-x', '-H'])!.hex, parseArgs(['-hx'])!.hex],
      [2, true, true],
    );
    assert.equal(parseArgs(['-vf', 'a.conf'])!.verbose, true);
  });

  it('-V and --version print the version and exit 0 (ipsec-tools usage(1) exits 1: issue 17); --help exits 0', async () => {
    const out: string[] = [];
    const w = {
      out: (t: string) => {
        out.push(t);
      },
      err: () => {},
      readFile: () => new Uint8Array(),
      stdinLines: async function* () {},
      nowSec: () => 0,
      pid: 1,
    };
    assert.equal(await runSetkey(['-V'], w), 0);
    assert.match(out.join(''), /^setkey @\(#\) uipsec \d+\.\d+\.\d+/);
    assert.equal(await runSetkey(['--version'], w), 0);
    assert.equal(out.length, 2);
    assert.equal(await runSetkey(['--help'], w), 0);
    assert.match(out.join(''), /--socket PATH/);
  });
});

describe('setkey/lexer: splitScript', () => {
  it('cuts after top-level semicolons only (not inside quotes or comments) and keeps line numbers', () => {
    const src =
      'flush;\n# a; comment\nadd 10.0.0.1 10.0.0.2 ah 0x1000 -A hmac-md5 "ab;\ncdefghijklmnop";\nspdflush;\ntail';
    const pieces = [...splitScript(src, 1)];
    assert.deepEqual(
      pieces.map((p) => p.firstLine),
      [1, 1, 4, 5],
    );
    assert.equal(pieces.map((p) => p.text).join(''), src);
    assert.ok(pieces[1]!.text.includes('"ab;\ncdefghijklmnop";'));
  });

  it('parsing piece by piece gives the statements, errors and lines of parsing the whole (fixed seed)', () => {
    const stmt = fc.constantFrom(
      'flush;',
      'spdflush;\n',
      'add 10.0.0.1 10.0.0.2 esp 0x1000\n -E null;',
      'bogus;',
      'add 10.0.0.1 10.0.0.2 ah 300 -A hmac-md5 "x;y";',
      '# c;\n',
      'spdadd 10.0.0.0/8 10.1.0.0/16 any -P out ipsec\n esp/transport//require;',
      'get 1.2.3.4;\n',
      '\n\n',
    );
    fc.assert(
      fc.property(fc.array(stmt, { maxLength: 30 }), fc.integer({ min: 1, max: 5 }), (parts, per) => {
        const src = parts.join('');
        const whole = parseSetkey(src, { file: 'f' });
        const st: unknown[] = [],
          errs: string[] = [];
        for (const p of splitScript(src, per)) {
          const r = parseSetkey(p.text, { file: 'f', firstLine: p.firstLine });
          st.push(...r.statements.map((s) => [s.kind, s.line]));
          errs.push(...r.errors.map((e) => e.message));
        }
        assert.deepEqual(
          st,
          whole.statements.map((s) => [s.kind, s.line]),
        );
        assert.deepEqual(
          errs,
          whole.errors.map((e) => e.message),
        );
      }),
      { seed: 11, numRuns: 300 },
    );
  });
});
