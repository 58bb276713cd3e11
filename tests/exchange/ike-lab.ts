// Exchange-test harness: two kernel Hosts on one in-memory wire, each with its KeySock, and a racoon per
// host joined to its kernel only through an in-process PF_KEY transport. IKE datagrams go through a queue
// the test drains one message at a time. RNG and clock are seeded/manual, so SPIs and cookies repeat.
import { ManualClock } from '../../common/clock.js';
import { makeLogger, nullLogger, type Logger } from '../../common/log.js';
import { SeededRng } from '../../common/rng.js';
import { formatAddr } from '../../common/inet.js';
import type { Host } from '../../kernel/host/host.js';
import { KeySock } from '../../kernel/keysock/keysock.js';
import { PfkeyClient } from '../../pfkey/client.js';
import { InprocTransport } from '../../pfkey/transport-inproc.js';
import { parseRacoonConf } from '../../racoon/conf/parser.js';
import { parsePskText } from '../../racoon/psk.js';
import { Racoon, type RacoonOptions } from '../../racoon/daemon.js';
import type { Endpoint } from '../../racoon/engine/datagram.js';
import { attach, ip, makeHost, segment, settle, type Segment } from '../scenarios/lab.js';

export { settle, ip };

export interface Datagram {
  data: Uint8Array;
  from: Endpoint;
  to: Endpoint;
  sender: string;
}

export interface Side {
  name: string;
  addr: string;
  host: Host;
  keysock: KeySock;
  client: PfkeyClient;
  racoon: Racoon;
  log: string[];
}

export interface IkeLab {
  clock: ManualClock;
  seg: Segment;
  a: Side;
  b: Side;
  queue: Datagram[];
  /** Delivers the oldest queued datagram to its receiver, then lets PF_KEY replies run. */
  deliver(): Promise<Datagram>;
  /** Drops the oldest queued datagram (a loss on the path). */
  drop(): Datagram;
  /** Delivers until the queue stays empty (bounded). */
  run(max?: number): Promise<number>;
  /** A racoon restart on one side: the old daemon is closed, a new one (fresh state and RNG) starts. */
  restart(side: 'a' | 'b'): Promise<void>;
  close(): void;
}

export interface LabOptions {
  confA: string;
  confB: string;
  pskA?: string;
  pskB?: string;
  addrA?: string;
  addrB?: string;
  seed?: string;
  /** Set up policies on the kernels before the daemons start (they load them with SPDDUMP). */
  policies(a: Host, b: Host): void;
  racoon?: Partial<RacoonOptions>;
  verbose?: boolean;
}

function logger(lines: string[], verbose: boolean, tag: string): Logger {
  if (!verbose)
    return {
      ...nullLogger,
      level: 'debug',
      enabled: () => true,
      log: (_l, m) => {
        lines.push(m);
      },
    };
  return makeLogger(
    'debug',
    (l) => {
      lines.push(l);
      process.stderr.write(l + '\n');
    },
    tag,
  );
}

