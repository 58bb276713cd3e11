// A negotiated SA pair in PF_KEY terms, whatever IKE version negotiated it: the SADB algorithm numbers and
// key sizes, mode, reqid and each direction's SPI and keys (inbound = our SPI, outbound = the peer's). The
// PF_KEY bridge turns it into UPDATE + ADD (RFC 2367 §3.1.2/§3.1.3) and wipes the keys afterwards.

/** What PF_KEY UPDATE/ADD needs for one SA: algorithm numbers and the key split sizes (encryption first). */
export interface SadbAlgs {
  satype: number;
  encrypt: number;
  auth: number;
  encKeyBytes: number;
  authKeyBytes: number;
}

/** One direction's SPI and keys. */
export interface SaDirKeys {
  spi: Uint8Array;
  encKey: Uint8Array;
  authKey: Uint8Array;
}

export interface SaPairKeys {
  algs: SadbAlgs;
  mode: 'transport' | 'tunnel';
  reqid: number;
  inbound: SaDirKeys;
  outbound: SaDirKeys;
  /** Extended sequence numbers (RFC 4303 §2.2.1), as IKEv2 negotiates them (RFC 7296 §3.3.2). */
  esn?: boolean;
}

/** UDP encapsulation ports once the IKE ports floated (RFC 3948): ESP-in-UDP on the same ports. */
export interface NattPorts {
  localPort: number;
  remotePort: number;
}

/** Zero-fills the key bytes of a pair once the kernel has them: no key outlives its use in racoon. */
export function wipeSaPair(k: SaPairKeys): void {
  k.inbound.encKey.fill(0);
  k.inbound.authKey.fill(0);
  k.outbound.encKey.fill(0);
  k.outbound.authKey.fill(0);
}
