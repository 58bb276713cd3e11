// uipsecd's messages for two operator mistakes (issue 17): a malformed address says the address is wrong (not
// that the syntax is ADDR/PREFIXLEN, which it was), and a socket path under a regular file says so (not
// `EEXIST ... mkdir`).
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from '../../kernel/daemon/config.js';
import { ListenError, listenUnix } from '../../kernel/daemon/unix-listener.js';

describe('uipsecd: operator-facing messages', () => {
  it('-a 10.0.0.300/24 names the bad address; -a 10.0.0.1 still asks for the prefix length', () => {
    const bad = parseArgs(['-a', '10.0.0.300/24', '-u', '127.0.0.1:7001'], {});
    assert.deepEqual(
      bad.errors.map((e) => e.message),
      ['command line:0: "10.0.0.300/24" is not an IPv4 or IPv6 address with a prefix length'],
    );
    const noLen = parseArgs(['-a', '10.0.0.1', '-u', '127.0.0.1:7001'], {});
    assert.deepEqual(
      noLen.errors.map((e) => e.message),
      ['command line:0: address needs ADDR/PREFIXLEN'],
    );
  });

  it("a `socket` statement moves the IKE channel's default with it; `ike-socket` and $UIPSEC_IKE_SOCKET still win", () => {
    const dir = mkdtempSync(join(tmpdir(), 'uipsec-msg-'));
    try {
      const conf = (name: string, text: string) => (writeFileSync(join(dir, name), text), join(dir, name));
      const moved = parseArgs(['-f', conf('a.conf', 'socket /run/x/pfkey.sock\n')], {});
      assert.deepEqual([moved.config.socketPath, moved.config.ikeSocketPath], ['/run/x/pfkey.sock', '/run/x/ike.sock']);
      const named = parseArgs(['-f', conf('b.conf', 'ike-socket /run/i.sock\nsocket /run/x/pfkey.sock\n')], {});
      assert.equal(named.config.ikeSocketPath, '/run/i.sock');
      const env = parseArgs(['-f', conf('c.conf', 'socket /run/x/pfkey.sock\n')], { UIPSEC_IKE_SOCKET: '/run/e.sock' });
      assert.equal(env.config.ikeSocketPath, '/run/e.sock');
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('a socket path under a regular file: the directory is a file', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'uipsec-msg-'));
    try {
      writeFileSync(join(dir, 'file'), '');
      const path = join(dir, 'file', 'sub', 'pfkey.sock');
      await assert.rejects(
        listenUnix(path, () => {}),
        (e: unknown) =>
          e instanceof ListenError &&
          /^cannot create .*\/file\/sub\/pfkey\.sock: .*\/file\/sub \(or a directory above it\) is a file, not a directory \((EEXIST|ENOTDIR)\)$/.test(
            e.message,
          ),
      );
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
