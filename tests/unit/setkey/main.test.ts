// The setkey command line with an injected world: -n checks scripts with no kernel; -D prints replies.
import { strict as assert } from 'node:assert';
import { runSetkey, parseArgs, type SetkeyIo } from '../../../setkey/main.js';
import { encodeMessage, makeSadbMsg, type PfkeyMessage } from '../../../pfkey/msg.js';
import * as C from '../../../pfkey/constants.js';
import { golden } from './fixtures.js';

function world(files: Record<string, string | Uint8Array>, stdin: string[] = [], extra: Partial<SetkeyIo> = {}) {
  const out: string[] = [],
    err: string[] = [];
  const io: SetkeyIo = {
    out: (t) => {
      out.push(t);
    },
    err: (t) => {
      err.push(t);
    },
    readFile: (p) => {
      const f = files[p];
      if (f === undefined) throw new Error('No such file or directory');
      return typeof f === 'string' ? new Uint8Array(Buffer.from(f)) : f;
    },
    stdinLines: async function* () {
      yield* stdin;
    },
    nowSec: () => 1704459669,
    pid: 4242,
    ...extra,
  };
  return { io, out, err };
}

describe('setkey/main: command line', () => {
  it('parses getopt-style flags', () => {
    assert.deepEqual(parseArgs(['-nf', 'x.conf'])?.file, 'x.conf');
    assert.equal(parseArgs(['-DPp'])?.policy, true);
    assert.equal(parseArgs(['-f']), undefined); // -f needs an argument
    assert.equal(parseArgs(['-Z']), undefined);
    assert.deepEqual(parseArgs(['-a', 'dump.bin'])?.files, ['dump.bin']);
  });

  it('-n -f: a good script prints nothing and exits 0, with no kernel', async () => {
    const w = world({ 'ok.conf': 'flush;\nspdflush;\nadd 10.0.0.1 10.0.0.2 esp 0x1000 -E null -A null;\n' });
    assert.equal(await runSetkey(['-n', '-f', 'ok.conf'], w.io), 0);
    assert.deepEqual([w.out, w.err], [[], []]);
  });

  it('-n -f: every error is printed with file:line, exit 1', async () => {
    const w = world({ 'bad.conf': 'flush;\nbogus;\nspdadd 10.0.0.1 10.0.0.2 any -P out none\n' });
    assert.equal(await runSetkey(['-nf', 'bad.conf'], w.io), 1);
    assert.deepEqual(w.err, [
      "bad.conf:2: syntax error: unknown command near 'bogus'\n",
      "bad.conf:4: missing ';' at end of statement near 'end of input'\n",
    ]);
  });

  it('-f with a missing file, and without -n and no kernel, fail cleanly', async () => {
    const a = world({});
    assert.equal(await runSetkey(['-f', 'nope.conf'], a.io), 1);
    assert.match(a.err[0]!, /^setkey: Can't open `nope.conf'/);
    const b = world({ 'ok.conf': 'flush;' });
    assert.equal(await runSetkey(['-f', 'ok.conf'], b.io), 1);
    assert.deepEqual(b.err, ['setkey: no PF_KEY connection (use -n to check the syntax only)\n']);
  });

  it('-n -c: statements from stdin lines, errors with their stdin line, exit stops reading', async () => {
    const w = world({}, ['add 10.0.0.1 10.0.0.2 esp 0x1000', '  -E null; bogus;', 'spdflush;', 'exit;', 'nonsense;']);
    assert.equal(await runSetkey(['-n', '-c'], w.io), 1);
    assert.deepEqual(w.err, ["line 2: syntax error: unknown command near 'bogus'\n"]);
  });

  it('-D and -DP print the kernel replies; -D with no kernel fails', async () => {
    const sent: PfkeyMessage[] = [];
    const sa: PfkeyMessage = { msg: { ...makeSadbMsg(C.SADB_DUMP, 0), errno: 2 }, ext: {} };
    const w = world({}, [], {
      request: async (m) => {
        sent.push(m);
        return [sa];
      },
    });
    assert.equal(await runSetkey(['-D'], w.io), 0);
    assert.deepEqual(w.out, [golden('sad-empty.txt')]);
    assert.deepEqual([sent[0]!.msg.type, sent[0]!.msg.satype, sent[0]!.msg.pid], [C.SADB_DUMP, 0, 4242]);
    await runSetkey(['-DP'], w.io);
    assert.equal(sent[1]!.msg.type, C.SADB_X_SPDDUMP);
    const none = world({});
    assert.equal(await runSetkey(['-D'], none.io), 1);
    const l = world({}, [], { request: async () => [] });
    await runSetkey(['-Dl'], l.io);
    assert.deepEqual(l.out, [golden('sa-short.txt').split('\n')[0] + '\n']);
  });

  it('-f with a kernel: statements go out as PF_KEY messages; kernel errors name file and line', async () => {
    const sent: PfkeyMessage[] = [];
    const request = async (m: PfkeyMessage): Promise<PfkeyMessage[]> => {
      sent.push(m);
      const dup = m.msg.type === C.SADB_X_SPDADD && sent.filter((x) => x.msg.type === C.SADB_X_SPDADD).length > 1;
      return [{ msg: { ...m.msg, errno: dup ? 17 : 0 }, ext: {} }];
    };
    const w = world(
      {
        's.conf':
          'flush;\nspdadd 10.0.0.1 10.0.0.2 any -P out none;\nspdadd 10.0.0.1 10.0.0.2 any -P out none;\nspdadd tagged "t" -P out none;\n',
      },
      [],
      { request },
    );
    assert.equal(await runSetkey(['-f', 's.conf'], w.io), 1);
    assert.deepEqual(
      sent.map((m) => m.msg.type),
      [C.SADB_FLUSH, C.SADB_X_SPDADD, C.SADB_X_SPDADD],
    );
    assert.deepEqual(w.err, [
      's.conf:3: spdadd: File exists.\n',
      's.conf:4: tagged policies need SADB_X_EXT_TAG, which pfkey/ does not carry\n',
    ]);
    assert.deepEqual(w.out.join(''), '');
    const sentR: PfkeyMessage[] = [];
    const r = world({ 'in.conf': 'spdadd 10.0.0.1 10.0.0.2 any -P in none;' }, [], {
      request: async (m) => {
        sentR.push(m);
        return [];
      },
    });
    assert.equal(await runSetkey(['-r', '-f', 'in.conf'], r.io), 0);
    assert.deepEqual(
      sentR.map((m) => m.ext.policy!.dir),
      [C.IPSEC_DIR_INBOUND, 3],
    );
  });

  it('setkey file...: prints a file of raw PF_KEY messages', async () => {
    const reply: PfkeyMessage = { msg: { ...makeSadbMsg(C.SADB_X_SPDDUMP, 0), errno: 2 }, ext: {} };
    const w = world({ 'dump.bin': encodeMessage(reply) });
    assert.equal(await runSetkey(['dump.bin'], w.io), 0);
    assert.deepEqual(w.out, [golden('spd-empty.txt')]);
  });

  it('no arguments or a bad flag print usage and exit 1', async () => {
    const w = world({});
    assert.equal(await runSetkey([], w.io), 1);
    assert.match(w.out.join(''), /usage: setkey \[-v\] file \.\.\./);
    assert.equal(await runSetkey(['-Z'], w.io), 1);
  });
});
