// common/bounded-file.ts: regular-only reads refuse devices, FIFOs and directories on the open descriptor
// (a FIFO with no writer does not stall the open), and every read stops past its cap.
import { strict as assert } from 'node:assert';
import { spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { FileReadError, readBoundedFile, readConfigText } from '../../../common/bounded-file.js';
import { loadCertificateFile } from '../../../racoon/cert/keys.js';
import { loadPlainRsaFile } from '../../../racoon/cert/plainrsa.js';
import { CertStore } from '../../../racoon/cert/store.js';

describe('common/bounded-file', () => {
  let dir = '';
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'uipsec-bounded-'));
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  const code = (f: () => unknown): string => {
    try {
      f();
    } catch (e) {
      assert.ok(e instanceof FileReadError, String(e));
      return e.code;
    }
    return 'none';
  };

  it('a regular file within the cap is read whole; one past it (by one byte) is EFBIG before reading', () => {
    const p = join(dir, 'a.conf');
    writeFileSync(p, 'x'.repeat(1000));
    assert.equal(readBoundedFile(p, { maxBytes: 1000, regularOnly: true }).length, 1000);
    assert.equal(
      code(() => readBoundedFile(p, { maxBytes: 999, regularOnly: true })),
      'EFBIG',
    );
    assert.equal(readConfigText(p).length, 1000);
  });

  it('regularOnly: /dev/zero, a FIFO without a writer and a directory are ENOTREG', () => {
    const fifo = join(dir, 'fifo');
    assert.equal(spawnSync('mkfifo', [fifo]).status, 0);
    for (const p of ['/dev/zero', fifo, dir])
      assert.equal(
        code(() => readConfigText(p)),
        'ENOTREG',
        p,
      );
    assert.equal(
      code(() => readConfigText(join(dir, 'missing'))),
      'ENOENT',
    );
  });

  it('otherwise (setkey -f): /dev/zero stops at the cap, a FIFO with a writer is read whole', async () => {
    assert.equal(
      code(() => readBoundedFile('/dev/zero', { maxBytes: 1 << 20, regularOnly: false })),
      'EFBIG',
    );
    const fifo = join(dir, 'script');
    assert.equal(spawnSync('mkfifo', [fifo]).status, 0);
    const writer = spawn('sh', ['-c', `printf 'flush;\\n' > "$0"`, fifo]);
    const text = readBoundedFile(fifo, { maxBytes: 1 << 20, regularOnly: false }).toString();
    await new Promise((r) => writer.on('close', r));
    assert.equal(text, 'flush;\n');
  });

  it('maxLineBytes: a line one byte past it is EFBIG naming the line; lines up to it are read', () => {
    const p = join(dir, 'lines');
    writeFileSync(p, 'a'.repeat(10) + '\n' + 'b'.repeat(11) + '\nc\n');
    const read = (maxLineBytes: number): string =>
      readBoundedFile(p, { maxBytes: 1000, maxLineBytes, regularOnly: false }).toString();
    assert.equal(read(11).length, 25);
    assert.throws(
      () => read(10),
      (e: unknown) =>
        e instanceof FileReadError &&
        e.code === 'EFBIG' &&
        e.reason === 'line 2 longer than 10 bytes; refusing to read on',
    );
    assert.throws(
      () => readBoundedFile('/dev/zero', { maxBytes: 1 << 30, maxLineBytes: 1 << 20, regularOnly: false }),
      /line 1 longer than 1 MiB/,
    );
  });
});

describe('racoon/cert: certificate, CRL and key files are read the same way', () => {
  let dir = '';
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'uipsec-certread-'));
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  it('/dev/zero, a FIFO and a 17 MB file are refused with a reason, never read on', () => {
    const fifo = join(dir, 'fifo.pem');
    assert.equal(spawnSync('mkfifo', [fifo]).status, 0);
    const big = join(dir, 'big.pem');
    writeFileSync(big, Buffer.alloc(17 * 1024 * 1024, 0x41));
    for (const [p, why] of [
      ['/dev/zero', /cannot read: a character device, not a regular file/],
      [fifo, /cannot read: a FIFO, not a regular file/],
      [big, /cannot read: 17825792 bytes, larger than 16 MiB/],
    ] as const) {
      assert.throws(() => loadCertificateFile(p), why, p);
      assert.throws(() => new CertStore().addFile(p), why, p);
    }
    assert.throws(() => loadPlainRsaFile('/dev/zero', false), /a character device, not a regular file/);
  });
});
