// `npm start` as a real process: the demo (app/demo.ts, dist/app/demo.js when compiled) exits 0 and prints
// its sections, in both keying modes.
import { strict as assert } from 'node:assert';
import { spawnSync } from 'node:child_process';
import { programArgs, repoRoot } from './support.js';

describe('e2e: the demo as a process (npm start)', function () {
  for (const mode of [[], ['--manual']]) {
    it(`node app/demo ${mode.join(' ')}: exit 0, every section, all checks passed`, () => {
      const r = spawnSync(process.execPath, [...programArgs('app/demo'), ...mode], {
        cwd: repoRoot(),
        encoding: 'utf8',
      });
      assert.equal(r.status, 0, r.stdout + r.stderr);
      assert.match(r.stdout, /== 5\. What crossed the wire/);
      assert.match(
        r.stdout,
        /== 6\. Host a's SA table, as `setkey -D` prints it ==\n10\.0\.0\.\d 10\.0\.0\.\d \n\tesp mode=transport/,
      );
      assert.match(r.stdout, /all \d+ checks passed/);
      assert.equal(r.stderr, '');
    });
  }
});
