#!/usr/bin/env python3
# Independent known-answer data for racoon/ikev1/oakley.ts and crypto/dh.ts, computed with Python's hashlib/hmac,
# pow() and the `cryptography` package -- never with uipsec code. Formulas: RFC 2409 §5, §5.5, App. B;
# RFC 3947 §3.2. Run: python3 tests/vectors/gen-ike-oakley.py > tests/vectors/ike-oakley.json
import hashlib, hmac, json, re, os
from cryptography.hazmat.primitives.ciphers import Cipher, algorithms, modes

def H(label, n):
    out = b''
    i = 0
    while len(out) < n:
        out += hashlib.sha256(f'{label}:{i}'.encode()).digest()
        i += 1
    return out[:n]

def prf(h, k, *parts):
    return hmac.new(k, b''.join(parts), h).digest()

def hsh(h, *parts):
    return hashlib.new(h, b''.join(parts)).digest()

def expand(h, key, seed_fn, n):
    # K1 = prf(key, seed(b'')), Kn = prf(key, seed(K(n-1))): used by App. B (seed = 0 / K) and KEYMAT §5.5
    out = b''
    prev = b''
    while len(out) < n:
        prev = prf(h, key, seed_fn(prev))
        out += prev
    return out[:n]

cases = []
for h, cipher, keylen in [('md5', '3des', 24), ('sha1', 'aes', 32), ('sha256', 'aes', 16), ('sha384', 'aes', 24), ('sha512', 'des', 8)]:
    L = f'{h}-{cipher}'
    psk = b'uipsec test secret ' + h.encode()
    ni, nr = H(L + 'ni', 16), H(L + 'nr', 24)
    cki, ckr = H(L + 'cki', 8), H(L + 'ckr', 8)
    gxi, gxr, gxy = H(L + 'gxi', 128), H(L + 'gxr', 128), H(L + 'gxy', 128)
    sai_b = H(L + 'sai', 52)
    idii_b, idir_b = bytes([1, 17, 1, 244]) + bytes([192, 0, 2, 1]), bytes([1, 17, 1, 244]) + bytes([192, 0, 2, 2])
    bs = 8 if cipher in ('des', '3des') else 16
    skeyid = prf(h, psk, ni, nr)
    skeyid_sig = prf(h, ni + nr, gxy)
    d = prf(h, skeyid, gxy, cki, ckr, b'\x00')
    a = prf(h, skeyid, d, gxy, cki, ckr, b'\x01')
    e = prf(h, skeyid, a, gxy, cki, ckr, b'\x02')
    # RFC 2409 App. B: Ka = K1 | K2 | ..., K1 = prf(SKEYID_e, 0), Kn = prf(SKEYID_e, K(n-1)) when SKEYID_e is too short
    ka = e[:keylen] if len(e) >= keylen else expand(h, e, lambda prev: prev if prev else b'\x00', keylen)
    iv0 = hsh(h, gxi, gxr)[:bs]
    hash_i = prf(h, skeyid, gxi, gxr, cki, ckr, sai_b, idii_b)
    hash_r = prf(h, skeyid, gxr, gxi, ckr, cki, sai_b, idir_b)
    msgid = bytes.fromhex('1a2b3c4d')
    last_block = H(L + 'lastblock', bs)
    iv2 = hsh(h, last_block, msgid)[:bs]
    qni, qnr = H(L + 'qni', 16), H(L + 'qnr', 16)
    rest1 = H(L + 'rest1', 100)
    rest2 = H(L + 'rest2', 80)
    hash1 = prf(h, a, msgid, rest1)
    hash2 = prf(h, a, msgid, qni, rest2)
    hash3 = prf(h, a, b'\x00', msgid, qni, qnr)
    spi = bytes.fromhex('0badcafe')
    gqm = H(L + 'gqmxy', 128)
    km_nopfs = expand(h, d, lambda prev: prev + bytes([3]) + spi + qni + qnr, 72)
    km_pfs = expand(h, d, lambda prev: prev + gqm + bytes([3]) + spi + qni + qnr, 72)
    info_rest = H(L + 'info', 28)
    info_hash = prf(h, a, msgid, info_rest)
    natd = hsh(h, cki, ckr, bytes([192, 0, 2, 1]), bytes([1, 244]))
    # Message 5 of main mode encrypted per App. B: payloads padded to the block size, last byte = pad length.
    plain = H(L + 'mm5', 37)
    padlen = bs - (len(plain) + 1) % bs
    if padlen == bs:
        padlen = 0
    padded = plain + bytes(padlen) + bytes([padlen])
    algo = algorithms.AES(ka) if cipher == 'aes' else algorithms.TripleDES(ka if cipher == '3des' else ka * 3)
    enc = Cipher(algo, modes.CBC(iv0)).encryptor()
    ct = enc.update(padded) + enc.finalize()
    cases.append({
        'source': 'RFC 2409 §5, §5.5, App. B; RFC 3947 §3.2 -- computed by tests/vectors/gen-ike-oakley.py (Python hashlib/hmac/cryptography)',
        'hash': h, 'cipher': cipher, 'keyLen': keylen, 'blockSize': bs,
        'psk': psk.hex(), 'ni': ni.hex(), 'nr': nr.hex(), 'ckyI': cki.hex(), 'ckyR': ckr.hex(),
        'gxi': gxi.hex(), 'gxr': gxr.hex(), 'gxy': gxy.hex(), 'saiB': sai_b.hex(), 'idiiB': idii_b.hex(), 'idirB': idir_b.hex(),
        'skeyid': skeyid.hex(), 'skeyidSig': skeyid_sig.hex(), 'skeyidD': d.hex(), 'skeyidA': a.hex(), 'skeyidE': e.hex(),
        'encKey': ka.hex(), 'iv0': iv0.hex(), 'hashI': hash_i.hex(), 'hashR': hash_r.hex(),
        'msgid': msgid.hex(), 'lastBlock': last_block.hex(), 'iv2': iv2.hex(),
        'qmNi': qni.hex(), 'qmNr': qnr.hex(), 'rest1': rest1.hex(), 'rest2': rest2.hex(),
        'hash1': hash1.hex(), 'hash2': hash2.hex(), 'hash3': hash3.hex(),
        'spi': spi.hex(), 'gqmxy': gqm.hex(), 'keymatNoPfs': km_nopfs.hex(), 'keymatPfs': km_pfs.hex(),
        'infoRest': info_rest.hex(), 'infoHash': info_hash.hex(),
        'natdAddr': 'c0000201', 'natdPort': 500, 'natd': natd.hex(),
        'mm5Plain': plain.hex(), 'mm5Cipher': ct.hex(),
    })

