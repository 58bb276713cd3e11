// Fuzzing the setkey parser with fast-check (fixed seeds): random text, random bytes and
// mutated valid scripts always yield statements or errors with line numbers, never an exception.
// 20,000+ cases run in the normal suite; UIPSEC_SLOW multiplies them.
import { strict as assert } from 'node:assert';
import fc from 'fast-check';
import { parseSetkey } from '../../../setkey/parser.js';
import { parsePolicy } from '../../../setkey/policy.js';
import { joinStatements, parseJoined } from '../../../setkey/stdin-joiner.js';
import { formatMessageFile } from '../../../setkey/from-pfkey.js';
import { statementToMessages } from '../../../setkey/to-pfkey.js';
import { encodeMessage, decodeMessage } from '../../../pfkey/msg.js';
import * as C from '../../../pfkey/constants.js';

const SLOW = process.env.UIPSEC_SLOW ? 10 : 1;
const K16 = '0x00112233445566778899aabbccddeeff';

const VALID = [
  `add 10.0.0.1 10.0.0.2 esp 0x1000 -m transport -E aes-cbc ${K16} -A hmac-sha1 "12345678901234567890";`,
  'add -6 2001:db8::1 2001:db8::2 ah 4096 -A hmac-sha256 0x00112233445566778899aabbccddeeff00112233445566778899aabbccddeeff;',
  'add 10.0.0.1[4500] 10.0.0.2[4500] esp-udp 0x2000 -u 3 -r 8 -lh 60 -ls 50 -E aes-gcm-16 0x00112233445566778899aabbccddeeff01020304;',
  'add 10.0.0.1 10.0.0.2 ipcomp 0x100 -C deflate -R;',
  'add 198.51.100.1 203.0.113.9 esp 0x3000 -r 64 -esn -natt 10.0.0.1[4500] 10.0.0.2[4501] -natt_mtu 1400 -E null;',
  'get 10.0.0.1 10.0.0.2 esp 0x1000;',
  'delete -4n 10.0.0.1 10.0.0.2 ah 300;',
  'deleteall 10.0.0.1 10.0.0.2 esp;',
  'flush;',
  'dump esp;',
  'spdflush;',
  'spddump;',
  'spdadd 10.0.0.0/24[any] 10.0.1.0/24[80] tcp -P out ipsec\n  esp/tunnel/192.0.2.1-192.0.2.2/require\n  ah/transport//unique:7;',
  'spdadd -6 ::/0 ::/0 icmp6 135,0 -P in prio low - 3 none;',
  'spdupdate 10.0.0.1 10.0.0.2 gre 1.2.3.4 -P out priority 10 discard;',
  'spddelete 10.0.0.0/8 10.0.0.0/8 any -P out;',
  'spdadd tagged "t" -P out ipsec esp/transport//require;',
  // ports with upper layer any, and a reqid the kernel replaces (ipsec-tools sample-policy02.cf)
  'spdadd 0.0.0.0/0[500] 0.0.0.0/0[any] any -P in none;',
  'spdadd ::1 ::1[9995] tcp -P out ipsec esp/transport//unique:28000;',
  '# comment\n\n',
];

/** Words and punctuation that steer mutations into interesting parser states. */
const VOCAB = [
  ';',
  '/',
  '[',
  ']',
  '"',
  '#',
  '-P',
  '-E',
  '-A',
  '-C',
  '-R',
  '-m',
  '-r',
  '-u',
  '-f',
  '-lh',
  '-ls',
  '-bh',
  '-bs',
  '-ctx',
  '-4',
  '-6',
  '-n',
  'add',
  'spdadd',
  'esp',
  'ah',
  'ipcomp',
  'esp-udp',
  'tcp',
  'any',
  'in',
  'out',
  'fwd',
  'ipsec',
  'prio',
  'priority',
  'high',
  '+',
  '-',
  'esp/tunnel/',
  'unique:',
  '0x',
  '0xZZ',
  '4294967296',
  '99999999999999999999',
  '::',
  '1.2.3.4',
  '10.0.0.0/99',
  'me-any',
  'any-me',
  '\n',
  ' ',
  '\t',
  '\u0000',
  '\u00ff',
  '€',
  'tagged',
  'exit;',
  '-esn',
  '-natt',
  '-natt_mtu',
  '-hwif',
];

const script = fc.array(fc.constantFrom(...VALID), { minLength: 1, maxLength: 6 }).map((a) => a.join('\n'));

type Mut = { kind: 'del' | 'ins' | 'dup' | 'rep'; at: number; len: number; word: string };
const mutation: fc.Arbitrary<Mut> = fc.record({
  kind: fc.constantFrom('del', 'ins', 'dup', 'rep'),
  at: fc.nat(),
  len: fc.nat({ max: 12 }),
  word: fc.constantFrom(...VOCAB),
}) as fc.Arbitrary<Mut>;

function mutate(src: string, muts: Mut[]): string {
  let s = src;
  for (const m of muts) {
    const at = s.length ? m.at % (s.length + 1) : 0;
    if (m.kind === 'del') s = s.slice(0, at) + s.slice(at + m.len);
    else if (m.kind === 'ins') s = s.slice(0, at) + m.word + s.slice(at);
    else if (m.kind === 'dup') s = s.slice(0, at) + s.slice(at, at + m.len) + s.slice(at);
    else s = s.slice(0, at) + m.word + s.slice(at + m.len);
  }
  return s;
}

