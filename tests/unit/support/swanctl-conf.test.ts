// The interop harness's pure parts (tests/support/swanctl-conf.ts): swanctl.conf text from objects (quoting,
// defaults, several authentication rounds) and the parser of `swanctl --list-sas --pretty` (a listing
// captured from charon 5.9.8 with one IKEv1 SA and one CHILD_SA, plus a DN identity with spaces).
import { strict as assert } from 'node:assert';
import { parseListSas, swanctlConf } from '../../support/swanctl-conf.js';

const LISTING = `list-sa event {
  uipsec {
    uniqueid = 2
    version = 1
    state = ESTABLISHED
    local-host = 198.51.100.2
    local-port = 4500
    local-id = C=CH, O=strongSwan Test, CN=moon
    remote-host = 198.51.100.1
    remote-port = 4500
    remote-id = 198.51.100.1
    initiator = yes
    initiator-spi = 8487239437ca603b
    responder-spi = 79f577aa5aab1db1
    nat-remote = yes
    encr-alg = AES_CBC
    dh-group = MODP_2048
    child-sas {
      net-3 {
        name = net
        uniqueid = 3
        state = INSTALLED
        mode = TUNNEL
        protocol = ESP
        encap = yes
        spi-in = 1923b1c6
        spi-out = 0902ed10
        bytes-in = 47582445
        packets-in = 34005
        bytes-out = 534202
        packets-out = 10260
        local-ts = [
          10.91.2.0/24
        ]
        remote-ts = [
          10.91.1.0/24
          10.91.3.0/24
        ]
      }
    }
  }
}
list-sas reply {
}
`;

describe('support: swanctl-conf (interop harness)', () => {
  it('parses a --list-sas --pretty listing into IKE_SAs and CHILD_SAs', () => {
    const [sa, ...rest] = parseListSas(LISTING);
    assert.equal(rest.length, 0);
    assert.ok(sa);
    assert.equal(sa.name, 'uipsec');
    assert.equal(sa.version, 1);
    assert.equal(sa.state, 'ESTABLISHED');
    assert.equal(sa.localPort, 4500);
    assert.equal(sa.localId, 'C=CH, O=strongSwan Test, CN=moon');
    assert.equal(sa.initiator, true);
    assert.equal(sa.fields['nat-remote'], 'yes');
    const [child] = sa.children;
    assert.ok(child);
    assert.equal(child.name, 'net');
    assert.equal(child.encap, true);
    assert.equal(child.packetsIn, 34005);
    assert.equal(child.bytesOut, 534202);
    assert.deepEqual(child.localTs, ['10.91.2.0/24']);
    assert.deepEqual(child.remoteTs, ['10.91.1.0/24', '10.91.3.0/24']);
  });

  it('parses an empty listing and ignores the reply section', () => {
    assert.deepEqual(parseListSas('list-sas reply {\n}\n'), []);
    assert.deepEqual(parseListSas(''), []);
  });

  it('builds swanctl.conf: quoted values, libipsec defaults, extra rounds, secrets and authorities', () => {
    const text = swanctlConf({
      connections: [
        {
          name: 'gw',
          version: 1,
          localAddrs: ['198.51.100.2'],
          remoteAddrs: ['198.51.100.1'],
          aggressive: true,
          local: { auth: 'pubkey', id: 'C=CH, CN="moon"', certs: ['/tmp/moon.pem'] },
          remote: [
            { auth: 'pubkey', cacerts: ['ca.pem'] },
            { auth: 'xauth', extra: { xauth_id: 'joe' } },
          ],
          children: [{ name: 'net', localTs: ['10.0.2.0/24', '10.0.3.0/24'], dpdAction: 'clear' }],
        },
      ],
      secrets: [
        { type: 'ike', ids: ['a', 'b'], secret: 'x"y' },
        { type: 'private', file: '/tmp/k.pem' },
      ],
      authorities: [{ name: 'ca', cacert: '/tmp/ca.pem' }],
    });
    assert.match(text, /^ {2}gw \{$/m);
    assert.match(text, /^ {4}version = 1$/m);
    assert.match(text, /^ {4}encap = yes$/m, 'encap on by default (libipsec)');
    assert.match(text, /^ {4}aggressive = yes$/m);
    assert.match(text, /^ {4}proposals = "aes128-sha256-modp2048"$/m);
    assert.match(text, /^ {6}id = "C=CH, CN=\\"moon\\""$/m);
    assert.match(text, /^ {4}remote-2 \{$/m);
    assert.match(text, /^ {6}xauth_id = "joe"$/m);
    assert.match(text, /^ {8}local_ts = "10.0.2.0\/24, 10.0.3.0\/24"$/m);
    assert.match(text, /^ {8}mode = "tunnel"$/m);
    assert.match(text, /^ {8}esp_proposals = "aes128-sha256"$/m);
    assert.match(text, /^ {8}dpd_action = "clear"$/m);
    assert.doesNotMatch(text, /remote_ts/, 'absent values are left out');
    assert.match(text, /^ {2}ike-1 \{\n {4}id-1 = "a"\n {4}id-2 = "b"\n {4}secret = "x\\"y"$/m);
    assert.match(text, /^ {2}private-2 \{\n {4}file = "\/tmp\/k.pem"$/m);
    assert.match(text, /^authorities \{\n {2}ca \{\n {4}cacert = "\/tmp\/ca.pem"$/m);
  });
});
