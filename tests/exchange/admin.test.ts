// racoonctl against a live racoon's admin socket: establish-sa isakmp starts main mode, show-sa lists the
// ISAKMP-SA and the kernel's ESP SAs, delete-sa isakmp removes it (with a DELETE to the peer), flush-sa esp,
// vpn-connect and vpn-disconnect by gateway address.
import { strict as assert } from 'node:assert';
import { mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Server } from 'node:net';
import type { Host } from '../../kernel/host/host.js';
import { serveAdmin } from '../../racoon/admin.js';
import { runRacoonctl } from '../../racoon/racoonctl.js';
import { policyPair } from '../scenarios/lab.js';
import { confFor, ikeLab, ip, type IkeLab } from './ike-lab.js';

const A = '192.0.2.1',
  B = '192.0.2.2';

describe('racoonctl over the admin socket', () => {
  let lab: IkeLab;
  let srv: Server;
  let dir = '';
  afterEach(() => {
    srv?.close();
    lab?.close();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  async function ctl(sock: string, ...args: string[]): Promise<{ code: number; out: string; err: string }> {
    let out = '',
      err = '';
    const code = await runRacoonctl(
      ['-s', sock, ...args],
      (s) => {
        out += s;
      },
      (s) => {
        err += s;
      },
    );
    return { code, out, err };
  }

  it('establish-sa, show-sa, delete-sa, flush-sa, vpn-connect, vpn-disconnect', async () => {
    lab = await ikeLab({
      confA: confFor(B),
      confB: confFor(A),
      policies: (a: Host, b: Host) => policyPair(a, b, `${A}/32`, `${B}/32`, [{ proto: 'esp' }]),
    });
    dir = mkdtempSync(join(tmpdir(), 'uipsec-racoonctl-'));
    const sock = join(dir, 'racoon.sock');
    srv = serveAdmin(lab.a.racoon, sock);
    await new Promise<void>((r) => srv.once('listening', () => r()));
    assert.equal(statSync(sock).mode & 0o777, 0o600);

    const es = ctl(sock, 'establish-sa', 'isakmp', 'inet', A, B);
    assert.deepEqual(await es, { code: 0, out: 'phase 1 msg1-sent\n', err: '' });
    await lab.run();
    const ss = await ctl(sock, 'show-sa', 'isakmp');
    assert.match(ss.out, /^192\.0\.2\.1\.500 192\.0\.2\.2\.500 [0-9a-f]{16}:[0-9a-f]{16} initiator established\n$/);

    lab.a.host.sendEchoRequest(ip(B), 1, 1, new Uint8Array(8));
    await lab.run();
    const esp = await ctl(sock, 'ss', 'esp');
    assert.equal(esp.out.trim().split('\n').length, 2);
    assert.match(esp.out, /192\.0\.2\.2 192\.0\.2\.1 SADB_SATYPE_ESP spi=0x[0-9a-f]+ state=1/);

    assert.equal((await ctl(sock, 'delete-sa', 'isakmp', 'inet', A, B)).code, 0);
    await lab.run();
    assert.equal(lab.a.racoon.ph1s.size, 0);
    assert.equal(lab.b.racoon.ph1s.size, 0, 'the peer got the ISAKMP DELETE');

    assert.equal((await ctl(sock, 'flush-sa', 'esp')).code, 0);
    assert.equal(lab.a.host.sad.dump().length, 0);

    // vpn-connect takes our address from the policy toward the gateway; vpn-disconnect removes everything with it.
    assert.deepEqual(await ctl(sock, 'vc', '-u', 'someone', B), { code: 0, out: 'phase 1 msg1-sent\n', err: '' });
    await lab.run();
    assert.equal(lab.a.racoon.ph1s.size, 1);
    const atB = lab.b.host.sad.dump().length; // b kept the pair flush-sa removed on a only
    lab.a.host.sendEchoRequest(ip(B), 1, 2, new Uint8Array(8));
    await lab.run();
    assert.equal(lab.b.host.sad.dump().length, atB + 2);
    const vd = await ctl(sock, 'vpn-disconnect', B);
    assert.deepEqual(vd, { code: 0, out: '1 IPsec-SA pair(s) and 1 ISAKMP-SA(s) deleted\n', err: '' });
    await lab.run();
    assert.equal(lab.a.host.sad.dump().length, 0);
    assert.equal(lab.b.host.sad.dump().length, atB, 'the peer got the DELETEs');
    assert.equal(lab.b.racoon.ph1s.size, 0);
    const novc = await ctl(sock, 'vc', '198.51.100.1');
    assert.equal(novc.code, 1);
    assert.match(novc.err, /no policy toward that gateway/);
    assert.match((await ctl(sock, 'reload-config')).err, /not available/);

    const stats = await ctl(sock, 'show-stats');
    assert.match(stats.out, /^ph1Established 2$/m);
    assert.match(stats.out, /^halfOpenEvicted 0$/m);
    assert.match(stats.out, /^ikev2\.ikeEstablished 0$/m, 'IKEv2 counters follow');

    const bad = await ctl(sock, 'frobnicate');
    assert.equal(bad.code, 1);
    assert.match(bad.err, /unknown command 'frobnicate'/);
  });
});
