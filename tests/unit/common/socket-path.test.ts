// common/socket-path.ts on real directories: which socket directories and files a daemon and its clients
// trust (issue 11 item 3). The ownership cases chown to `nobody` and so need root.
import { strict as assert } from 'node:assert';
import {
  chmodSync,
  chownSync,
  lchownSync,
  mkdirSync,
  mkdtempSync,
  rmSync,
  statSync,
  symlinkSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  SocketPathError,
  assertSafeSocket,
  prepareSocketDir,
  unsafeSocket,
  unsafeSocketDir,
} from '../../../common/socket-path.js';
import { serveAdmin, type AdminTarget } from '../../../racoon/admin.js';

const NOBODY = 65534;
const isRoot = process.geteuid?.() === 0;

describe('common/socket-path: whose socket directory to trust', () => {
  let base = '';
  const me = process.geteuid?.() ?? 0;
  beforeEach(() => {
    base = mkdtempSync(join(tmpdir(), 'uipsec-sockpath-'));
  });
  afterEach(() => rmSync(base, { recursive: true, force: true }));

  it('prepareSocketDir creates a missing directory 0700 and accepts it', () => {
    const sock = join(base, 'run', 'uipsec', 'pfkey.sock');
    prepareSocketDir(sock);
    assert.equal(statSync(join(base, 'run', 'uipsec')).mode & 0o777, 0o700);
    assert.equal(unsafeSocketDir(join(base, 'run', 'uipsec'), me), undefined);
  });

  it('refuses a socket directory writable by group or others, sticky or not; accepts 0755', () => {
    const d = join(base, 'd');
    mkdirSync(d);
    for (const mode of [0o777, 0o1777, 0o770, 0o1730]) {
      chmodSync(d, mode);
      assert.match(unsafeSocketDir(d, me) ?? '', /has mode 0\d+: others can replace what is in it/, mode.toString(8));
      assert.throws(() => prepareSocketDir(join(d, 'pfkey.sock')), SocketPathError);
    }
    chmodSync(d, 0o755);
    assert.equal(unsafeSocketDir(d, me), undefined);
  });

  it('an ancestor may be world-writable only when sticky (as /tmp)', () => {
    const mid = join(base, 'mid');
    const d = join(mid, 'own');
    mkdirSync(d, { recursive: true, mode: 0o700 });
    chmodSync(mid, 0o1777);
    assert.equal(unsafeSocketDir(d, me), undefined);
    chmodSync(mid, 0o777);
    assert.match(unsafeSocketDir(d, me) ?? '', new RegExp(`directory ${mid} has mode 0777`));
  });

  it('a missing directory or socket is left for connect to report (ENOENT), not refused', () => {
    assert.equal(unsafeSocket(join(base, 'no', 'such', 'pfkey.sock'), me), undefined);
    assert.doesNotThrow(() => assertSafeSocket(join(base, 'pfkey.sock')));
  });

  it('refuses a directory, a socket file or a symlink owned by another user', function () {
    if (!isRoot) skipNeedsRoot(this);
    const d = join(base, 'theirs');
    mkdirSync(d, { mode: 0o755 });
    chownSync(d, NOBODY, NOBODY);
    assert.match(unsafeSocketDir(d, 0) ?? '', /directory .*theirs is owned by uid 65534, not by root/);
    assert.throws(() => prepareSocketDir(join(d, 'x', 'pfkey.sock')), /owned by uid 65534/);

    const ours = join(base, 'ours');
    mkdirSync(ours, { mode: 0o700 });
    const f = join(ours, 'pfkey.sock');
    writeFileSync(f, '');
    chownSync(f, NOBODY, NOBODY);
    assert.match(unsafeSocket(f, 0) ?? '', /pfkey\.sock is owned by uid 65534/);
    assert.throws(
      () => assertSafeSocket(f, 0),
      (e: unknown) => e instanceof SocketPathError && e.path === f,
    );

    const link = join(base, 'link');
    symlinkSync(ours, link);
    lchownSync(link, NOBODY, NOBODY); // the link itself, not its target
    assert.match(unsafeSocketDir(link, 0) ?? '', /link is a symbolic link owned by uid 65534/);
  });

  it('a symlink of ours to a directory another user owns is judged by the real directory', function () {
    if (!isRoot) skipNeedsRoot(this);
    const theirs = join(base, 'theirs');
    mkdirSync(theirs, { mode: 0o700 });
    chownSync(theirs, NOBODY, NOBODY);
    const link = join(base, 'run');
    symlinkSync(theirs, link);
    assert.match(unsafeSocket(join(link, 'pfkey.sock'), 0) ?? '', /directory .*theirs is owned by uid 65534/);
  });
});

function skipNeedsRoot(ctx: Mocha.Context): never {
  console.log('      (skipped: needs root, to chown files to nobody)');
  ctx.skip();
}

describe("racoon's admin socket: the same rule on the server side", () => {
  let base = '';
  beforeEach(() => {
    base = mkdtempSync(join(tmpdir(), 'uipsec-adminsock-'));
  });
  afterEach(() => rmSync(base, { recursive: true, force: true }));

  it('serveAdmin creates a missing directory 0700 and refuses one that others can write to', async () => {
    const racoon = {} as AdminTarget; // never reached: no client connects
    const srv = serveAdmin(racoon, join(base, 'var', 'racoon.sock'));
    await new Promise<void>((r) => srv.once('listening', () => r()));
    assert.equal(statSync(join(base, 'var')).mode & 0o777, 0o700);
    assert.equal(statSync(join(base, 'var', 'racoon.sock')).mode & 0o777, 0o600);
    await new Promise<void>((r) => srv.close(() => r()));
    const loose = join(base, 'loose');
    mkdirSync(loose);
    chmodSync(loose, 0o1777);
    assert.throws(() => serveAdmin(racoon, join(loose, 'racoon.sock')), SocketPathError);
  });
});
