// `uipsecd --extension MODULE` (docs/extensions.md): two shipped uipsecd processes on loopback UDP underlays,
// b started with the example stateful firewall. `uipsec ping` from b's stack to a gets its replies (b started
// the flow); a's ping to b is a new inbound flow and gets nothing; on SIGINT b stops the extension, which logs
// its counters. A module that is not an extension makes uipsecd refuse to start, naming it.
import { strict as assert } from 'node:assert';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Proc, runProc } from './proc.js';
import { compiled, daemonArgs, programArgs, repoRoot, underlayDaemonArgs } from './support.js';

const A = '10.8.0.1',
  B = '10.8.0.2';

/** The example module as uipsecd imports it: compiled, or the TypeScript source when the test runs under tsx. */
function exampleModule(name: string): string {
  return compiled
    ? join(repoRoot(), 'dist', 'examples', 'extensions', `${name}.js`)
    : join(repoRoot(), 'examples', 'extensions', `${name}.ts`);
}

describe('e2e: uipsecd --extension (the example stateful firewall in the shipped daemon)', function () {
  const dir = mkdtempSync(join(tmpdir(), 'uipsec-ext-'));
  const sock = { a: join(dir, 'a', 'pfkey.sock'), b: join(dir, 'b', 'pfkey.sock') };
  const base = 20000 + Math.floor(Math.random() * 20000);
  const port = { a: base, b: base + 1 };
  const procs: Record<string, Proc> = {};

  const ping = (host: 'a' | 'b', dst: string) =>
    runProc('uipsec ping', [...programArgs('app/uipsec'), 'ping', dst, '-c', '2', '-i', '50', '--socket', sock[host]]);

  before(async function () {
    for (const h of ['a', 'b'] as const) {
      const [me, peer, lo, peerLo] = h === 'a' ? [A, B, '127.0.0.1', '127.0.0.2'] : [B, A, '127.0.0.2', '127.0.0.1'];
      const extra = h === 'b' ? ['--extension', exampleModule('stateful-firewall')] : [];
      const d = new Proc(
        `uipsecd ${h}`,
        underlayDaemonArgs(
          {
            name: h,
            socket: sock[h],
            address: me,
            peer,
            underlay: `${lo}:${port[h]}`,
            peerUnderlay: `${peerLo}:${port[h === 'a' ? 'b' : 'a']}`,
          },
          extra,
        ),
      );
      procs[h] = d;
      await d.waitFor(/ up: /);
    }
  });

  after(async () => {
    await Promise.all(Object.values(procs).map((p) => p.stop()));
    rmSync(dir, { recursive: true, force: true });
  });

  it('b answers nothing it did not start, gets replies to what it did, and logs its counters at stop', async () => {
    assert.match(procs.b!.err, /extension org\.uipsec\.example\.firewall started/);
    const fromA = await ping('a', B);
    assert.equal(fromA.code, 1, fromA.out + fromA.err);
    assert.match(fromA.out, /2 packets transmitted, 0 packets received/);
    const fromB = await ping('b', A);
    assert.equal(fromB.code, 0, fromB.out + fromB.err);
    assert.match(fromB.out, /2 packets transmitted, 2 packets received/);
    assert.equal(await procs.b!.stop(), 0);
    assert.match(procs.b!.err, /firewall: out 2, flows [12], passed 2, dropped 2,/);
    assert.match(procs.b!.err, /extension org\.uipsec\.example\.firewall stopped/);
  });

  it('a module that is not an extension: uipsecd refuses to start and names it', async () => {
    const bad = join(dir, 'not-an-extension.mjs');
    writeFileSync(bad, 'export default { hello: 1 };\n');
    const r = await runProc('uipsecd', daemonArgs(['--socket', join(dir, 'c', 'pfkey.sock'), '--extension', bad]));
    assert.notEqual(r.code, 0);
    assert.match(r.err, /not-an-extension\.mjs: the default export is not an extension/);
  });
});
