// Packets captured or published elsewhere, with their checksums as the source gives them. Every one was
// also re-checked by scapy 2.5 (tests/interop/ip). Trailing ESP padding in the sources is cut off.
import { fromHex } from '../../../common/bytes.js';

export interface KnownPacket {
  name: string;
  source: string;
  hex: string;
  /** What the source says the packet is, field by field. */
  expect: {
    src: string;
    dst: string;
    protocol: number;
    ipChecksum?: number;
    /** The upper-layer checksum (UDP, TCP or ICMP) as carried in the packet. */
    l4Checksum: number;
    icmpType?: number;
    id?: number;
    seq?: number;
    srcPort?: number;
    dstPort?: number;
  };
}

export const KNOWN_PACKETS: KnownPacket[] = [
  {
    name: 'ICMP echo request 198.51.100.5 -> 192.0.2.5',
    source: 'RFC 7634 Appendix A (ESP example plaintext, the inner IPv4 packet)',
    hex: `45000054a6f200004001e778c6336405c000020508005b7a3a080000553bec10000736270809
          0a0b0c0d0e0f101112131415161718191a1b1c1d1e1f202122232425262728292a2b2c2d2e2f3031323334353637`,
    expect: {
      src: '198.51.100.5',
      dst: '192.0.2.5',
      protocol: 1,
      ipChecksum: 0xe778,
      l4Checksum: 0x5b7a,
      icmpType: 8,
      id: 0x3a08,
      seq: 0,
    },
  },
  {
    name: 'ICMP echo request 64.103.147.24 -> 1.1.1.1 (seq 0x4400)',
    source: 'draft-mcgrew-gcm-test-01, plaintext of the test case with SPI 0x00000000, seq 1',
    hex: `4500003c99c500008001cb7a40679318010101010800075c020044006162636465666768696a6b6c6d
          6e6f7071727374757677616263646566676869`,
    expect: {
      src: '64.103.147.24',
      dst: '1.1.1.1',
      protocol: 1,
      ipChecksum: 0xcb7a,
      l4Checksum: 0x075c,
      icmpType: 8,
      id: 0x0200,
      seq: 0x4400,
    },
  },
  {
    name: 'ICMP echo request 64.103.147.24 -> 1.1.1.1 (seq 0x4300)',
    source: 'draft-mcgrew-gcm-test-01, plaintext of the first test case with SPI 0x42f67e3f (ICMP)',
    hex: `4500003c99c300008001cb7c40679318010101010800085c020043006162636465666768696a6b6c6d
          6e6f7071727374757677616263646566676869`,
    expect: {
      src: '64.103.147.24',
      dst: '1.1.1.1',
      protocol: 1,
      ipChecksum: 0xcb7c,
      l4Checksum: 0x085c,
      icmpType: 8,
      id: 0x0200,
      seq: 0x4300,
    },
  },
  {
    name: 'ICMP echo request 192.168.0.5 -> 192.168.0.1',
    source: 'draft-mcgrew-gcm-test-01, plaintext of the test case with SPI 0x796b6963',
    hex: '45000030da3a00008001df3bc0a80005c0a800010800c6cd020007006162636465666768696a6b6c6d6e6f7071727374',
    expect: {
      src: '192.168.0.5',
      dst: '192.168.0.1',
      protocol: 1,
      ipChecksum: 0xdf3b,
      l4Checksum: 0xc6cd,
      icmpType: 8,
      id: 0x0200,
      seq: 0x0700,
    },
  },
  {
    name: 'UDP DNS query 192.168.1.2:2712 -> 192.168.1.1:53',
    source: 'draft-mcgrew-gcm-test-01, plaintext of the test case with SPI 0x0000a5f8, seq 10 (128-bit key)',
    hex: '4500003e698f000080114dccc0a80102c0a801010a980035002a2343b2d001000001000000000000037369700963796265726369747902646b0000010001',
    expect: {
      src: '192.168.1.2',
      dst: '192.168.1.1',
      protocol: 17,
      ipChecksum: 0x4dcc,
      l4Checksum: 0x2343,
      srcPort: 2712,
      dstPort: 53,
    },
  },
  {
    name: 'UDP 195.251.29.16:49192 -> 194.177.211.38:12750',
    source: 'draft-mcgrew-gcm-test-01, plaintext of the test case with SPI 0x00000100 (UDP)',
    hex: `4500004933ba00007f119106c3fb1d10c2b1d326c02831ce0035dd7b800302d500004e20001e8c18d75b81dc91baa047
          6b91b924b280389d92c963bac046ec959b6266c04722b14923`,
    expect: {
      src: '195.251.29.16',
      dst: '194.177.211.38',
      protocol: 17,
      ipChecksum: 0x9106,
      l4Checksum: 0xdd7b,
      srcPort: 49192,
      dstPort: 12750,
    },
  },
  {
    name: 'TCP SYN 192.168.1.2:2718 -> 147.137.21.94:139',
    source: 'draft-mcgrew-gcm-test-01, plaintext of the test case with SPI 0x4a2cbfe3',
    hex: '4500003069a6400080062690c0a801029389155e0a9e008b2dc57ee0000000007002400020bf0000020405b401010402',
    expect: {
      src: '192.168.1.2',
      dst: '147.137.21.94',
      protocol: 6,
      ipChecksum: 0x2690,
      l4Checksum: 0x20bf,
      srcPort: 2718,
      dstPort: 139,
    },
  },
  {
    name: 'ICMPv6 echo request fc00:1234:ffff::1 -> fc00:1234:ffff::10',
    source:
      'Linux ping6 capture read from a tun device (hexdump in a public GitHub README, IPv6 tunnel course project)',
    hex: `6000000000403a40fc001234ffff00000000000000000001fc001234ffff00000000000000000010
          800040a228540001af3bd05f00000000bba400000000000010111213141516171819
          1a1b1c1d1e1f202122232425262728292a2b2c2d2e2f3031323334353637`,
    expect: {
      src: 'fc00:1234:ffff::1',
      dst: 'fc00:1234:ffff::10',
      protocol: 58,
      l4Checksum: 0x40a2,
      icmpType: 128,
      id: 0x2854,
      seq: 1,
    },
  },
];

/** The IPv4 header worked through in Wikipedia's "Internet checksum" / "IPv4 header checksum" example. */
export const WIKIPEDIA_IPV4_HEADER = {
  source: 'Wikipedia, "IPv4 header checksum" worked example',
  hex: '45000030442240008006442e8c7c19acae241e2b',
  checksum: 0x442e,
};

export function packetBytes(k: KnownPacket): Uint8Array {
  return fromHex(k.hex);
}
