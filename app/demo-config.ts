// The demo's embedded setkey scripts: host-to-host transport-mode ESP (AES-GCM-16, RFC 4106) between
// 10.0.0.1 (a) and 10.0.0.2 (b), with `require` policies both ways (RFC 4301 §4.4.1). The keys are
// published demo values, never to be used for real traffic.

export const DEMO_ADDR = { a: '10.0.0.1', b: '10.0.0.2' } as const;
export const DEMO_PREFIX_LEN = 24;
/** SPI of the a -> b SA and of the b -> a SA. */
export const DEMO_SPI = { ab: 0x1001, ba: 0x2001 } as const;
/** 160-bit AES-GCM keys: 128-bit key + 32-bit salt (RFC 4106 §8.1). Demo values only. */
export const DEMO_KEY = {
  ab: '0x0102030405060708090a0b0c0d0e0f1011121314',
  ba: '0x2122232425262728292a2b2c2d2e2f3031323334',
} as const;

/** The setkey -f script for host `self` (the SAs are the same on both sides; the policies mirror). */
export function demoSetkeyScript(self: 'a' | 'b'): string {
  const { a, b } = DEMO_ADDR;
  const [me, peer] = self === 'a' ? [a, b] : [b, a];
  return [
    `# uipsec demo, host ${self} (${me}): transport-mode ESP with ${peer}`,
    'flush;',
    'spdflush;',
    `add ${a} ${b} esp 0x${DEMO_SPI.ab.toString(16)} -m transport -E aes-gcm-16 ${DEMO_KEY.ab};`,
    `add ${b} ${a} esp 0x${DEMO_SPI.ba.toString(16)} -m transport -E aes-gcm-16 ${DEMO_KEY.ba};`,
    `spdadd ${me} ${peer} any -P out ipsec esp/transport//require;`,
    `spdadd ${peer} ${me} any -P in ipsec esp/transport//require;`,
    '',
  ].join('\n');
}
