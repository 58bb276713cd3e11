// NAT-T scenario helpers: two hosts on real NattSockets (127.0.0.1 and 127.0.0.2, ephemeral ports) and ESP
// SA/policy pairs with RFC 3948 ports, shared by the NAT-T scenario and the tshark interop test.
import { NattSocket, type NattEndpoint } from '../../kernel/link/natt-socket.js';
import { Host } from '../../kernel/host/host.js';
import { SeededRng } from '../../common/rng.js';
import type { Link } from '../../kernel/link/link.js';
import { saParams, policyPair } from './lab.js';

export interface NattPair {
  a: Host;
  b: Host;
  na: NattSocket;
  nb: NattSocket;
  ikeA: [Uint8Array, NattEndpoint][];
  ikeB: [Uint8Array, NattEndpoint][];
  close(): void;
}

/** Hosts a (127.0.0.1, 10.8.0.1) and b (127.0.0.2, 10.8.0.2) on NAT-T sockets with ephemeral ports. */
export async function nattPair(wrap: (l: Link, name: string) => Link = (l) => l): Promise<NattPair> {
  const ikeA: [Uint8Array, NattEndpoint][] = [],
    ikeB: [Uint8Array, NattEndpoint][] = [];
  const na = await NattSocket.open({ bind: { host: '127.0.0.1', port: 0 }, onIke: (m, f) => ikeA.push([m, f]) });
  const nb = await NattSocket.open({ bind: { host: '127.0.0.2', port: 0 }, onIke: (m, f) => ikeB.push([m, f]) });
  const a = new Host({ name: 'a', rng: new SeededRng('na') });
  const b = new Host({ name: 'b', rng: new SeededRng('nb') });
  a.addInterface('natt0', wrap(na, 'a'), ['127.0.0.1/8', '10.8.0.1/24']);
  b.addInterface('natt0', wrap(nb, 'b'), ['127.0.0.2/8', '10.8.0.2/24']);
  a.addEncapPort(na.encapPort); // wrapped links hide the property; harmless when already added
  b.addEncapPort(nb.encapPort);
  return {
    a,
    b,
    na,
    nb,
    ikeA,
    ikeB,
    close: () => {
      a.close();
      b.close();
    },
  };
}

/** ESP SAs with NAT-T ports between 127.0.0.1 and 127.0.0.2, and require policies for `inner` addresses. */
export function nattEsp(
  p: NattPair,
  mode: 'transport' | 'tunnel',
  spi: number,
  enc = 'aes-gcm-16',
  auth?: string,
): void {
  const pa = p.na.encapPort,
    pb = p.nb.encapPort;
  for (const h of [p.a, p.b]) {
    h.sad.add(
      saParams({ proto: 'esp', mode, enc, auth, natt: { sport: pa, dport: pb } }, '127.0.0.1', '127.0.0.2', spi),
    );
    h.sad.add(
      saParams({ proto: 'esp', mode, enc, auth, natt: { sport: pb, dport: pa } }, '127.0.0.2', '127.0.0.1', spi + 1),
    );
  }
  if (mode === 'transport') policyPair(p.a, p.b, '127.0.0.1/32', '127.0.0.2/32', [{ proto: 'esp' }]);
  else
    policyPair(p.a, p.b, '10.8.0.1/32', '10.8.0.2/32', [
      { proto: 'esp', mode: 'tunnel', tunnel: ['127.0.0.1', '127.0.0.2'] },
    ]);
}
