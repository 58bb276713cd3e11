// Semantic checks run on each parsed statement before anything would be sent to the kernel:
// algorithm/protocol agreement, key lengths (setkey(8), RFC 4303 §3.2, RFC 4106 §8.1), address families,
// ports only on protocols that have them (RFC 4301 §4.4.1.1), reserved SPIs (RFC 4303 §2.1), manual reqids.
import type * as A from './ast.js';
import { diagnostic, type SetkeyError } from './diagnostics.js';
import { lookupAlg, supportedAlgNames, keyBitsAllowed, describeKeyBits, type AlgKind } from './algorithms.js';
import { protoHasPorts, protoName } from './netdb.js';
import { IPSEC_MANUAL_REQID_MAX, IPSEC_ULPROTO_ANY } from '../pfkey/constants.js';

type Out = SetkeyError[];

const KIND_WORD: Record<AlgKind, string> = { enc: 'encryption', auth: 'authentication', comp: 'compression' };

function at(
  st: A.Statement,
  out: Out,
  reason: string,
  pos: A.Pos | undefined,
  near?: string,
  severity: 'error' | 'warning' = 'error',
): void {
  out.push(diagnostic(reason, st.file, pos?.line ?? st.line, pos?.col ?? 0, near, severity));
}

function checkKey(st: A.Statement, out: Out, kind: AlgKind, spec: A.AlgSpec, oldProto: boolean): void {
  const alg = lookupAlg(kind, spec.name)!;
  if (!alg.supported) {
    at(
      st,
      out,
      `unsupported ${KIND_WORD[kind]} algorithm${alg.reason ? ` (${alg.reason})` : ''}; supported: ${supportedAlgNames(kind).join(', ')}`,
      spec.pos,
      spec.name,
    );
    return;
  }
  if (alg.needsOld !== undefined && alg.needsOld !== oldProto) at(st, out, 'algorithm mismatched', spec.pos, spec.name);
  if (kind === 'comp') return;
  const bits = (spec.key?.bytes.length ?? 0) * 8;
  if (!keyBitsAllowed(alg.keyBits, bits)) {
    at(
      st,
      out,
      `invalid key length ${bits} bits for ${spec.name}, which takes ${describeKeyBits(alg.keyBits)}`,
      spec.key?.pos ?? spec.pos,
      spec.name,
    );
  }
}

function checkSa(st: A.SaStatement, out: Out): void {
  const p = st.proto.name;
  if (st.src.family !== st.dst.family)
    at(st, out, 'address family mismatch between source and destination', st.dst.pos, st.dst.text);
  if (p === 'esp-old' || p === 'ah-old') at(st, out, `${p} (RFC 1826/1827 format) is not supported`, st.proto.pos, p);
  if (p !== 'esp-udp' && (st.src.port || st.dst.port))
    at(st, out, 'a port on an SA is ignored unless the protocol is esp-udp', st.src.pos, st.src.text, 'warning');
  if (st.ext.natt) {
    if (p !== 'esp') at(st, out, '-natt is only valid for esp (use esp-udp for the ipsec-tools form)', st.proto.pos, p);
    if (st.ext.natt.oai.family !== st.ext.natt.oar.family)
      at(st, out, 'address family mismatch between -natt addresses', st.ext.natt.oar.pos, st.ext.natt.oar.text);
  }
  if (st.ext.nattFragLen !== undefined && !st.ext.natt && p !== 'esp-udp')
    at(st, out, '-natt_mtu needs NAT-T (-natt or esp-udp)', st.proto.pos, p);
  if (st.ext.esn && (st.ext.replay ?? 0) === 0)
    at(st, out, '-esn without a replay window (-r): RFC 4303 §2.2.1 ESN needs anti-replay', st.proto.pos, p, 'warning');
  if (!st.alg) return; // get / delete
  const { enc, auth, comp } = st.alg;
  const old = p === 'esp-old' || p === 'ah-old';
  const isEsp = p === 'esp' || p === 'esp-old' || p === 'esp-udp';
  if (isEsp && !enc) at(st, out, 'ESP needs an encryption algorithm (-E)', st.proto.pos, p);
  if ((p === 'ah' || p === 'ah-old' || p === 'tcp') && (enc || comp))
    at(st, out, `${p} takes only an authentication algorithm (-A)`, st.proto.pos, p);
  if (p === 'ipcomp' && !comp) at(st, out, 'ipcomp needs a compression algorithm (-C)', st.proto.pos, p);
  if (p !== 'ipcomp' && comp) at(st, out, '-C is only valid for ipcomp', comp.pos, comp.name);
  if (p === 'tcp' && auth && auth.name !== 'tcp-md5')
    at(st, out, 'tcp (RFC 2385) needs -A tcp-md5', auth.pos, auth.name);
  if (p !== 'tcp' && auth?.name === 'tcp-md5')
    at(st, out, 'tcp-md5 is only valid with protocol tcp', auth.pos, auth.name);
  if (st.alg.rawCpi && p !== 'ipcomp') at(st, out, '-R is only valid for ipcomp', st.proto.pos, p);
  if (enc) checkKey(st, out, 'enc', enc, old);
  if (auth) checkKey(st, out, 'auth', auth, old);
  if (comp) checkKey(st, out, 'comp', comp, old);
  if (enc && lookupAlg('enc', enc.name)?.aead && auth)
    at(st, out, `${enc.name} is a combined-mode algorithm: do not add -A (RFC 4106 §2)`, auth.pos, auth.name);
  if ((p === 'esp' || p === 'ah' || p === 'esp-udp') && st.spi <= 255)
    at(st, out, 'SPI values 0-255 are reserved (RFC 4303 §2.1)', st.proto.pos, String(st.spi));
  if (p === 'ipcomp' && st.spi > 0xffff)
    at(st, out, 'an IPComp CPI must fit in 16 bits (RFC 3173 §2.2)', st.proto.pos, String(st.spi));
  checkLifetimes(st, out);
}