export async function ikeLab(o: LabOptions): Promise<IkeLab> {
  const clock = new ManualClock(1_700_000_000_000);
  const seg = segment();
  const queue: Datagram[] = [];
  const addrA = o.addrA ?? '192.0.2.1',
    addrB = o.addrB ?? '192.0.2.2';
  const ha = makeHost('a', clock),
    hb = makeHost('b', clock);
  const plen = addrA.includes(':') ? 64 : 24;
  attach(ha, seg, 'eth0', [`${addrA}/${plen}`]);
  attach(hb, seg, 'eth0', [`${addrB}/${plen}`]);
  o.policies(ha, hb);
  let generation = 0;
  const side = async (
    name: string,
    host: Host,
    addr: string,
    conf: string,
    psk: string,
    pid: number,
    ks?: KeySock,
  ): Promise<Side> => {
    const keysock = ks ?? new KeySock(host);
    const client = new PfkeyClient(new InprocTransport(keysock), { pid, firstSeq: pid * 1000 });
    const parsed = parseRacoonConf(conf, `${name}.conf`);
    if (parsed.errors.length) throw new Error(parsed.errors.map((e) => e.message).join('\n'));
    const log: string[] = [];
    const racoon = new Racoon({
      conf: parsed.conf,
      psk: parsePskText(psk, `${name}.psk`),
      pfkey: client,
      clock,
      rng: new SeededRng(`${o.seed ?? 'ike'}:${name}:${generation}`),
      log: logger(log, o.verbose ?? false, name),
      ike: {
        send: (data, from, to) =>
          queue.push({ data: new Uint8Array(data), from: { ...from }, to: { ...to }, sender: name }),
      },
      ...o.racoon,
    });
    await racoon.start();
    return { name, addr, host, keysock, client, racoon, log };
  };
  let a = await side('a', ha, addrA, o.confA, o.pskA ?? `${addrB} uipsec-secret\n`, 101);
  let b = await side('b', hb, addrB, o.confB, o.pskB ?? `${addrA} uipsec-secret\n`, 202);
  const byAddr = (e: Endpoint) => (formatAddr(e.addr) === addrA ? lab.a : lab.b);
  const lab: IkeLab = {
    clock,
    seg,
    a,
    b,
    queue,
    async deliver() {
      const d = queue.shift();
      if (!d) throw new Error('no datagram queued');
      byAddr(d.to).racoon.input(d.data, d.to, d.from);
      await settle(8);
      return d;
    },
    drop() {
      const d = queue.shift();
      if (!d) throw new Error('no datagram queued');
      return d;
    },
    async run(max = 50) {
      let n = 0;
      await settle(8);
      while (queue.length > 0 && n < max) {
        await lab.deliver();
        n++;
      }
      return n;
    },
    async restart(which) {
      const old = lab[which];
      old.racoon.close();
      old.client.close();
      generation++;
      const fresh =
        which === 'a'
          ? await side('a', ha, addrA, o.confA, o.pskA ?? `${addrB} uipsec-secret\n`, 101 + generation, old.keysock)
          : await side('b', hb, addrB, o.confB, o.pskB ?? `${addrA} uipsec-secret\n`, 202 + generation, old.keysock);
      if (which === 'a') {
        a = fresh;
        lab.a = fresh;
      } else {
        b = fresh;
        lab.b = fresh;
      }
    },
    close() {
      a = lab.a;
      b = lab.b;
      a.racoon.close();
      b.racoon.close();
      a.client.close();
      b.client.close();
      a.keysock.close();
      b.keysock.close();
      ha.close();
      hb.close();
    },
  };
  return lab;
}

/** racoon.conf for one side: main mode PSK to `peer`, and an anonymous sainfo. */
export function confFor(
  peer: string,
  o: {
    enc?: string;
    hash?: string;
    group?: string;
    pfs?: string;
    ph2enc?: string;
    ph2auth?: string;
    comp?: boolean;
    check?: string;
    lifetime?: string;
    ph1life?: string;
    natt?: string;
    /** More statements for the remote section (dpd_delay, ike_frag, ...). */
    remote?: string;
  } = {},
): string {
  return `
timer { counter 3; interval 10 sec; phase1 30 sec; }
remote ${peer} {
  exchange_mode main;
  proposal_check ${o.check ?? 'strict'};
  nat_traversal ${o.natt ?? 'off'};
  lifetime time ${o.ph1life ?? '8 hour'};
  ${o.remote ?? ''}
  proposal {
    encryption_algorithm ${o.enc ?? 'aes 128'};
    hash_algorithm ${o.hash ?? 'sha256'};
    authentication_method pre_shared_key;
    dh_group ${o.group ?? 'modp2048'};
  }
}
sainfo anonymous {
  ${o.pfs ? `pfs_group ${o.pfs};` : ''}
  lifetime time ${o.lifetime ?? '1 hour'};
  encryption_algorithm ${o.ph2enc ?? 'aes 128'};
  authentication_algorithm ${o.ph2auth ?? 'hmac_sha256'};
  ${o.comp ? 'compression_algorithm deflate;' : ''}
}
`;
}
