// common/log-file.ts: the -l writer re-checks the file on every line, so a log replaced by a symlink while racoon
// runs is not followed: the line goes to the fallback (stderr) with one note saying why.
import { strict as assert } from 'node:assert';
import { mkdtempSync, readFileSync, rmSync, statSync, symlinkSync, unlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { logFileWriter, prepareLogFile } from '../../../common/log-file.js';

describe('common/log-file: the -l log file', () => {
  let dir = '';
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'uipsec-logfile-'));
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  it('appends per line; after a rotation the new file is 0600; a symlink swapped in is not followed', () => {
    const log = join(dir, 'racoon.log');
    assert.deepEqual(prepareLogFile(log), {});
    const side: string[] = [];
    const write = logFileWriter(log, (l) => side.push(l));
    write('one');
    rmSync(log); // logrotate: rename/remove, then the next line creates the file again
    write('two');
    assert.equal(readFileSync(log, 'utf8'), 'two\n');
    assert.equal(statSync(log).mode & 0o777, 0o600);
    const target = join(dir, 'elsewhere');
    writeFileSync(target, '');
    unlinkSync(log);
    symlinkSync(target, log);
    write('three');
    write('four');
    assert.equal(readFileSync(target, 'utf8'), '');
    assert.deepEqual(side, [
      `racoon: log file ${log}: is a symbolic link; refusing to follow it; logging here instead`,
      'three',
      'four',
    ]);
  });
});
