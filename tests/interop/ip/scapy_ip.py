#!/usr/bin/python3
"""Cross-check for kernel/ip: an independent implementation (scapy) parses uipsec's packets, builds its
own for uipsec to parse, and reassembles in both directions. Reads one JSON request on stdin and writes
one JSON answer on stdout (see tests/interop/ip/scapy-ip.test.ts)."""
import json
import sys
import logging

logging.getLogger("scapy.runtime").setLevel(logging.ERROR)
from scapy.all import (IP, IPv6, UDP, ICMP, Raw, raw, IPOption_RR, IPOption_Security, IPOption_NOP,  # noqa: E402
                       IPv6ExtHdrHopByHop, IPv6ExtHdrRouting, IPv6ExtHdrFragment, IPv6ExtHdrDestOpt,
                       ICMPv6EchoRequest, ICMPv6EchoReply, RouterAlert, fragment, fragment6, defragment, defragment6)

EXT_TYPES = [(IPv6ExtHdrHopByHop, 0), (IPv6ExtHdrRouting, 43), (IPv6ExtHdrFragment, 44), (IPv6ExtHdrDestOpt, 60)]


def recomputed(pkt, layer, field):
    """The checksum scapy computes for `layer` when the field is cleared."""
    q = pkt.copy()
    setattr(q[layer], field, None)
    return getattr(pkt.__class__(raw(q))[layer], field)


def describe(b):
    """Field values as scapy decodes them, and the checksums scapy would put in."""
    if b[0] >> 4 == 4:
        p = IP(b)
        q = p.copy()
        q.chksum = None
        d = dict(family=4, src=p.src, dst=p.dst, ihl=p.ihl, tos=p.tos, len=p.len, id=p.id, flags=int(p.flags),
                 frag=p.frag, ttl=p.ttl, proto=p.proto, chksum=p.chksum, chksum_scapy=IP(raw(q)).chksum,
                 options=[int(o.option) + (o.copy_flag << 7) + (o.optclass << 5) for o in p.options])
        fragmented = p.frag != 0 or (int(p.flags) & 1)
    else:
        p = IPv6(b)
        d = dict(family=6, src=p.src, dst=p.dst, tc=p.tc, fl=p.fl, plen=p.plen, nh=p.nh, hlim=p.hlim, exts=[])
        layer, off, fragmented = p.payload, 40, False
        while True:
            kind = next((t for cls, t in EXT_TYPES if isinstance(layer, cls)), None)
            if kind is None:
                break
            size = len(raw(layer)) - len(raw(layer.payload))
            d['exts'].append([kind, off, size])
            off += size
            if kind == 44 and (layer.offset != 0 or layer.m):
                fragmented = True  # no upper-layer checksum to compare on a piece
            if kind == 44 and layer.offset != 0:
                break  # behind a non-first fragment header there is only data
            layer = layer.payload
        d['upper_offset'] = off
    if not fragmented:
        if UDP in p:
            u = p[UDP]
            d['udp'] = dict(sport=u.sport, dport=u.dport, len=u.len, chksum=u.chksum, chksum_scapy=recomputed(p, UDP, 'chksum'))
        elif ICMP in p:
            c = p[ICMP]
            d['icmp'] = dict(type=c.type, code=c.code, chksum=c.chksum, id=c.id, seq=c.seq, chksum_scapy=recomputed(p, ICMP, 'chksum'))
        for cls in (ICMPv6EchoRequest, ICMPv6EchoReply):
            if cls in p:
                c = p[cls]
                d['icmp'] = dict(type=c.type, code=c.code, chksum=c.cksum, id=c.id, seq=c.seq, chksum_scapy=recomputed(p, cls, 'cksum'))
    return d


def scapy_built():
    """Packets built by scapy, for uipsec to parse."""
    s6, d6 = '2001:db8::10', '2001:db8::20'
    pkts = [
        ('v4 udp', IP(src='10.0.0.1', dst='10.0.0.2', id=7, ttl=33, tos=0x28) / UDP(sport=500, dport=4500) / Raw(b'hello')),
        ('v4 icmp echo', IP(src='10.0.0.1', dst='10.0.0.2') / ICMP(id=0x77, seq=9) / Raw(b'abcdefgh')),
        ('v4 options', IP(src='10.0.0.1', dst='10.0.0.2', options=[IPOption_RR(routers=['1.1.1.1']), IPOption_NOP(), IPOption_Security()]) / UDP(sport=1, dport=2)),
        ('v4 middle fragment', IP(src='10.0.0.1', dst='10.0.0.2', flags='MF', frag=10, id=3) / Raw(b'z' * 16)),
        ('v6 udp', IPv6(src=s6, dst=d6, tc=0xb8, fl=0x12345, hlim=3) / UDP(sport=53, dport=5353) / Raw(b'q' * 11)),
        ('v6 icmp echo', IPv6(src=s6, dst=d6) / ICMPv6EchoRequest(id=5, seq=6, data=b'ping')),
        ('v6 ext chain', IPv6(src=s6, dst=d6) / IPv6ExtHdrHopByHop(options=[RouterAlert()]) / IPv6ExtHdrDestOpt()
         / IPv6ExtHdrRouting(addresses=['2001:db8::30']) / IPv6ExtHdrDestOpt() / UDP(sport=7, dport=8) / Raw(b'chain')),
        ('v6 fragment', IPv6(src=s6, dst=d6) / IPv6ExtHdrFragment(id=0x1234, offset=10, m=1, nh=17) / Raw(b'f' * 24)),
    ]
    return [dict(name=n, hex=raw(p).hex(), fields=describe(raw(p))) for n, p in pkts]


def scapy_fragments():
    """Packets fragmented by scapy, for uipsec's Reassembler."""
    v4 = IP(src='10.1.0.1', dst='10.1.0.2', id=99) / UDP(sport=1, dport=2) / Raw(bytes(range(256)) * 8)
    out = [dict(name='v4', whole=raw(v4).hex(), frags=[raw(f).hex() for f in fragment(v4, 400)])]
    s6, d6 = '2001:db8::a', '2001:db8::b'
    body = UDP(sport=3, dport=4) / Raw(bytes(range(256)) * 12)
    whole6 = IPv6(src=s6, dst=d6) / IPv6ExtHdrHopByHop() / body
    with_frag = IPv6(src=s6, dst=d6) / IPv6ExtHdrHopByHop() / IPv6ExtHdrFragment(id=0xabcdef) / body
    out.append(dict(name='v6', whole=raw(whole6).hex(), frags=[raw(f).hex() for f in fragment6(with_frag, 1280)]))
    return out


def main():
    req = json.load(sys.stdin)
    ours = [describe(bytes.fromhex(h)) for h in req['ours']]
    chains = [describe(bytes.fromhex(h)) for h in req.get('chains', [])]
    v4 = [raw(p).hex() for p in defragment([IP(bytes.fromhex(h)) for h in req['frags4']])]
    v6 = raw(defragment6([IPv6(bytes.fromhex(h)) for h in req['frags6']])).hex() if req['frags6'] else ''
    json.dump(dict(ours=ours, chains=chains, built=scapy_built(), fragmented=scapy_fragments(), defrag4=v4, defrag6=v6), sys.stdout)


if __name__ == '__main__':
    main()