function checkLifetimes(st: A.SaStatement, out: Out): void {
  const { hard, soft } = st.ext;
  const hasHard = !!(hard.addtimeSec || hard.bytes),
    hasSoft = !!(soft.addtimeSec || soft.bytes);
  if (hasHard !== hasSoft)
    at(
      st,
      out,
      'KAME/FreeBSD kernels need both hard and soft lifetimes (-lh/-ls, -bh/-bs) or neither',
      undefined,
      undefined,
      'warning',
    );
  if (hard.addtimeSec && soft.addtimeSec && soft.addtimeSec > hard.addtimeSec)
    at(st, out, 'soft lifetime is longer than the hard lifetime', undefined, undefined, 'warning');
  if (hard.bytes && soft.bytes && soft.bytes > hard.bytes)
    at(st, out, 'soft byte lifetime is larger than the hard one', undefined, undefined, 'warning');
}

function upperName(up: A.UpperSpec): string {
  return up.proto === 255 ? 'any' : (protoName(up.proto) ?? String(up.proto));
}

function checkSpd(st: A.SpdStatement, out: Out): void {
  if (st.src.family !== st.dst.family)
    at(st, out, 'address family mismatch between source and destination', st.dst.pos, st.dst.text);
  // Ports with upper layer `any` are legal (ipsec-tools passes them on; KAME and our SPD compare the packet's
  // ports whatever its protocol): only a protocol without ports makes them meaningless.
  const portless =
    !protoHasPorts(st.upper.proto) && st.upper.proto !== IPSEC_ULPROTO_ANY && st.upper.misc === undefined;
  for (const sel of [st.src, st.dst]) {
    if (portless && sel.portGiven && sel.port !== 0) {
      at(st, out, `a port is given but upper-layer protocol '${upperName(st.upper)}' has no ports`, sel.pos, sel.text);
    }
  }
  if (st.upper.proto === 1 && st.src.family === 6)
    at(st, out, 'icmp on an IPv6 selector: did you mean icmp6?', undefined, st.upper.text, 'warning');
  if (st.upper.proto === 58 && st.src.family === 4)
    at(st, out, 'icmp6 on an IPv4 selector: did you mean icmp?', undefined, st.upper.text, 'warning');
  checkPolicy(st, out, st.kind !== 'spddelete');
}

function checkPolicy(st: A.SpdStatement | A.SpdTaggedStatement, out: Out, needAction: boolean): void {
  const pol = st.policy;
  if (needAction && !pol.action)
    at(st, out, `${st.kind.replace('-tagged', '')} needs a policy action after the direction`, pol.pos, pol.text);
  if (pol.action === 'ipsec' && pol.requests.length === 0)
    at(st, out, 'an ipsec policy without requests: kernels refuse or treat it as none', pol.pos, pol.text, 'warning');
  if (pol.action && pol.action !== 'ipsec' && pol.requests.length > 0)
    at(st, out, `requests are ignored with action '${pol.action}'`, pol.pos, pol.text, 'warning');
  if (pol.action === 'entrust' || pol.action === 'bypass')
    at(
      st,
      out,
      `'${pol.action}' is meant for per-socket policies; KAME kernels refuse it in the SPD`,
      pol.pos,
      pol.text,
      'warning',
    );
  // ipsec-tools sends any unique:N (its sample-policy02.cf has unique:28000); KAME key_msg2sp and Linux af_key
  // parse_ipsecrequest replace an N above IPSEC_MANUAL_REQID_MAX with a kernel reqid instead of refusing it.
  // sadb_x_ipsecrequest_reqid is 16 bits in the KAME layout: libipsec would truncate a larger N, we refuse it.
  for (const r of pol.requests) {
    if (r.reqid > 0xffff)
      at(st, out, `reqid ${r.reqid} does not fit the 16-bit sadb_x_ipsecrequest_reqid`, pol.pos, `unique:${r.reqid}`);
    else if (r.reqid > IPSEC_MANUAL_REQID_MAX)
      at(
        st,
        out,
        `reqid ${r.reqid} is above ${IPSEC_MANUAL_REQID_MAX} (IPSEC_MANUAL_REQID_MAX): the kernel assigns one of its own instead`,
        pol.pos,
        `unique:${r.reqid}`,
        'warning',
      );
  }
}

/** Returns the problems with one statement (errors and warnings); empty when it can be sent. */
export function checkStatement(st: A.Statement): SetkeyError[] {
  const out: Out = [];
  switch (st.kind) {
    case 'add':
    case 'update':
    case 'get':
    case 'delete':
      checkSa(st, out);
      break;
    case 'deleteall':
      if (st.src.family !== st.dst.family)
        at(st, out, 'address family mismatch between source and destination', st.dst.pos, st.dst.text);
      break;
    case 'spdadd':
    case 'spdupdate':
    case 'spddelete':
      checkSpd(st, out);
      break;
    case 'spdadd-tagged':
    case 'spdupdate-tagged':
      checkPolicy(st, out, true);
      break;
    default:
      break;
  }
  return out;
}
