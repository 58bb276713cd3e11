// Traffic through an interop tunnel and what the wire between the two machines shows, for the tests on the
// tests/support/interop-net.ts topology: ping between the protected addresses (cheap, and enough to prove the SAs
// both ways), and the one assertion every such test makes on a tshark capture of the veth — only IKE and ESP
// (in UDP 4500 here, RFC 3948) cross it, never the protected traffic in clear.
import { strict as assert } from 'node:assert';
import type { CapturedFrame, Capture } from './capture.js';
import { nsExec, type InteropNet } from './interop-net.js';

export interface PingResult {
  /** Echo replies of the final counted run (0 when the tunnel never came up). */
  received: number;
  sent: number;
  /** ping's output, for a failure message. */
  out: string;
}

/**
 * Pings `to` (default the peer's protected address) from the uipsec side's protected host (`from: 's'`: the
 * peer's toward ours; `source` for `ping -I`). Single pings first, at most `tries` of them (the first packets only trigger an ACQUIRE
 * and wait for the negotiation), then `count` counted ones.
 */
export async function pingThrough(
  net: InteropNet,
  o: { from?: 'u' | 's'; to?: string; source?: string; count?: number; tries?: number } = {},
): Promise<PingResult> {
  const ns = o.from === 's' ? net.hostS : net.hostU;
  const to = o.to ?? (o.from === 's' ? net.innerU : net.innerS);
  const src = o.source ? ['-I', o.source] : [];
  let out = '';
  for (let i = 0; i < (o.tries ?? 30); i++) {
    const r = await nsExec(ns, ['ping', '-n', ...src, '-c', '1', '-W', '1', to], 15_000);
    out = r.out + r.err;
    if (r.code === 0) break;
  }
  const count = o.count ?? 5;
  const r = await nsExec(ns, ['ping', '-n', ...src, '-c', String(count), '-i', '0.2', '-W', '2', to], 30_000);
  const m = /(\d+) packets transmitted, (\d+) received/.exec(r.out);
  return { sent: Number(m?.[1] ?? 0), received: Number(m?.[2] ?? 0), out: `${out}\n${r.out}${r.err}` };
}

/** Asserts that a ping run got every reply back. */
export async function assertPings(net: InteropNet, o: Parameters<typeof pingThrough>[1] = {}, why = ''): Promise<void> {
  const p = await pingThrough(net, o);
  assert.ok(p.sent > 0 && p.received === p.sent, `ping through the tunnel: ${p.out}${why}`);
}

/**
 * On a capture of the veth between the machines: only UDP 500/4500, no TCP or ICMP in clear, at least `minIke`
 * IKE frames, and at least `minEsp` ESP-in-UDP frames from each of the two outer addresses (RFC 3948: port 4500,
 * non-zero first word).
 */
export function assertOnlyIkeAndEspInUdp(
  cap: Capture,
  ends: { addrU: string; addrS: string },
  o: { minEsp: number; minIke?: number },
): void {
  const frames = cap.frames();
  const ikePort = (f: CapturedFrame) => f.sport === 500 || f.sport === 4500 || f.dport === 500 || f.dport === 4500;
  const has = (f: CapturedFrame, p: string) => f.protocols.includes(p);
  const count = (pred: (f: CapturedFrame) => boolean) => frames.filter(pred).length;
  assert.equal(
    count((f) => !has(f, 'udp') || !ikePort(f)),
    0,
    'only UDP 500/4500 on the veth',
  );
  assert.equal(
    count((f) => has(f, 'tcp') || has(f, 'icmp')),
    0,
    'no cleartext TCP or ICMP',
  );
  assert.ok(count((f) => has(f, 'isakmp')) >= (o.minIke ?? 1), 'IKE on the veth');
  const espFrom = (src: string) => count((f) => has(f, 'esp') && f.sport === 4500 && f.src === src);
  assert.ok(espFrom(ends.addrU) >= o.minEsp, `ESP-in-UDP from uipsec: ${espFrom(ends.addrU)}`);
  assert.ok(espFrom(ends.addrS) >= o.minEsp, `ESP-in-UDP from the peer: ${espFrom(ends.addrS)}`);
}

/** Polls `cond` every 200 ms until it holds, at most `ms` (a bound on the wait, not a figure); throws `what()`. */
export async function pollUntil(
  what: () => string,
  cond: () => boolean | Promise<boolean>,
  ms = 30_000,
): Promise<void> {
  const end = Date.now() + ms;
  while (!(await cond())) {
    if (Date.now() > end) assert.fail(`not within ${ms} ms: ${what()}`);
    await new Promise((r) => setTimeout(r, 200));
  }
}
