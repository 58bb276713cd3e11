// The UDP side of IKE, the same for every version: the endpoints a message travels between, the sender the
// daemon is given, and the RFC 3948 framing on the NAT-T port (non-ESP marker, NAT-keepalive byte).

/** One end of an IKE conversation. */
export interface Endpoint {
  addr: Uint8Array;
  port: number;
}

/** Where an IKE SA's messages go now: both ends (the ports may float to NAT-T, RFC 3947 §4, RFC 7296 §2.23). */
export interface IkePath {
  local: Endpoint;
  remote: Endpoint;
  /** Splits a message into the datagrams that carry it (IKEv1 fragmentation); absent: one datagram. */
  fragment?: (msg: Uint8Array) => Uint8Array[];
}

/** Sends one IKE datagram (UDP payload, non-ESP marker included when on the NAT-T port). */
export interface IkeSender {
  send(data: Uint8Array, from: Endpoint, to: Endpoint): void;
}

/** RFC 3948 §2.2: IKE on the NAT-T port starts with four zero bytes, where ESP has its (non-zero) SPI. */
export const NON_ESP_MARKER_LEN = 4;

/** RFC 3948 §2.3: a NAT-keepalive is one 0xFF byte; it is neither IKE nor ESP. */
export function isNattKeepalive(d: Uint8Array): boolean {
  return d.length === 1 && d[0] === 0xff;
}

/** A fresh NAT-keepalive datagram. */
export function nattKeepalive(): Uint8Array {
  return Uint8Array.of(0xff);
}

/** The IKE message in a datagram received on the NAT-T port; undefined when the marker is missing (ESP). */
export function stripNonEspMarker(d: Uint8Array): Uint8Array | undefined {
  if (d.length < NON_ESP_MARKER_LEN || d[0] || d[1] || d[2] || d[3]) return undefined;
  return d.subarray(NON_ESP_MARKER_LEN);
}

/**
 * Sends one IKE message on a path, in the datagrams the path splits it into, each behind the non-ESP marker
 * when either end is on the NAT-T port. Returns the number of datagrams.
 */
export function sendIke(sender: IkeSender, nattPort: number, path: IkePath, bytes: Uint8Array): number {
  const marker = path.local.port === nattPort || path.remote.port === nattPort;
  const parts = path.fragment ? path.fragment(bytes) : [bytes];
  for (const part of parts) {
    let out = part;
    if (marker) {
      out = new Uint8Array(NON_ESP_MARKER_LEN + part.length);
      out.set(part, NON_ESP_MARKER_LEN);
    }
    sender.send(out, path.local, path.remote);
  }
  return parts.length;
}
