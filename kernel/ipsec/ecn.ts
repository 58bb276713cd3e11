// ECN handling for IP-in-IP tunnels (RFC 6040): the outer codepoint on encapsulation (§4.1) and the
// combined inner codepoint on decapsulation (§4.2). Pure functions over the 2-bit ECN field.

/** RFC 3168 §5 codepoints. */
export const ECN_NOT_ECT = 0;
export const ECN_ECT1 = 1;
export const ECN_ECT0 = 2;
export const ECN_CE = 3;

/** RFC 6040 §4.1: normal mode copies the inner ECN field to the outer header; compatibility mode clears it. */
export type EcnMode = 'normal' | 'compat';

/**
 * RFC 6040 §4.1: the outer ECN field for an inner one. Normal mode copies it unchanged, CE included (Figure 3,
 * unlike RFC 3168's full-functionality mode which reset CE); compatibility mode sets Not-ECT.
 */
export function ecnEncap(innerEcn: number, mode: EcnMode = 'normal'): number {
  return mode === 'normal' ? innerEcn & 3 : ECN_NOT_ECT;
}

/**
 * RFC 6040 §4.2 (Figure 4): the inner ECN field after decapsulation, or -1 when the packet must be
 * dropped (outer CE over a Not-ECT inner: the congestion mark cannot be passed on).
 */
export function ecnDecap(innerEcn: number, outerEcn: number): number {
  const inner = innerEcn & 3;
  const outer = outerEcn & 3;
  if (outer === ECN_CE) return inner === ECN_NOT_ECT ? -1 : ECN_CE;
  // Outer ECT(1) over inner ECT(0) upgrades to ECT(1); every other pair keeps the inner value.
  if (outer === ECN_ECT1 && inner === ECN_ECT0) return ECN_ECT1;
  return inner;
}
