// The link contract: how a host's interface puts IP packets on a wire and receives them.
// Links carry whole IP packets (no link-layer header); the MTU is the largest IP packet they carry.

export interface Link {
  readonly mtu: number;
  /** Sends one IP packet toward `nextHop` (the neighbour's IP address on this link). */
  send(packet: Uint8Array, nextHop: Uint8Array): void;
  /** Installs the receive callback (one per link). */
  onReceive(fn: (packet: Uint8Array) => void): void;
  close(): void;
}
