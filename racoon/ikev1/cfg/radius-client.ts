// A small RADIUS client (RFC 2865 §2.5 retransmission, §3 response checks): one UDP socket per exchange, each
// configured server tried in order, `retries` sends of the same packet per server `timeout` apart, so one
// exchange lasts at most servers × retries × timeout. A datagram from elsewhere or one that fails the
// authenticator checks is ignored (a forged Reject cannot end a login early, nor a forged Accept open it).
import { createSocket, type Socket } from 'node:dgram';
import { isIPv6 } from 'node:net';
import type { Clock } from '../../../common/clock.js';
import { randomBytes, type Rng } from '../../../common/rng.js';
import { verifyResponse, type RadiusPacket } from './radius-codec.js';

/** One server as the client uses it (radiuscfg auth/acct; RFC 2865 §3 port 1812, RFC 2866 §3 port 1813). */
export interface RadiusTarget {
  host: string;
  port: number;
  secret: Uint8Array;
}

export interface RadiusClientOpts {
  clock: Clock;
  rng: Rng;
  timeoutMs: number;
  retries: number;
  /** Access-Accept/Reject must carry a Message-Authenticator (RFC 3579 §3.2; CVE-2024-3596). */
  requireMessageAuth: boolean;
  /** Checks that failed on received datagrams (forged or wrong secret), for the caller's log. */
  onBad?(why: string): void;
}

/** The request for a server: its bytes (the Request Authenticator is bytes 4..19). */
export type RadiusBuild = (identifier: number, target: RadiusTarget) => Uint8Array;

/** At most this many sends per server, whatever radiuscfg says (racoon's libradius: the same order). */
export const RADIUS_MAX_TRIES = 10;

/** Sends `build`'s request to each target in turn until one answers; a string says why none did. */
export async function radiusExchange(
  targets: readonly RadiusTarget[],
  build: RadiusBuild,
  o: RadiusClientOpts,
): Promise<{ packet: RadiusPacket; target: RadiusTarget } | string> {
  if (targets.length === 0) return 'no RADIUS server configured';
  const why: string[] = [];
  for (const t of targets) {
    const r = await askOne(t, build, o);
    if (typeof r !== 'string') return { packet: r, target: t };
    why.push(`${t.host}:${t.port}: ${r}`);
  }
  return why.join('; ');
}

function askOne(t: RadiusTarget, build: RadiusBuild, o: RadiusClientOpts): Promise<RadiusPacket | string> {
  const id = randomBytes(o.rng, 1)[0]!;
  const wire = build(id, t);
  const reqAuth = wire.slice(4, 20);
  const tries = Math.max(1, Math.min(RADIUS_MAX_TRIES, o.retries));
  return new Promise((resolve) => {
    let sock: Socket | undefined;
    let cancel: (() => void) | undefined;
    let sent = 0;
    const finish = (r: RadiusPacket | string) => {
      cancel?.();
      cancel = undefined;
      sock?.close();
      sock = undefined;
      resolve(r);
    };
    const send = () => {
      if (!sock) return;
      if (sent >= tries) return finish(`no answer after ${tries} tries`);
      sent++;
      sock.send(wire, t.port, t.host, (err) => err && finish(`send: ${err.message}`));
      cancel = o.clock.setTimer(o.timeoutMs, send);
    };
    sock = createSocket(isIPv6(t.host) ? 'udp6' : 'udp4');
    sock.on('error', (err) => finish(`socket: ${err.message}`));
    sock.on('message', (msg, rinfo) => {
      if (rinfo.port !== t.port) return;
      const p = verifyResponse(new Uint8Array(msg), id, reqAuth, t.secret, o.requireMessageAuth && wire[0] === 1);
      if (typeof p === 'string') return o.onBad?.(`${t.host}:${t.port}: ${p}`);
      finish(p);
    });
    sock.bind(0, () => send());
  });
}
