// Whole configuration files (tests/fixtures/setkey/*.conf, written in the style of the ipsec-tools samples):
// they parse cleanly, every statement becomes encodable PF_KEY messages, and SA reqids match policy reqids.
import { strict as assert } from 'node:assert';
import { parseSetkey } from '../../../setkey/parser.js';
import { statementToMessages } from '../../../setkey/to-pfkey.js';
import { decodeMessage, encodeMessage } from '../../../pfkey/msg.js';
import type { SaStatement, SpdStatement } from '../../../setkey/ast.js';
import { fixtureText } from './fixtures.js';

const SAMPLES: [string, string[]][] = [
  ['host-transport.conf', ['flush', 'spdflush', 'add', 'add', 'add', 'add', 'spdadd', 'spdadd']],
  ['gateway-tunnel.conf', ['add', 'add', 'spdadd', 'spdadd', 'spdadd', 'spdadd']],
  ['ipv6-natt.conf', ['spdadd', 'spdadd', 'add', 'spdadd', 'add', 'spdadd']],
];

describe('setkey: sample configuration files', () => {
  for (const [name, kinds] of SAMPLES) {
    it(`${name} parses, checks and encodes`, () => {
      const r = parseSetkey(fixtureText(name), { file: name });
      assert.deepEqual(
        r.errors.map((e) => e.message),
        [],
      );
      assert.deepEqual(
        r.warnings.map((e) => e.message),
        [],
      );
      assert.deepEqual(
        r.statements.map((s) => s.kind),
        kinds,
      );
      for (const st of r.statements) {
        const t = statementToMessages(st, { pid: 1 });
        assert.ok(t.ok);
        for (const m of t.messages) assert.deepEqual(decodeMessage(encodeMessage(m)).ext, m.ext);
      }
      const saReqids = r.statements
        .filter((s): s is SaStatement => s.kind === 'add')
        .map((s) => s.ext.reqid)
        .filter((x) => x);
      const spReqids = r.statements
        .filter((s): s is SpdStatement => s.kind === 'spdadd')
        .flatMap((s) => s.policy.requests.map((q) => q.reqid))
        .filter((x) => x);
      assert.deepEqual([...saReqids].sort(), [...spReqids].sort());
    });
  }

  it('statement lines point at the first line of each multi-line statement', () => {
    const r = parseSetkey(fixtureText('host-transport.conf'));
    assert.deepEqual(
      r.statements.map((s) => [s.line, s.endLine]),
      [
        [3, 3],
        [4, 4],
        [7, 9],
        [10, 12],
        [15, 15],
        [16, 16],
        [18, 20],
        [21, 23],
      ],
    );
  });
});
