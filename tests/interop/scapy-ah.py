#!/usr/bin/python3
# Cross-checks uipsec's AH against scapy's SecurityAssociation(AH, ...).
# Reads a JSON list of cases on stdin and writes a JSON list of results on stdout, one per case:
#   {"op": "verify", "alg", "key", "spi", "esn", "esnHi", "tunnel": null | [src, dst], "packet": hex}
#       -> {"ok": true, "inner": hex} (the packet scapy recovers) or {"ok": false, "error": str}
#   {"op": "build", same SA fields, "seq": n, "packet": hex (the plain packet)}
#       -> {"ok": true, "packet": hex} (scapy's AH packet)
# Exit status 3 if scapy cannot be imported (the test then skips with that reason).
import json
import sys

try:
    from scapy.layers.inet import IP
    from scapy.layers.inet6 import IPv6
    from scapy.layers.ipsec import AH, SecurityAssociation
except Exception as e:  # noqa: BLE001
    print(f"scapy unavailable: {e}", file=sys.stderr)
    sys.exit(3)

ALGS = {
    "hmac-md5": "HMAC-MD5-96",
    "hmac-sha1": "HMAC-SHA1-96",
    "hmac-sha256": "SHA2-256-128",
    "hmac-sha384": "SHA2-384-192",
    "hmac-sha512": "SHA2-512-256",
}


def parse_ip(raw):
    return IP(raw) if raw[0] >> 4 == 4 else IPv6(raw)


def make_sa(c, seq=1):
    tunnel = None
    if c.get("tunnel"):
        src, dst = c["tunnel"]
        tunnel = IP(src=src, dst=dst) if ":" not in src else IPv6(src=src, dst=dst)
    sa = SecurityAssociation(AH, spi=c["spi"], auth_algo=ALGS[c["alg"]], auth_key=bytes.fromhex(c["key"]),
                             tunnel_header=tunnel, esn_en=bool(c.get("esn")), esn=c.get("esnHi", 0))
    sa.seq_num = seq  # scapy's encrypt() reads seq_num=0 as not given, so set the SA's counter
    return sa


def run(c):
    try:
        if c["op"] == "verify":
            sa = make_sa(c)
            out = sa.decrypt(parse_ip(bytes.fromhex(c["packet"])))
            return {"ok": True, "inner": bytes(out).hex()}
        if c["op"] == "build":
            sa = make_sa(c, c["seq"])
            out = sa.encrypt(parse_ip(bytes.fromhex(c["packet"])))
            return {"ok": True, "packet": bytes(out).hex()}
        return {"ok": False, "error": "unknown op " + c["op"]}
    except Exception as e:  # noqa: BLE001
        return {"ok": False, "error": f"{type(e).__name__}: {e}"}


print(json.dumps([run(c) for c in json.load(sys.stdin)]))
