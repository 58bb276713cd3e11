// An attacker on the network against a responder with its default limits (issue 11 items 2, 6, 7): a flood of
// spoofed first messages from thousands of addresses while a configured peer negotiates, 5,000 copies of one
// first message (a reflector if each drew an answer), and the log such floods would otherwise fill. Each test
// asserts on outcomes and counters, never on time; the figures go to the test output.
import { strict as assert } from 'node:assert';
import type { Host } from '../../kernel/host/host.js';
import { policyPair } from '../scenarios/lab.js';
import { confFor, ikeLab, ip, settle, type Datagram, type IkeLab } from './ike-lab.js';

const A = '192.0.2.1',
  B = '192.0.2.2';
const esp = (a: Host, b: Host) => policyPair(a, b, `${A}/32`, `${B}/32`, [{ proto: 'esp' }]);
const mature = (h: Host) => h.sad.dump().filter((s) => s.state === 'mature').length;

/** b also answers anyone (a road-warrior gateway): every spoofed first message is a candidate negotiation. */
const anonymousToo = (conf: string) =>
  conf +
  `remote anonymous {
  exchange_mode main;
  proposal { encryption_algorithm aes 128; hash_algorithm sha256; authentication_method pre_shared_key; dh_group modp2048; }
}
`;

/** The i-th spoofed source: 10.x.y.z, never A or B. */
const spoofed = (i: number) => ip(`10.${(i >> 16) & 255}.${(i >> 8) & 255}.${(i & 255) | 1}`);

/** a's first main mode message, taken off the wire (the template an attacker replays with new cookies). */
async function firstMessage(lab: IkeLab): Promise<Datagram> {
  lab.a.host.sendEchoRequest(ip(B), 1, 1, new Uint8Array(8));
  await settle(8);
  const msg1 = lab.queue[0];
  assert.ok(msg1 && msg1.sender === 'a');
  return msg1;
}

/** Answers b sends to spoofed addresses go nowhere (the lab would deliver them to b): counted, then dropped. */
function dropStray(lab: IkeLab): number {
  const stray = lab.queue.filter((d) => d.sender === 'b' && d.to.addr.join('.') !== A);
  lab.queue.splice(0, lab.queue.length, ...lab.queue.filter((d) => !stray.includes(d)));
  return stray.length;
}

describe('exchange: a responder under attack keeps serving its configured peer', function () {
  let lab: IkeLab;
  afterEach(() => lab?.close());

  it('a configured peer negotiates while 5,000 spoofed first messages from 5,000 addresses arrive', async () => {
    lab = await ikeLab({ confA: confFor(B), confB: anonymousToo(confFor(A)), policies: esp });
    const msg1 = await firstMessage(lab);
    let sent = 0;
    let strayReplies = 0;
    const flood = (n: number) => {
      for (let i = 0; i < n; i++, sent++) {
        const d = new Uint8Array(msg1.data);
        d.set(spoofed(sent), 0); // a new initiator cookie each time: a new negotiation each time
        lab.b.racoon.input(d, msg1.to, { addr: spoofed(sent), port: 500 });
      }
      strayReplies += dropStray(lab);
    };
    flood(2500); // the table is full of forged negotiations before the peer's first message comes
    let steps = 0;
    while (lab.queue.length > 0 && steps < 40) {
      await lab.deliver();
      flood(250); // between every message of the peer's exchange
      steps++;
    }
    assert.equal(mature(lab.a.host), 2, 'a has its SA pair');
    assert.equal(mature(lab.b.host), 2, 'b has its SA pair');
    const s = lab.b.racoon.stats;
    assert.equal(s.ph1Established, 1);
    assert.ok(s.halfOpenEvicted > 0, 'forged negotiations were evicted to make room');
    assert.ok(lab.b.racoon.ph1s.size <= 256 + 1, `state bounded: ${lab.b.racoon.ph1s.size} phase 1 records`);
    process.stdout.write(
      `      ${sent} spoofed first messages during ${steps} peer messages: b established ${s.ph1Established} ISAKMP-SA, ` +
        `${s.ph2Established} IPsec-SA; half-open evicted ${s.halfOpenEvicted}, refused ${s.halfOpenRefused}; ` +
        `${lab.b.racoon.ph1s.size} phase 1 records held; ${strayReplies} answers to spoofed addresses\n`,
    );
  });

  it('5,000 copies of one spoofed first message draw at most counter + 1 answers, not 5,000 (no reflector)', async () => {
    lab = await ikeLab({ confA: confFor(B), confB: anonymousToo(confFor(A)), policies: esp });
    const msg1 = await firstMessage(lab);
    lab.queue.length = 0;
    const victim = { addr: ip('198.51.100.7'), port: 500 };
    let answers = 0;
    for (let i = 0; i < 5000; i++) {
      lab.b.racoon.input(new Uint8Array(msg1.data), msg1.to, victim);
      // The copies come spread over 20 s (within the negotiation's life): a rate the budget alone lets through.
      if (i % 250 === 249) {
        lab.clock.advance(1000);
        await settle(1);
      }
      answers += dropStray(lab);
    }
    const s = lab.b.racoon.stats;
    assert.ok(answers >= 1, 'the first copy is answered');
    // Besides racoon's own timed resends of its answer (counter 3: at 10 s and 20 s), copies draw at most
    // counter + 1 answers.
    assert.ok(s.retransmits <= 2);
    assert.ok(answers - s.retransmits <= 3 + 1, `at most counter (3) + 1 answers to copies, got ${answers}`);
    assert.equal(s.duplicates, 4999);
    assert.ok(s.resendsSuppressed >= 4999 - 3);
    process.stdout.write(
      `      5000 copies in 20 s: ${answers} answers (${s.retransmits} of them timed resends), ${s.duplicates} duplicates, ${s.resendsSuppressed} resends suppressed\n`,
    );
  });

  it('a flood of malformed and forged packets writes a bounded log with a summary of what it left out', async () => {
    lab = await ikeLab({ confA: confFor(B), confB: anonymousToo(confFor(A)), policies: esp });
    const msg1 = await firstMessage(lab);
    lab.queue.length = 0;
    const before = lab.b.log.length;
    let bytesIn = 0;
    for (let i = 0; i < 10_000; i++) {
      const from = { addr: spoofed(i % 20), port: 500 };
      const d = new Uint8Array(i % 2 ? msg1.data.subarray(0, 40) : msg1.data); // truncated, or a forged first message
      if (i % 2 === 0) d.set(spoofed(i), 0);
      bytesIn += d.length;
      lab.b.racoon.input(d, msg1.to, from);
      dropStray(lab);
    }
    const lines = lab.b.log.slice(before);
    const bytes = lines.reduce((n, l) => n + l.length + 1, 0);
    // The per-source limit (5 lines a source, 50 in all per 10 s window): a bounded log however long the flood.
    assert.ok(lines.length <= 60, `${lines.length} lines for 10,000 packets`);
    assert.ok(lab.b.racoon.stats.logSuppressed > 9000);
    lab.clock.advance(10_000);
    await settle(2);
    const summary = lab.b.log.slice(before).filter((l) => /suppressed in the last/.test(l));
    assert.ok(summary.length >= 1, 'the window ends with a summary line');
    process.stdout.write(
      `      10000 attack packets (${bytesIn} bytes): ${lines.length} log lines (${bytes} bytes), ` +
        `${lab.b.racoon.stats.logSuppressed} suppressed; summary: ${summary[0]}\n`,
    );
  });
});
