// Issue 10: the machine's routes follow the SPD as events, not by polling. `uipsecd --tun` runs as its own
// process in a namespace and the shipped `setkey` changes its SPD; the moment setkey returns, the table
// already holds (or no longer holds) the TUN route and the kill-switch: a `require` policy's traffic goes
// into the TUN before any SA exists, and a deleted or expired policy's route is gone. The daemon's
// own counters (SIGUSR1 line) show the datagram the TUN took.
import { strict as assert } from 'node:assert';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createConnection } from 'node:net';
import { programArgs } from '../e2e/support.js';
import { parseSetkey, statementToMessages } from '../../setkey/index.js';
import { encodeMessage } from '../../pfkey/index.js';
import { makePair, netnsSkipReason, nsRun, startDaemon, type NsProc, type Pair } from './netns.js';

describe('os: routes and kill-switch follow setkey at once (uipsecd --tun, SPD events)', function () {
  this.timeout(120_000);
  const skip = netnsSkipReason(['/usr/bin/python3']);
  let pair: Pair;
  let dir = '';
  let d: NsProc | undefined;
  let n = 0;

  before(function () {
    if (skip) this.skip();
    pair = makePair('spdev', '10.201.9', 'fd00:201:9');
    dir = mkdtempSync(join(tmpdir(), 'uipsec-spdev-'));
  });
  after(async () => {
    await d?.stop('SIGTERM');
    pair?.destroy();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  const sock = () => join(dir, 'run', 'pfkey.sock');
  const setkey = (text: string): void => {
    const f = join(dir, `step${++n}.conf`);
    writeFileSync(f, text);
    const r = nsRun(pair.a, [process.execPath, ...programArgs('setkey/main'), '--socket', sock(), '-f', f]);
    assert.equal(r.code, 0, r.out);
  };
  /** The daemon's table; '' when it has no route (the kernel then says the table does not exist). */
  const table = (): string => {
    const r = nsRun(pair.a, ['ip', 'route', 'show', 'table', '4500']);
    return r.code === 0 ? r.out : '';
  };
  const routeGet = (dst: string): string => nsRun(pair.a, ['ip', 'route', 'get', dst]).out;
  /** SPDADD with a hard lifetime, which setkey's language cannot say (racoon sets it): straight to the socket. */
  const spdaddExpiring = async (text: string, seconds: number): Promise<number> => {
    const st = parseSetkey(text).statements[0]!;
    const r = statementToMessages(st, { pid: process.pid });
    assert.ok(r.ok);
    const life = { allocations: 0, bytes: 0n, addtime: BigInt(seconds), usetime: 0n };
    const m = r.messages[0]!;
    const bytes = encodeMessage({ ...m, ext: { ...m.ext, lifetimeHard: life, lifetimeSoft: life } });
    const conn = createConnection(sock());
    const answer = new Promise<number>((resolve, reject) => {
      conn.once('data', (b: Buffer) => resolve(b[2]!)).once('error', reject);
    });
    conn.write(bytes);
    const errno = await answer;
    conn.destroy();
    return errno;
  };
  const re = (s: string) => s.replace(/[.:]/g, (c) => `\\${c}`);

  it('spdadd: TUN route and prohibit route in place when setkey returns; spddelete, spdflush and expiry remove them', async () => {
    const { addrA: A, addrB: B } = pair;
    d = startDaemon(pair.a, 'uipsecd', ['--socket', sock(), '--tun', 'utun0', '-v']);
    await d.waitFor(/ up: TUN utun0/);
    assert.equal(table().trim(), '');
    assert.match(routeGet(B), new RegExp(`dev ${pair.ifA}`));

    setkey(
      `spdadd ${A} ${B} any -P out ipsec esp/transport//require;\n` +
        `spdadd 10.77.0.0/24 10.77.1.0/24 any -P out ipsec esp/tunnel/${A}-${B}/use;\n`,
    );
    // No wait: the answer to SPDADD came back only once the routes were in.
    let t = table();
    assert.match(t, new RegExp(`^${re(B)} dev utun0 .*src ${re(A)}`, 'm'), t);
    assert.match(t, new RegExp(`^prohibit ${re(B)} .*metric 4500`, 'm'), t);
    assert.match(t, /^10\.77\.1\.0\/24 dev utun0/m, t);
    assert.doesNotMatch(t, /prohibit 10\.77\.1\.0/, 'a `use` policy has no kill-switch');
    assert.match(routeGet(B), /dev utun0/);

    // `uipsec status` shows what the daemon installed, as the daemon reports it over its app channel.
    const status = (json: boolean) =>
      nsRun(pair.a, [
        process.execPath,
        ...programArgs('app/uipsec'),
        'status',
        ...(json ? ['--json'] : []),
        '--socket',
        sock(),
      ]).out;
    const text = status(false);
    assert.match(text, /TUN utun0 \(mtu \d+\)/, text);
    assert.match(text, /rule 4500: not fwmark 0x4500 lookup 4500/, text);
    assert.match(text, new RegExp(`${re(B)}/32\\s+utun0\\s+${re(A)}\\s+prohibit`), text);
    assert.match(text, /10\.77\.1\.0\/24\s+utun0\s+-\s+-/, text);
    assert.match(text, /kill-switch: armed for 1 destination /, text);
    const tun = (JSON.parse(status(true)) as { tun: { routes: { prefix: string; killSwitch: boolean }[] } }).tun;
    assert.deepEqual(
      tun.routes.map((r) => [r.prefix, r.killSwitch]),
      [
        [`${B}/32`, true],
        ['10.77.1.0/24', false],
      ],
    );

    // No SA exists: a datagram to B goes into the TUN (the host drops it, an ACQUIRE goes out), never onto the veth.
    const sent = nsRun(pair.a, [
      '/usr/bin/python3',
      '-c',
      `import socket; s=socket.socket(socket.AF_INET,socket.SOCK_DGRAM); s.sendto(b'x',('${B}',9)); print('sent')`,
    ]);
    assert.match(sent.out, /sent/);
    d.child.kill('SIGUSR1');
    await d.waitFor(/tun utun0 in [1-9]/, 10_000);

    setkey(`spddelete ${A} ${B} any -P out;\n`);
    t = table();
    assert.doesNotMatch(t, new RegExp(re(B)), t);
    assert.match(t, /^10\.77\.1\.0\/24 dev utun0/m, t);
    assert.match(routeGet(B), new RegExp(`dev ${pair.ifA}`));

    setkey('spdflush;\n');
    assert.equal(table().trim(), '');

    // Expiry is an SPD change too (X_SPDEXPIRE): the route goes without any client asking.
    assert.equal(await spdaddExpiring(`spdadd ${A} ${B} any -P out ipsec esp/transport//require;`, 1), 0);
    assert.match(table(), new RegExp(`^prohibit ${re(B)}`, 'm'));
    for (let i = 0; i < 100 && table().includes(B); i++) await new Promise((r) => setTimeout(r, 100));
    assert.equal(table().trim(), '', 'the expired policy left its routes');

    assert.equal(await d.stop('SIGTERM'), 0);
    d = undefined;
    assert.doesNotMatch(nsRun(pair.a, ['ip', 'rule', 'show']).out, /fwmark 0x4500/);
  });
});
