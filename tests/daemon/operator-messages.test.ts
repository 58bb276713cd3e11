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
