// Two hosts as the racoon end-to-end tests run them, each program a separate process: uipsecd (PF_KEY and IKE
// channel on Unix sockets, packets on a UDP underlay between 127.0.0.1 ports), setkey, racoon and racoonctl,
// started through racoon-launch (from source or from dist alike).
//
//   host a: uipsecd 10.0.0.1/24 + racoon   ==== UDP underlay 127.0.0.1:PA <-> 127.0.0.1:PB ====   host b
import { spawn, type ChildProcess } from 'node:child_process';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { PfkeyClient } from '../../pfkey/client.js';
import { UnixTransport } from '../../pfkey/transport-unix.js';
import * as P from '../../pfkey/constants.js';
import { parseAddr } from '../../common/inet.js';

const here = fileURLToPath(import.meta.url);
const fromSource = here.endsWith('.ts');
const launcher = join(here, '..', fromSource ? 'racoon-launch.ts' : 'racoon-launch.js');

export const A = '10.0.0.1';
export const B = '10.0.0.2';
export const ip = (s: string) => parseAddr(s)!;
export const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** One host of the pair: its addresses, underlay ports and socket paths in `dir`. */
export interface PairHost {
  name: 'a' | 'b';
  addr: string;
  peer: string;
  port: number;
  peerPort: number;
  sock: string;
  ike: string;
  admin: string;
}

/** Host a (10.0.0.1) and host b (10.0.0.2), underlay ports base and base+1, sockets in `dir`. */
export function pairHosts(dir: string, base: number): [PairHost, PairHost] {
  const h = (name: 'a' | 'b', addr: string, peer: string, port: number, peerPort: number): PairHost => ({
    name,
    addr,
    peer,
    port,
    peerPort,
    sock: join(dir, `${name}.pfkey`),
    ike: join(dir, `${name}.ike`),
    admin: join(dir, `${name}.admin`),
  });
  return [h('a', A, B, base, base + 1), h('b', B, A, base + 1, base)];
}

/** Starts one of our programs (uipsecd, racoon, racoonctl, setkey); its output goes to `log`. */
export function run(program: string, args: string[], log: string[]): ChildProcess {
  const p = spawn(process.execPath, [...(fromSource ? ['--import', 'tsx'] : []), launcher, program, ...args], {
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  p.stdout!.on('data', (c: Buffer) => log.push(c.toString()));
  p.stderr!.on('data', (c: Buffer) => log.push(c.toString()));
  return p;
}

/** uipsecd's arguments for a host of the pair, as a user starts it; `extra` appended (e.g. --load FILE). */
export function uipsecdArgs(h: PairHost, extra: string[] = []): string[] {
  return [
    ...['-s', h.sock, '--ike-socket', h.ike, '--name', h.name, '-a', `${h.addr}/24`],
    ...['-u', `127.0.0.1:${h.port}`, '--neighbour', `${h.peer}=127.0.0.1:${h.peerPort}`],
    ...extra,
  ];
}

/** The transport-mode `require` policies between the two addresses, as a `setkey -f` file. */
export const transportPolicies = (h: PairHost) =>
  `spdadd ${h.addr} ${h.peer} any -P out ipsec esp/transport//require;\n` +
  `spdadd ${h.peer} ${h.addr} any -P in ipsec esp/transport//require;\n`;

/** The mature and dying SAs in a uipsecd (PF_KEY DUMP over its socket); none when it cannot be reached. */
export async function liveSas(sock: string): Promise<{ src: string; spi: number }[]> {
  let c: PfkeyClient | undefined;
  try {
    c = new PfkeyClient(await UnixTransport.connect(sock), { pid: 40000 + Math.floor(Math.random() * 10000) });
    const all = await c.dumpAll(P.SADB_DUMP);
    return all
      .filter((m) => m.ext.sa?.state === P.SADB_SASTATE_MATURE || m.ext.sa?.state === P.SADB_SASTATE_DYING)
      .map((m) => ({ src: Buffer.from(m.ext.addressSrc!.addr.addr).join('.'), spi: m.ext.sa!.spi >>> 0 }));
  } catch {
    return [];
  } finally {
    c?.close();
  }
}

/**
 * Polls `cond` until it holds. No wall-clock limit (mocha's timeout applies); `failed` names a dead process
 * (then it throws at once with `log()`), and every 10 s of waiting says what it waits for.
 */
export async function until(
  what: string,
  cond: () => boolean | Promise<boolean>,
  failed: () => string | undefined,
  log: () => string,
): Promise<void> {
  for (let i = 0; ; i++) {
    if (await cond()) return;
    const dead = failed();
    if (dead) throw new Error(`${dead} while waiting for ${what}:\n${log()}`);
    if (i > 0 && i % 200 === 0) process.stderr.write(`still waiting for ${what}\n`);
    await sleep(50);
  }
}