# MODP DH with fixed private values, by Python's pow(); the primes are read from crypto/modp-primes.ts (whose
# text the dh tests check against OpenSSL's own copies).
here = os.path.dirname(os.path.abspath(__file__))
src = open(os.path.join(here, '..', '..', 'crypto', 'modp-primes.ts')).read()
primes = {}
for m in re.finditer(r"\n  (\d+):\n((?:    '[0-9A-F]+'(?: \+|,)\n)+)", src):
    primes[int(m.group(1))] = int(''.join(re.findall(r"'([0-9A-F]+)'", m.group(2))), 16)
dh = []
for gid in (1, 2, 5, 14):
    p = primes[gid]
    n = (p.bit_length() + 7) // 8
    xi, xr = int.from_bytes(H(f'dh{gid}xi', 32), 'big'), int.from_bytes(H(f'dh{gid}xr', 32), 'big')
    gxi, gxr = pow(2, xi, p), pow(2, xr, p)
    gxy = pow(gxr, xi, p)
    dh.append({'source': 'Python pow() over the RFC 2409/3526 prime', 'group': gid, 'xi': f'{xi:064x}', 'xr': f'{xr:064x}',
               'gxi': gxi.to_bytes(n, 'big').hex(), 'gxr': gxr.to_bytes(n, 'big').hex(), 'gxy': gxy.to_bytes(n, 'big').hex()})

print(json.dumps({'oakley': cases, 'modp': dh}, indent=1))
