// Two hosts on one in-memory segment (a 192.0.2.1, b 192.0.2.2, and 2001:db8::1/2), optionally with transport
// ESP between them, a UDP receiver on b, and an extension made of plain functions: what the extension tests share.
import { ManualClock } from '../../../common/clock.js';
import type { Host } from '../../../kernel/host/host.js';
import type { Extension, ExtensionContext } from '../../../kernel/ext/extension.js';
import { attach, makeHost, segment, addSaPair, policyPair, type Segment } from '../../scenarios/lab.js';

export const A = '192.0.2.1',
  B = '192.0.2.2',
  A6 = '2001:db8::1',
  B6 = '2001:db8::2';

export interface Pair {
  a: Host;
  b: Host;
  seg: Segment;
  clock: ManualClock;
  close(): void;
}

export function pair(opts: { esp?: boolean } = {}): Pair {
  const clock = new ManualClock(1_700_000_000_000);
  const seg = segment();
  const a = makeHost('a', clock),
    b = makeHost('b', clock);
  attach(a, seg, 'eth0', [`${A}/24`, `${A6}/64`]);
  attach(b, seg, 'eth0', [`${B}/24`, `${B6}/64`]);
  if (opts.esp) {
    addSaPair([a, b], { proto: 'esp' }, A, B, 0x100);
    policyPair(a, b, `${A}/32`, `${B}/32`, [{ proto: 'esp' }]);
  }
  return {
    a,
    b,
    seg,
    clock,
    close: () => {
      a.close();
      b.close();
    },
  };
}

/** An extension from functions. */
export function ext(
  name: string,
  start: (ctx: ExtensionContext) => void,
  stop?: (ctx: ExtensionContext) => void,
): Extension {
  return { name, start, stop };
}

/** Datagrams a socket bound on `port` of `h` received, as text. */
export function inbox(h: Host, port: number): string[] {
  const got: string[] = [];
  const s = h.udpSocket();
  s.bind(port);
  s.onMessage((d) => got.push(Buffer.from(d).toString()));
  return got;
}

export const text = (s: string): Uint8Array => new TextEncoder().encode(s);
