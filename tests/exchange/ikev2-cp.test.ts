// Exchange test of the IKEv2 configuration payload (RFC 7296 §2.19, §3.15): a roadwarrior racoon (`mode_cfg on`)
// and a server racoon (a `mode_cfg { }` pool), two kernels, one message at a time. The client's policy says
// `0.0.0.0/0 -> 192.0.2.2/32` (it has no address of its own for the tunnel yet); its IKE_AUTH carries
// CP(CFG_REQUEST), the server leases 10.77.0.10, answers CP(CFG_REPLY) and narrows TSi to that address; the
// client's phase1_up script gets INTERNAL_ADDR4...; traffic from the address passes; the lease survives an
// IKE SA rekey and returns to the pool with the IKE SA; an exhausted pool answers INTERNAL_ADDRESS_FAILURE.
//
//   a 192.0.2.1 (client, racoon a) ==== memwire ==== b 192.0.2.2 (server, racoon b, pool 10.77.0.10+2)
import { strict as assert } from 'node:assert';
import type { Host } from '../../kernel/host/host.js';
import { existingPool, sharedPool } from '../../racoon/ikev1/cfg/pool.js';
import { DeleteIkeI } from '../../racoon/ikev2/exchanges/informational.js';
import { RekeyIkeI } from '../../racoon/ikev2/exchanges/rekey-ike.js';
import { selectorText } from '../../racoon/ikev2/selectors.js';
import type { ScriptEvent } from '../../racoon/script-hooks.js';
import { ikeLab, ip, settle, type IkeLab } from './ike-lab.js';
import { v2Conf } from './ikev2-conf.js';

const A = '192.0.2.1',
  B = '192.0.2.2',
  VIP = '10.77.0.10';

const SERVER_CFG = `mode_cfg {
  network4 ${VIP}; netmask4 255.255.255.0; pool_size 2;
  dns4 10.77.0.53; wins4 10.77.0.54; split_network include 10.2.0.0/16;
  default_domain "corp.example";
}
`;

/** Client: any source to the server (tunnel a-b); server: the pool's network to itself (tunnel b-a). */
function policies(a: Host, b: Host): void {
  const req = (src: string, dst: string) => [
    { proto: 'esp' as const, mode: 'tunnel' as const, level: 'require' as const, src, dst },
  ];
  a.spd.addPolicy({ src: '0.0.0.0/0', dst: `${B}/32`, dir: 'out', action: 'ipsec', requests: req(A, B) });
  a.spd.addPolicy({ src: `${B}/32`, dst: '0.0.0.0/0', dir: 'in', action: 'ipsec', requests: req(B, A) });
  b.spd.addPolicy({ src: `${B}/32`, dst: '10.77.0.0/24', dir: 'out', action: 'ipsec', requests: req(B, A) });
  b.spd.addPolicy({ src: '10.77.0.0/24', dst: `${B}/32`, dir: 'in', action: 'ipsec', requests: req(A, B) });
}

interface Ran {
  event: ScriptEvent;
  env: Record<string, string>;
}

function logs(lab: IkeLab): string {
  return `--- a\n${lab.a.log.join('\n')}\n--- b\n${lab.b.log.join('\n')}`;
}

async function rwLab(ran: Ran[], clientExtra = ''): Promise<IkeLab> {
  return ikeLab({
    confA: v2Conf(B, {
      extra: `mode_cfg on; script "/etc/racoon/up.sh" phase1_up; script "/etc/racoon/down.sh" phase1_down; ${clientExtra}`,
    }),
    confB: SERVER_CFG + v2Conf(A, { extra: 'script "/etc/racoon/srv-up.sh" phase1_up;' }),
    policies,
    racoon: { scripts: { run: (_path, event, env) => ran.push({ event, env }) } },
  });
}

const childTs = (lab: IkeLab, side: 'a' | 'b') =>
  [...lab[side].racoon.ikev2.children.all].map(
    (c) => `${c.tsi.map(selectorText).join(',')} === ${c.tsr.map(selectorText).join(',')}`,
  );

