// The demo's --racoon keying: policies from setkey text, then one racoon per host (IKEv1 main mode + quick
// mode, RFC 2409, pre-shared key) joined to its kernel only through an in-process PF_KEY socket. IKE
// travels as real UDP/500 datagrams through each host's stack (a socket with a privileged bypass policy,
// as racoon's IKE sockets have), so the negotiation shows on the wire tap too.
import { SeededRng } from '../common/rng.js';
import { nullLogger } from '../common/log.js';
import { formatAddr } from '../common/inet.js';
import { createSocketPolicy } from '../kernel/spd/spd.js';
import { PfkeyClient } from '../pfkey/client.js';
import { InprocTransport } from '../pfkey/transport-inproc.js';
import { parseRacoonConf } from '../racoon/conf/parser.js';
import { parsePskText } from '../racoon/psk.js';
import { Racoon } from '../racoon/daemon.js';
import { DEMO_ADDR } from './demo-config.js';
import type { Lab } from './lab.js';
import { settle } from './lab.js';

const IKE_PORT = 500;
/** Demo pre-shared key (RFC 2409 §5.4); never a real secret. */
export const DEMO_PSK = 'uipsec-demo-secret';
/** Wall-clock bound on the negotiation (DH MODP-2048 twice per side takes tens of milliseconds). */
const NEGOTIATION_WAIT_MS = 10_000;

interface Checker {
  check(ok: boolean, what: string): boolean;
}
interface Out {
  out(s: string): void;
}

/** racoon.conf for one side: main mode with PSK to `peer`, AES-128/SHA-256/MODP-2048, anonymous sainfo. */
export function demoRacoonConf(peer: string): string {
  return `remote ${peer} {
  exchange_mode main;
  proposal_check obey;
  lifetime time 8 hour;
  proposal {
    encryption_algorithm aes 128;
    hash_algorithm sha256;
    authentication_method pre_shared_key;
    dh_group modp2048;
  }
}
sainfo anonymous {
  lifetime time 1 hour;
  encryption_algorithm aes 128;
  authentication_algorithm hmac_sha256;
}
`;
}

/** Policies only: the SAs come from racoon. */
export function demoPolicyScript(self: 'a' | 'b'): string {
  const [me, peer] = self === 'a' ? [DEMO_ADDR.a, DEMO_ADDR.b] : [DEMO_ADDR.b, DEMO_ADDR.a];
  return `spdflush;\nflush;\nspdadd ${me} ${peer} any -P out ipsec esp/transport//require;\nspdadd ${peer} ${me} any -P in ipsec esp/transport//require;\n`;
}

async function startRacoon(lab: Lab, name: 'a' | 'b', peer: string): Promise<{ racoon: Racoon; stop: () => void }> {
  const h = lab.get(name);
  const parsed = parseRacoonConf(demoRacoonConf(peer), `${name}-racoon.conf`);
  if (parsed.errors.length) throw new Error(parsed.errors.map((e) => e.message).join('\n'));
  const sock = h.host.udpSocket();
  sock.bind(IKE_PORT);
  sock.setPolicy(createSocketPolicy({ privileged: true, in: { action: 'bypass' }, out: { action: 'bypass' } }));
  const pfkey = new PfkeyClient(new InprocTransport(h.keysock), { pid: name === 'a' ? 501 : 502 });
  const racoon = new Racoon({
    conf: parsed.conf,
    psk: parsePskText(`${peer} ${DEMO_PSK}\n`, `${name}-psk.txt`),
    pfkey,
    clock: h.host.clock,
    rng: lab.seeded ? new SeededRng(`racoon:${name}`) : h.host.rng,
    log: nullLogger,
    ike: {
      send: (data, _from, to) => {
        sock.send(data, to.addr, to.port);
      },
    },
  });
  sock.onMessage((data, from) =>
    racoon.input(data, { addr: from.local, port: IKE_PORT }, { addr: from.address, port: from.port }),
  );
  await racoon.start();
  let stopped = false;
  const stop = () => {
    if (stopped) return;
    stopped = true;
    racoon.close();
    pfkey.close();
    sock.close();
  };
  lab.onClose(stop);
  return { racoon, stop };
}

/** Loads the policies, starts both racoons, triggers an ACQUIRE and waits for the SAs; returns a stopper. */
export async function negotiateWithRacoon(lab: Lab, io: Out, ck: Checker): Promise<() => void> {
  io.out('\n== 2. Policies from setkey text; SAs negotiated by racoon (IKEv1, PSK) ==\n');
  for (const name of ['a', 'b'] as const) {
    const r = await lab.setkey(name, ['-f', `${name}.conf`], { [`${name}.conf`]: demoPolicyScript(name) });
    ck.check(r.code === 0, `setkey -f ${name}.conf (policies only): exit ${r.code}`);
  }
  const { racoon: ra, stop: stopA } = await startRacoon(lab, 'a', DEMO_ADDR.b);
  const { racoon: rb, stop: stopB } = await startRacoon(lab, 'b', DEMO_ADDR.a);
  // The first packet needs an SA: the kernel drops it and sends ACQUIRE to racoon a (fail closed).
  const a = lab.get('a').host,
    b = lab.get('b').host;
  const sent = a.udpSocket().send(new TextEncoder().encode('trigger'), DEMO_ADDR.b, 9);
  const start = Date.now();
  const ready = () =>
    [a, b].every((h) => h.sad.dump().filter((s) => s.state === 'mature' && s.proto === 'esp').length >= 2);
  while (!ready() && Date.now() - start < NEGOTIATION_WAIT_MS) {
    await settle(4);
    await new Promise((r) => setTimeout(r, 5));
  }
  const ms = Date.now() - start;
  ck.check(
    !sent && a.stats.get('ips_out_nosa') === 1,
    'a sends one datagram: no SA yet, so its kernel drops it (ips_out_nosa 1) and asks racoon a (SADB_ACQUIRE)',
  );
  io.out(
    `  racoon a: ${ra.stats.ph1Established} phase 1 and ${ra.stats.ph2Established} phase 2 established; racoon b: ${rb.stats.ph1Established} and ${rb.stats.ph2Established}\n`,
  );
  const spis = a.sad
    .dump()
    .map((s) => `${formatAddr(s.src)}->${formatAddr(s.dst)} spi 0x${s.spi.toString(16).padStart(8, '0')}`);
  io.out(`  SAs in a's kernel: ${spis.join(', ')}\n`);
  ck.check(ready(), `ACQUIRE -> main mode -> quick mode -> SAs installed on both hosts (${ms} ms)`);
  return () => {
    stopA();
    stopB();
  };
}
