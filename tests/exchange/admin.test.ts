// racoonctl against a live racoon's admin socket (racoon's binary admin protocol): establish-sa isakmp starts
// main mode, show-sa lists the ISAKMP-SA (ipsec-tools' table) and the kernel's ESP SAs, delete-sa isakmp removes
// it (with a DELETE to the peer), flush-sa esp, vpn-connect and vpn-disconnect by gateway address, with the
// events they wait for.
import { strict as assert } from 'node:assert';
import { mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Server } from 'node:net';
import type { AdminServer } from '../../racoon/admin.js';
import { formatSadb } from '../../app/racoonctl.js';
import type { Host } from '../../kernel/host/host.js';
import { serveAdmin } from '../../racoon/admin.js';
import { AdminEvents, attachIkev1Events } from '../../racoon/admin-events.js';
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

  type Fmt = typeof formatSadb;
  async function ctl(sock: string, ...args: (string | Fmt)[]): Promise<{ code: number; out: string; err: string }> {
    let out = '',
      err = '';
    const fmt = args.find((a): a is Fmt => typeof a === 'function');
    const words = args.filter((a): a is string => typeof a === 'string');
    const code = await runRacoonctl(
      ['-s', sock, ...words],
      (s) => {
        out += s;
      },
      (s) => {
        err += s;
      },
      fmt ? { formatSadb: fmt } : {},
    );
    return { code, out, err };
  }

  /** A racoonctl left running (show-event) until its output holds `text`; then its connection is closed. */
  async function ctlUntil(sock: string, text: string, ...args: string[]): Promise<string> {
    let out = '';
    const before = (srv as AdminServer).events.size;
    const done = runRacoonctl(
      ['-s', sock, ...args],
      (s) => (out += s),
      () => {},
    );
    for (let i = 0; i < 100 && (srv as AdminServer).events.size === before; i++)
      await new Promise((r) => setTimeout(r, 10));
    return new Promise((resolve) => {
      const t = setInterval(() => {
        if (!out.includes(text)) return;
        clearInterval(t);
        const seen = out;
        (srv as AdminServer).events.quit(); // racoon stopping ends show-event
        resolve(seen);
      }, 10);
      void done;
    });
  }

  it('establish-sa, show-sa, delete-sa, flush-sa, vpn-connect, vpn-disconnect', async () => {
    lab = await ikeLab({
      confA: confFor(B),
      confB: confFor(A),
      policies: (a: Host, b: Host) => policyPair(a, b, `${A}/32`, `${B}/32`, [{ proto: 'esp' }]),
    });
    dir = mkdtempSync(join(tmpdir(), 'uipsec-racoonctl-'));
    const sock = join(dir, 'racoon.sock');
    const events = new AdminEvents();
    attachIkev1Events(lab.a.racoon.ikev1, events);
    srv = serveAdmin(lab.a.racoon, sock, { events });
    await new Promise<void>((r) => srv.once('listening', () => r()));
    assert.equal(statSync(sock).mode & 0o777, 0o600);

    const es = ctl(sock, 'establish-sa', 'isakmp', 'inet', A, B);
    assert.deepEqual(await es, { code: 0, out: '', err: '' }, 'ipsec-tools prints nothing');
    await lab.run();
    const ss = await ctl(sock, 'show-sa', 'isakmp');
    const table =
      /^Destination {12}Cookies {27}Created\n192\.0\.2\.2\.500 {10}[0-9a-f]{16}:[0-9a-f]{16} \d{4}-\d\d-\d\d \d\d:\d\d:\d\d \n$/;
    assert.match(ss.out, table);
    const ssl = await ctl(sock, '-l', '-l', 'show-sa', 'isakmp');
    assert.match(
      ssl.out.split('\n')[1]!,
      /^192\.0\.2\.1\.500 {33}192\.0\.2\.2\.500 {33}[0-9a-f:]{33} {2}9 I 10 M \S+ \S+ {6}0 $/,
    );
    const js = JSON.parse((await ctl(sock, '--json', 'ss', 'isakmp')).out) as { side: string; status: number }[];
    assert.deepEqual([js[0]!.side, js[0]!.status], ['initiator', 9]);
    assert.deepEqual(await ctl(sock, 'es', 'isakmp', 'inet', A, B), { code: 0, out: '', err: '' }, 'EEXIST: exit 0');

    lab.a.host.sendEchoRequest(ip(B), 1, 1, new Uint8Array(8));
    await lab.run();
    const esp = await ctl(sock, 'ss', 'esp');
    assert.equal(esp.out.trim().split('\n').length, 2);
    assert.match(esp.out, /192\.0\.2\.2 192\.0\.2\.1 SADB_SATYPE_ESP spi=0x[0-9a-f]+ state=1/);
    const espSetkey = (await ctl(sock, 'ss', 'esp', formatSadb)).out;
    assert.match(espSetkey, /192\.0\.2\.2 192\.0\.2\.1 \n\tesp mode=transport spi=\d+\(0x[0-9a-f]{8}\) reqid=/);
    assert.match(espSetkey, /\n\tE: aes-cbc \n\tA: hmac-sha256 \n/, 'the algorithms, not the keys');
    const sad = lab.a.host.sad.dump()[0]!;
    assert.ok(
      !espSetkey.includes(
        Buffer.from(sad.encKey ?? sad.authKey!)
          .toString('hex')
          .slice(0, 8),
      ),
    );

    const watch = ctlUntil(sock, 'Phase 1 deleted', 'show-event');
    assert.equal((await ctl(sock, 'delete-sa', 'isakmp', 'inet', A, B)).code, 0);
    await lab.run();
    assert.equal(lab.a.racoon.ph1s.size, 0);
    assert.equal(lab.b.racoon.ph1s.size, 0, 'the peer got the ISAKMP DELETE');
    assert.equal(await watch, `Phase 1 deleted : ${A}[500] -> ${B}[500]\n`);

    assert.equal((await ctl(sock, 'flush-sa', 'esp')).code, 0);
    assert.equal(lab.a.host.sad.dump().length, 0);

    // vpn-connect takes our address from the policy toward the gateway; vpn-disconnect removes everything with it.
    const vc = ctl(sock, 'vc', B);
    await lab.run();
    assert.deepEqual(await vc, { code: 0, out: 'VPN connexion established\n', err: '' });
    assert.equal(lab.a.racoon.ph1s.size, 1);
    const atB = lab.b.host.sad.dump().length; // b kept the pair flush-sa removed on a only
    lab.a.host.sendEchoRequest(ip(B), 1, 2, new Uint8Array(8));
    await lab.run();
    assert.equal(lab.b.host.sad.dump().length, atB + 2);
    const vd = await ctl(sock, 'vpn-disconnect', B);
    assert.deepEqual(vd, { code: 0, out: `Phase 1 deleted : ${A}[500] -> ${B}[500]\n`, err: '' });
    await lab.run();
    assert.equal(lab.a.host.sad.dump().length, 0);
    assert.equal(lab.b.host.sad.dump().length, atB, 'the peer got the DELETEs');
    assert.equal(lab.b.racoon.ph1s.size, 0);
    const novc = await ctl(sock, 'vc', '198.51.100.1');
    assert.equal(novc.code, 1);
    assert.match(novc.err, /no source address toward that gateway/);
    assert.match((await ctl(sock, 'reload-config')).err, /reload-config: Operation not supported/);

    const stats = await ctl(sock, 'show-stats');
    assert.match(stats.out, /^ph1Established 2$/m);
    assert.match(stats.out, /^halfOpenEvicted 0$/m);
    assert.match(stats.out, /^ikev2\.ikeEstablished 0$/m, 'IKEv2 counters follow');

    const bad = await ctl(sock, 'frobnicate');
    assert.equal(bad.code, 1);
    assert.match(bad.err, /unknown command 'frobnicate'/);
  });
});