/** The invariant: no exception, and every diagnostic and statement sits on a real line of the input. */
function checkParse(src: string, file: string): void {
  const lines = src.split('\n').length;
  const r = parseSetkey(src, { file });
  const prefix = file ? new RegExp(`^${file}:(\\d+): `) : /^line (\d+): /;
  for (const e of [...r.errors, ...r.warnings]) {
    const m = prefix.exec(e.message);
    assert.ok(m, `bad message format: ${e.message}`);
    assert.ok(e.line >= 1 && e.line <= lines && Number(m[1]) === e.line, `line ${e.line} of ${lines}: ${e.message}`);
  }
  for (const s of r.statements) {
    assert.ok(s.line >= 1 && s.line <= s.endLine && s.endLine <= lines);
    // A statement that passed the checks must become messages pfkey can encode and decode again.
    const t = statementToMessages(s, { pid: 1 });
    if (t.ok) for (const m of t.messages) decodeMessage(encodeMessage(m));
  }
}

describe('setkey/fuzz: the parser never throws (fast-check, fixed seeds)', () => {
  it('random unicode text (6,000 cases)', () => {
    fc.assert(
      fc.property(fc.string({ unit: 'grapheme-composite', maxLength: 200 }), (s) => checkParse(s, '')),
      { seed: 0x5e7c01, numRuns: 6000 * SLOW },
    );
  });

  it('random bytes read as latin1 (4,000 cases)', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 300 }), (b) => checkParse(Buffer.from(b).toString('latin1'), 'f.conf')),
      { seed: 0x5e7c02, numRuns: 4000 * SLOW },
    );
  });

  it('mutated valid scripts (10,000 cases)', () => {
    fc.assert(
      fc.property(script, fc.array(mutation, { minLength: 1, maxLength: 8 }), (s, muts) =>
        checkParse(mutate(s, muts), 'm.conf'),
      ),
      { seed: 0x5e7c03, numRuns: 10000 * SLOW },
    );
  });

  it('policy strings: parsePolicy returns a value or a positioned error (3,000 cases)', () => {
    const pol = fc
      .array(
        fc.constantFrom(
          'in',
          'out',
          'fwd',
          'prio',
          'priority',
          'def',
          'low',
          'high',
          '+',
          '-',
          '5',
          'ipsec',
          'none',
          'discard',
          'esp',
          'ah',
          'ipcomp',
          '/',
          'transport',
          'tunnel',
          '10.0.0.1',
          '::1',
          '[500]',
          'me',
          'any',
          'require',
          'unique:3',
          'unique',
          'use',
          'default',
          ' ',
          '\n',
          '%',
          '[',
          'x',
        ),
        { maxLength: 20 },
      )
      .map((a) => a.join(''));
    fc.assert(
      fc.property(fc.oneof(pol, fc.string()), (text) => {
        const r = parsePolicy(text, { line: 1, col: 1 });
        if (!r.ok)
          assert.ok(r.error.line >= 1 && r.error.line <= text.split('\n').length + 0 && r.error.message.length > 0);
      }),
      { seed: 0x5e7c04, numRuns: 3000 * SLOW },
    );
  });

  it('the -c joiner plus parser on mutated line streams (1,000 cases)', () => {
    fc.assert(
      fc.property(script, fc.array(mutation, { maxLength: 4 }), (s, muts) => {
        const lines = mutate(s, muts).split('\n');
        for (const st of joinStatements(lines)) {
          const r = parseJoined(st);
          for (const e of r.errors) assert.ok(e.line >= 1 && e.line <= lines.length, e.message);
        }
      }),
      { seed: 0x5e7c05, numRuns: 1000 * SLOW },
    );
  });

  it('mutated valid dump replies: printed or reported, never thrown (2,000 cases)', () => {
    // Replies built from statements that parse, turned into DUMP/SPDDUMP answers, then bit-flipped and cut.
    const replies = [
      'add 10.0.0.1 10.0.0.2 esp-udp 10.9.9.9 0x1000 -lh 9 -ls 8 -E aes-cbc "1234567890123456" -A hmac-sha1 "12345678901234567890";',
      'spdadd 10.0.0.0/8[22] 10.1.0.0/16 tcp -P out prio 3 ipsec esp/tunnel/10.0.0.1-10.0.0.2/unique:4;',
      'add -6 ::1 ::2 ipcomp 0x100 -C deflate;',
    ].map((src) => {
      const st = parseSetkey(src).statements[0]!;
      const t = statementToMessages(st, { pid: 7 });
      assert.ok(t.ok, src);
      const m = t.messages[0]!;
      m.msg.type = m.msg.type === C.SADB_X_SPDADD ? C.SADB_X_SPDDUMP : C.SADB_DUMP;
      return encodeMessage(m);
    });
    fc.assert(
      fc.property(
        fc.nat(replies.length - 1),
        fc.array(fc.tuple(fc.nat(), fc.nat(7)), { maxLength: 6 }),
        fc.nat(),
        (which, flips, cut) => {
          const b = replies[which]!.slice();
          for (const [at, bit] of flips) b[at % b.length]! ^= 1 << bit;
          const out = formatMessageFile(b.subarray(0, b.length - (cut % 9)), { nowSec: 1e9 });
          assert.equal(typeof out, 'string');
        },
      ),
      { seed: 0x5e7c07, numRuns: 2000 * SLOW },
    );
  });

  it('raw PF_KEY dump files: formatMessageFile prints or reports, never throws (1,000 cases)', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 200 }), (b) => {
        assert.equal(typeof formatMessageFile(b, { nowSec: 0 }), 'string');
      }),
      { seed: 0x5e7c06, numRuns: 1000 * SLOW },
    );
  });
});
