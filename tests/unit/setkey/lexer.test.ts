// Tokens as ipsec-tools token.l cuts them: words, flags, quoted strings, brackets, `;`, comments, the `-P` state.
import { strict as assert } from 'node:assert';
import { tokenize, stripPolicyComments } from '../../../setkey/lexer.js';
import { upperMiscPorts } from '../../../setkey/upper-spec.js';
import { protoByName, protoName, portByName, protoHasPorts } from '../../../setkey/netdb.js';

const kinds = (src: string): string[] => tokenize(src).map((t) => `${t.kind}:${t.text}@${t.line}.${t.col}`);

describe('setkey/lexer', () => {
  it('cuts words, flags, brackets and quoted strings with positions', () => {
    assert.deepEqual(kinds('add -6n fe80::1%lo0[500] "a b"\n  10.0.0.0/8 135,0;'), [
      'word:add@1.1',
      'flag:-6n@1.5',
      'word:fe80::1%lo0@1.9',
      'lbracket:[@1.20',
      'word:500@1.21',
      'rbracket:]@1.24',
      'quoted:a b@1.26',
      'word:10.0.0.0@2.3',
      'slash:/@2.11',
      'word:8@2.12',
      'word:135,0@2.14',
      'semi:;@2.19',
      'eof:@2.20',
    ]);
  });

  it('drops # comments to end of line and keeps line numbers', () => {
    assert.deepEqual(kinds('# one\nflush; # two ;\n\nspddump;'), [
      'word:flush@2.1',
      'semi:;@2.6',
      'word:spddump@4.1',
      'semi:;@4.8',
      'eof:@4.9',
    ]);
  });

  it('after -P swallows the policy text up to ; across lines, skipping comments', () => {
    const t = tokenize('-P out ipsec # x; y\n esp/transport//require ;flush;');
    assert.deepEqual(
      t.map((x) => [x.kind, x.line, x.endLine]),
      [
        ['flag', 1, 1],
        ['policy', 1, 2],
        ['semi', 2, 2],
        ['word', 2, 2],
        ['semi', 2, 2],
        ['eof', 2, 2],
      ],
    );
    assert.equal(
      stripPolicyComments(t[1]!.text),
      ` out ipsec ${' '.repeat('# x; y'.length)}\n esp/transport//require `,
    );
  });

  it('turns stray characters and an unterminated quote into bad tokens', () => {
    assert.deepEqual(kinds('a ! - "x\ny'), ['word:a@1.1', 'bad:!@1.3', 'bad:-@1.5', 'bad:"x\ny@1.7', 'eof:@2.2']);
  });

  it('a quoted string may span lines; the next token is on the right line', () => {
    const t = tokenize('"a\nb" c');
    assert.deepEqual(
      t.map((x) => [x.kind, x.line, x.endLine]),
      [
        ['quoted', 1, 2],
        ['word', 2, 2],
        ['eof', 2, 2],
      ],
    );
  });
});

describe('setkey/netdb and upper-layer specs', () => {
  it('protocol names both ways and port names', () => {
    assert.deepEqual(
      ['tcp', 'udp', 'icmp', 'icmp6', 'ipv6-icmp', 'ip4', 'gre', 'mh'].map(protoByName),
      [6, 17, 1, 58, 58, 4, 47, 135],
    );
    assert.equal(protoByName('TCP'), undefined); // getprotobyname is case-sensitive for names not listed as aliases
    assert.deepEqual([protoName(58), protoName(255), protoName(4)], ['ipv6-icmp', undefined, 'ipencap']);
    assert.deepEqual(['0', '65535', '65536', 'ssh', 'isakmp', 'nope'].map(portByName), [
      0,
      65535,
      undefined,
      22,
      500,
      undefined,
    ]);
    assert.deepEqual([6, 17, 132, 136, 1, 58, 255].map(protoHasPorts), [true, true, true, true, false, false, false]);
  });

  it('fix_portstr: ICMP type/code, GRE keys, and refusals', () => {
    assert.deepEqual(upperMiscPorts(58, '135,0'), { sport: 135, dport: 0 });
    assert.deepEqual(upperMiscPorts(1, '8'), { sport: 8, dport: 0 });
    assert.deepEqual(upperMiscPorts(47, '0.1.255.255'), { sport: 1, dport: 65535 });
    assert.deepEqual(upperMiscPorts(47, '4294967295'), { sport: 65535, dport: 65535 });
    assert.equal(upperMiscPorts(47, '4294967296'), 'invalid an upper layer protocol spec');
    assert.equal(upperMiscPorts(1, '256,0'), 'invalid an upper layer protocol spec');
    assert.equal(upperMiscPorts(6, '1,2'), 'an upper-layer spec is only valid for icmp, icmp6, mh and gre');
  });
});
