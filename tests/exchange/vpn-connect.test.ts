// racoonctl vpn-connect (vc) toward a gateway no policy names yet (a road warrior before mode config gives it an
// address and its phase1_up script the policies): racoon starts phase 1 from the address routing picks, as
// ipsec-tools' racoonctl does (f_vpnc: getlocaladdr, then establish-sa isakmp). And the parser of `ip -j route
// get` that gives the racoon command that address.
import { strict as assert } from 'node:assert';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Server } from 'node:net';
import { formatAddr } from '../../common/inet.js';
import { serveAdmin } from '../../racoon/admin.js';
import { AdminEvents, attachIkev1Events } from '../../racoon/admin-events.js';
import { runRacoonctl } from '../../racoon/racoonctl.js';
import { prefsrcOf, routeSource } from '../../racoon/route-source.js';
import { confFor, ikeLab, ip, type IkeLab } from './ike-lab.js';

const A = '192.0.2.1',
  B = '192.0.2.2';

describe('racoonctl vc toward a gateway without a policy', () => {
  let lab: IkeLab | undefined;
  let srv: Server | undefined;
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
      (s) => (out += s),
      (s) => (err += s),
    );
    return { code, out, err };
  }

  it('phase 1 starts from the routing source and is established; no policy, no SA is made', async () => {
    const asked: string[] = [];
    lab = await ikeLab({
      confA: confFor(B),
      confB: confFor(A),
      policies: () => {},
      // The lab's kernel routing stands in for the machine's (the racoon command asks `ip route get`).
      racoon: {
        routeSource: (dst) => {
          asked.push(formatAddr(dst));
          return lab?.a.host.sourceFor(dst);
        },
      },
    });
    assert.equal(lab.a.racoon.bridge.spd.size, 0, 'no policy at all');
    dir = mkdtempSync(join(tmpdir(), 'uipsec-vc-'));
    const sock = join(dir, 'racoon.sock');
    const events = new AdminEvents(); // as racoon/main.ts wires them: vc waits for phase 1's event
    attachIkev1Events(lab.a.racoon.ikev1, events);
    srv = serveAdmin(lab.a.racoon, sock, { events });
    await new Promise<void>((r) => srv!.once('listening', () => r()));
    // vc waits for phase 1's end (ipsec-tools' racoonctl waits for the mode-config event): the lab carries the
    // messages once racoon has taken the request and sent its first one.
    const vc = ctl(sock, 'vc', B);
    for (let i = 0; i < 200 && asked.length === 0; i++) await new Promise((r) => setTimeout(r, 10));
    assert.deepEqual(asked, [B]);
    await lab.run();
    const done = await vc;
    // No mode config here, so no "Bound to address" line: only the event's line, as ipsec-tools prints it.
    assert.deepEqual(done, { code: 0, out: 'VPN connexion established\n', err: '' });
    const ss = await ctl(sock, 'show-sa', 'isakmp');
    // ipsec-tools' show-sa isakmp table: the peer and the cookies of the one ISAKMP-SA.
    assert.match(ss.out, /^Destination +Cookies +Created\n192\.0\.2\.2\.500 +[0-9a-f]{16}:[0-9a-f]{16} .+\n$/);
    assert.ok(lab.b.log.some((l) => /ISAKMP-SA established 192\.0\.2\.2\[500\]-192\.0\.2\.1\[500\]/.test(l)));
    assert.deepEqual(lab.a.host.sad.dump(), [], 'phase 1 only: no IPsec-SA without a policy');
  });

  it('no route to the gateway: refused with a log line, nothing sent', async () => {
    lab = await ikeLab({
      confA: confFor('198.51.100.1') + confFor(B).replace(/sainfo anonymous[\s\S]*$/, ''),
      confB: confFor(A),
      policies: () => {},
      racoon: { routeSource: (dst) => lab?.a.host.sourceFor(dst) },
    });
    assert.equal(lab.a.racoon.vpnConnect(ip('198.51.100.1')), undefined);
    assert.equal(lab.queue.length, 0);
    assert.ok(lab.a.log.some((l) => l === 'vpn-connect 198.51.100.1: no policy toward it and no route to it'));
  });

  it("`ip -j route get`'s prefsrc, of the destination's family only; garbage gives nothing", () => {
    const v4 = '[{"dst":"192.0.2.2","dev":"eth0","prefsrc":"192.0.2.1","flags":[],"uid":0,"cache":[]}]';
    assert.deepEqual(prefsrcOf(v4, 4), ip('192.0.2.1'));
    assert.equal(prefsrcOf(v4, 16), undefined);
    assert.deepEqual(prefsrcOf('[{"dst":"2001:db8::2","prefsrc":"2001:db8::1"}]', 16), ip('2001:db8::1'));
    for (const bad of ['', 'not json', '{}', '[]', '[{"prefsrc":7}]', '[{"prefsrc":"x.y"}]'])
      assert.equal(prefsrcOf(bad, 4), undefined, bad);
    // On this machine: the loopback route's source is 127.0.0.1 (when the ip command is installed).
    const lo = routeSource(ip('127.0.0.1'));
    if (lo) assert.equal(formatAddr(lo), '127.0.0.1');
  });
});
