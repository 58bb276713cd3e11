// SADB_X_EXT_POLICY (KAME): a security policy, followed for IPSEC_POLICY_IPSEC by sadb_x_ipsecrequests.
//  | len | exttype | type u16 | dir u8 | scope u8 | id u32 | priority u32 |            (16 bytes)
//  then per request:
//  | req len u16 (BYTES) | proto u16 | mode u8 | level u8 | reqid u16 | [src sockaddr][dst sockaddr] | pad |
// A request's length is in bytes, a multiple of 8, and equals ALIGN8(8 + 2 × sa_len) when it carries the
// tunnel endpoints (both sockaddrs, same family), or 8 when it carries none (FreeBSD key_msg2sp/key_sp2msg).
import { pfkeyAlign8 } from '../constants.js';
import { invalid } from '../errors.js';
import { SADB_X_IPSECREQUEST as R, SADB_X_POLICY, getField, setField } from '../layout.js';
import { type Sockaddr, decodeSockaddr, encodeSockaddr, sockaddrLength } from '../sockaddr.js';
import { type ExtCodec, expectAtLeast, putExtHeader, zeroBytes } from './codec.js';

/** struct sadb_x_ipsecrequest with its optional endpoint sockaddrs. */
export interface SadbXIpsecrequest {
  proto: number; // IPPROTO_ESP/AH/IPCOMP
  mode: number; // IPSEC_MODE_*
  level: number; // IPSEC_LEVEL_*
  reqid: number;
  src?: Sockaddr;
  dst?: Sockaddr;
}

/** struct sadb_x_policy with its requests. */
export interface SadbXPolicy {
  type: number; // IPSEC_POLICY_*
  dir: number; // IPSEC_DIR_*
  scope: number; // FreeBSD IPSEC_POLICYSCOPE_* (reserved elsewhere)
  id: number;
  priority: number; // ifindex for ifnet scope
  requests: SadbXIpsecrequest[];
}

const P = SADB_X_POLICY.fields;

function decodeEndpoints(dv: DataView, p: number, rlen: number): { src: Sockaddr; dst: Sockaddr } {
  const s = decodeSockaddr(dv, p + R.size, rlen - R.size);
  const d = decodeSockaddr(dv, s.next, p + rlen - s.next);
  const saLen = s.next - p - R.size;
  if (d.value.family !== s.value.family) invalid('sadb_x_ipsecrequest: src and dst families differ', s.next);
  if (pfkeyAlign8(R.size + 2 * saLen) !== rlen)
    invalid(`sadb_x_ipsecrequest: length ${rlen} does not match two ${saLen}-byte sockaddrs`, p);
  return { src: s.value, dst: d.value };
}

function decodeRequest(dv: DataView, p: number, remaining: number): { value: SadbXIpsecrequest; next: number } {
  const rlen = getField(dv, p, R.fields.len);
  if (rlen < R.size || rlen > remaining || rlen % 8 !== 0) {
    invalid(`sadb_x_ipsecrequest: length ${rlen} bytes (${remaining} left, must be >= 8 and a multiple of 8)`, p);
  }
  const value: SadbXIpsecrequest = {
    proto: getField(dv, p, R.fields.proto),
    mode: getField(dv, p, R.fields.mode),
    level: getField(dv, p, R.fields.level),
    reqid: getField(dv, p, R.fields.reqid),
  };
  if (rlen > R.size) Object.assign(value, decodeEndpoints(dv, p, rlen));
  return { value, next: p + rlen };
}

function requestLength(r: SadbXIpsecrequest): number {
  if (!r.src && !r.dst) return R.size;
  if (!r.src || !r.dst) invalid('sadb_x_ipsecrequest: src and dst must both be present or both absent');
  if (r.src.family !== r.dst.family) invalid('sadb_x_ipsecrequest: src and dst families differ');
  return pfkeyAlign8(R.size + sockaddrLength(r.src) + sockaddrLength(r.dst));
}

function encodeRequest(r: SadbXIpsecrequest, dv: DataView, p: number): number {
  const rlen = requestLength(r);
  zeroBytes(dv, p, rlen);
  setField(dv, p, R.fields.len, rlen);
  setField(dv, p, R.fields.proto, r.proto, 'sadb_x_ipsecrequest_proto');
  setField(dv, p, R.fields.mode, r.mode, 'sadb_x_ipsecrequest_mode');
  setField(dv, p, R.fields.level, r.level, 'sadb_x_ipsecrequest_level');
  setField(dv, p, R.fields.reqid, r.reqid, 'sadb_x_ipsecrequest_reqid');
  if (r.src && r.dst) encodeSockaddr(r.dst, dv, encodeSockaddr(r.src, dv, p + R.size));
  return p + rlen;
}

export const policyCodec: ExtCodec<SadbXPolicy> = {
  decode(dv, off, len) {
    expectAtLeast(len, SADB_X_POLICY.size, 'sadb_x_policy', off);
    const requests: SadbXIpsecrequest[] = [];
    for (let p = off + SADB_X_POLICY.size; p < off + len;) {
      const r = decodeRequest(dv, p, off + len - p);
      requests.push(r.value);
      p = r.next;
    }
    const value: SadbXPolicy = {
      type: getField(dv, off, P.type),
      dir: getField(dv, off, P.dir),
      scope: getField(dv, off, P.scope),
      id: getField(dv, off, P.id),
      priority: getField(dv, off, P.priority),
      requests,
    };
    return { value, next: off + len };
  },
  encode(v, dv, off, exttype) {
    const len = policyCodec.encodedLength(v);
    putExtHeader(dv, off, len, exttype);
    setField(dv, off, P.type, v.type, 'sadb_x_policy_type');
    setField(dv, off, P.dir, v.dir, 'sadb_x_policy_dir');
    setField(dv, off, P.scope, v.scope, 'sadb_x_policy_scope');
    setField(dv, off, P.id, v.id, 'sadb_x_policy_id');
    setField(dv, off, P.priority, v.priority, 'sadb_x_policy_priority');
    let p = off + SADB_X_POLICY.size;
    for (const r of v.requests) p = encodeRequest(r, dv, p);
    return p;
  },
  encodedLength: (v) => v.requests.reduce((n, r) => n + requestLength(r), SADB_X_POLICY.size),
};
