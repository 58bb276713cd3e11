// Small helpers for the IKEv2 exchange tests that drive two racoons one message at a time (ikev2-*.test.ts).
import { strict as assert } from 'node:assert';
import type { Host } from '../../kernel/host/host.js';
import { IKEV2_EXCHANGE_NAMES, IKEV2_PAYLOAD_NAMES, nameOf } from '../../racoon/ikev2/constants.js';
import { decodeIkev2Message } from '../../racoon/ikev2/message.js';
import type { ChildSa } from '../../racoon/ikev2/records.js';
import { policyPair } from '../scenarios/lab.js';
import { ip, settle, type IkeLab } from './ike-lab.js';

export const A = '192.0.2.1',
  B = '192.0.2.2';

/** The kernel's SAD as "proto src->dst state" lines, sorted. */
export function sas(h: Host): string[] {
  return h.sad
    .dump()
    .map((s) => `${s.proto} ${Buffer.from(s.src).join('.')}->${Buffer.from(s.dst).join('.')} ${s.state}`)
    .sort();
}

/** Exchange type, R flag and the clear payload types of a queued datagram. */
export function shape(d: { data: Uint8Array }): string {
  const m = decodeIkev2Message(d.data).value;
  const r = m.header.flags & 0x20 ? 'response' : 'request';
  const p = m.payloads.map((x) => nameOf(IKEV2_PAYLOAD_NAMES, x.type)).join(',');
  return `${nameOf(IKEV2_EXCHANGE_NAMES, m.header.exchangeType)} ${r} ${p}`;
}

export function ikeStates(lab: IkeLab, side: 'a' | 'b'): string[] {
  return lab[side].racoon.ikev2.ikes.all().map((s) => s.state);
}

export function children(lab: IkeLab, side: 'a' | 'b'): ChildSa[] {
  return [...lab[side].racoon.ikev2.children.all];
}

export function childStates(lab: IkeLab, side: 'a' | 'b'): string[] {
  return children(lab, side).map((c) => `${c.initiator ? 'I' : 'R'}:${c.state}`);
}

/** ESP between A and B only. */
export const esp = (a: Host, b: Host) => policyPair(a, b, `${A}/32`, `${B}/32`, [{ proto: 'esp' }]);

/** Pings `to` from a's host (or b's, `from: 'b'`); the number of replies. */
export async function ping(lab: IkeLab, to = B, from: 'a' | 'b' = 'a'): Promise<number> {
  const pings = lab[from].host.ping(to, { count: 2, intervalMs: 0 });
  await settle(8);
  lab.clock.advance(1000);
  return (await pings).length;
}

export function logs(lab: IkeLab): string {
  return `--- a\n${lab.a.log.join('\n')}\n--- b\n${lab.b.log.join('\n')}`;
}

/** ACQUIRE on a (a packet to `to`), then every message delivered: one IKE SA with its first child. */
export async function establish(lab: IkeLab, to = B): Promise<void> {
  lab.a.host.sendEchoRequest(ip(to), 7, 1, new Uint8Array(8));
  await lab.run();
  assert.deepEqual(ikeStates(lab, 'a'), ['established'], logs(lab));
}