/** A datagram from the leased address to the server; true when the server's inbound SA counted it. */
async function fromLeased(lab: IkeLab): Promise<boolean> {
  const inbound = () => lab.b.host.sad.dump().find((s) => Buffer.from(s.dst).join('.') === B);
  const before = inbound()?.current.bytes ?? 0;
  lab.a.host.sendIp(ip(B), 17, new Uint8Array(16), undefined, ip(VIP));
  await settle(8);
  return (inbound()?.current.bytes ?? 0) > before;
}

describe('exchange: IKEv2 configuration payload (roadwarrior, both roles)', function () {
  let lab: IkeLab;
  afterEach(() => lab?.close());

  it('CFG_REQUEST in IKE_AUTH -> a leased address, TSi narrowed to it, phase1_up with INTERNAL_ADDR4', async () => {
    const ran: Ran[] = [];
    lab = await rwLab(ran);
    lab.a.host.sendIp(ip(B), 17, new Uint8Array(8), undefined, ip(A));
    await settle(8);
    await lab.deliver(); // IKE_SA_INIT request
    await lab.deliver(); // response
    // The server sees the CP in the IKE_AUTH request (decrypted there): we check what it did with it.
    await lab.deliver();
    assert.match(lab.b.log.join('\n'), new RegExp(`CP: address ${VIP} given to ${A}`), logs(lab));
    assert.deepEqual(childTs(lab, 'b'), [`${VIP} === ${B}`], 'the server narrowed TSi 0.0.0.0/0 to the address');
    await lab.deliver(); // IKE_AUTH response
    assert.match(lab.a.log.join('\n'), new RegExp(`CP: got address ${VIP} from ${B}`), logs(lab));
    assert.deepEqual(childTs(lab, 'a'), [`${VIP} === ${B}`], 'the client accepted the narrowed TSi');
    const [ike] = lab.a.racoon.ikev2.ikes.all();
    const r = ike!.cfg!.result;
    assert.deepEqual(
      [r.addr4, r.mask4, r.dns4, r.wins4].map((x) => (Array.isArray(x) ? x.map((y) => y.join('.')) : x?.join('.'))),
      [VIP, '255.255.255.0', ['10.77.0.53'], ['10.77.0.54']],
    );
    const up = ran.filter((x) => x.event === 'phase1_up');
    assert.equal(up.length, 2, 'client and server each ran phase1_up once');
    const env = up.find((x) => x.env.REMOTE_ADDR === B)!.env;
    assert.equal(env.INTERNAL_ADDR4, VIP);
    assert.equal(env.INTERNAL_CIDR4, '24');
    assert.equal(env.INTERNAL_DNS4, '10.77.0.53');
    assert.equal(env.SPLIT_INCLUDE_CIDR, '10.2.0.0/16');
    assert.equal(env.DEFAULT_DOMAIN, 'corp.example');
    assert.equal(env.IKE_VERSION, '2');
    // The server's script sees the address it gave (racoon isakmp_cfg_setenv does the same for IKEv1).
    assert.equal(up.find((x) => x.env.REMOTE_ADDR === A)!.env.INTERNAL_ADDR4, VIP);
    assert.equal(await fromLeased(lab), true, 'ESP from the leased address reached the server');
    assert.equal(existingPool(lab.b.racoon.ikev2.ctx)?.inUse(), 1);
    // racoonctl show-sa ike names the address on both ends.
    assert.match(
      lab.a.racoon.showIkev2()[0]!,
      new RegExp(`IKEv2 I established .* children 1 address ${VIP} received$`),
    );
    assert.match(lab.b.racoon.showIkev2()[0]!, new RegExp(`IKEv2 R established .* children 1 address ${VIP} given$`));
  });

  it('the lease follows an IKE SA rekey and returns to the pool with the IKE SA (Delete)', async () => {
    const ran: Ran[] = [];
    lab = await rwLab(ran);
    lab.a.host.sendIp(ip(B), 17, new Uint8Array(8), undefined, ip(A));
    await lab.run();
    const pool = existingPool(lab.b.racoon.ikev2.ctx)!;
    const [old] = lab.a.racoon.ikev2.ikes.all();
    lab.a.racoon.ikev2.queue(old!, new RekeyIkeI(lab.a.racoon.ikev2, old!));
    await lab.run();
    assert.equal(lab.b.racoon.ikev2.stats.ikeRekeyed, 1, logs(lab));
    const live = lab.b.racoon.ikev2.ikes.all().filter((s) => s.state === 'established');
    assert.equal(live.length, 1, logs(lab));
    assert.equal(live[0]!.cfg?.result.addr4?.join('.'), VIP, 'the new IKE SA holds the lease');
    assert.equal(pool.inUse(), 1);
    assert.doesNotMatch(lab.b.log.join('\n'), /released/, 'the old IKE SA went without taking the address');
    assert.equal(ran.filter((x) => x.event === 'phase1_down').length, 0, 'a rekey is no phase1_down');
    assert.equal(await fromLeased(lab), true);
    const [cur] = lab.a.racoon.ikev2.ikes.all().filter((s) => s.state === 'established');
    lab.a.racoon.ikev2.queue(cur!, new DeleteIkeI(lab.a.racoon.ikev2, cur!, 'test'));
    await lab.run();
    assert.match(lab.b.log.join('\n'), new RegExp(`CP: address ${VIP} released`), logs(lab));
    assert.equal(pool.inUse(), 0);
    const down = ran.filter((x) => x.event === 'phase1_down' && x.env.REMOTE_ADDR === B);
    assert.equal(down.length, 1, 'the client ran phase1_down (its script removes the address)');
    assert.equal(down[0]!.env.INTERNAL_ADDR4, VIP);
  });

  it('a roadwarrior that restarts (INITIAL_CONTACT) gets its address back; the old lease is released first', async () => {
    lab = await rwLab([]);
    lab.a.host.sendIp(ip(B), 17, new Uint8Array(8), undefined, ip(A));
    await lab.run();
    await lab.restart('a'); // the client forgets everything (a reboot: its SAs too); IKE_AUTH says INITIAL_CONTACT
    lab.a.host.sad.flush();
    lab.a.host.sendIp(ip(B), 17, new Uint8Array(8), undefined, ip(A));
    await lab.run();
    const given = lab.b.log.filter((l) => l.startsWith(`CP: address ${VIP} given`));
    assert.equal(given.length, 2, logs(lab));
    assert.match(lab.b.log.join('\n'), new RegExp(`CP: address ${VIP} released`));
    assert.equal(existingPool(lab.b.racoon.ikev2.ctx)?.inUse(), 1);
    assert.deepEqual(childTs(lab, 'a'), [`${VIP} === ${B}`]);
  });

  it('an exhausted pool: INTERNAL_ADDRESS_FAILURE, the IKE SA stands without a child', async () => {
    lab = await rwLab([]);
    const pool = sharedPool(lab.b.racoon.ikev2.ctx, ip(VIP), 2);
    pool.alloc(900_001);
    pool.alloc(900_002); // another client (IKEv1 or IKEv2) holds each address
    lab.a.host.sendIp(ip(B), 17, new Uint8Array(8), undefined, ip(A));
    await lab.run();
    assert.match(lab.b.log.join('\n'), /CP: no address left in the pool \(pool_size 2\)/);
    assert.match(lab.a.log.join('\n'), /CP: \S+ sent no CFG_REPLY: no address/);
    assert.deepEqual(
      lab.a.racoon.ikev2.ikes.all().map((s) => s.state),
      ['established'],
    );
    assert.equal(lab.a.racoon.ikev2.children.all.size, 0, logs(lab));
    assert.equal(lab.b.host.sad.dump().length, 0);
    assert.equal(lab.b.racoon.stats.cfgPoolExhausted, 1);
  });

  it('a server without a mode_cfg section ignores the CP; the child follows its policy only', async () => {
    lab = await ikeLab({
      confA: v2Conf(B, { extra: 'mode_cfg on;' }),
      confB: v2Conf(A),
      policies,
    });
    lab.a.host.sendIp(ip(B), 17, new Uint8Array(8), undefined, ip(A));
    await lab.run();
    assert.match(lab.b.log.join('\n'), /CP CFG_REQUEST from 192\.0\.2\.1 ignored: no mode_cfg section/);
    assert.match(lab.a.log.join('\n'), /sent no CFG_REPLY/);
    // Without a lease the server does not narrow to an address: TSi stays within its policy's 10.77.0.0/24,
    // which the client's 0.0.0.0/0 is narrowed to (§2.9).
    assert.deepEqual(childTs(lab, 'b'), [`10.77.0.0-10.77.0.255 === ${B}`], logs(lab));
  });
});
