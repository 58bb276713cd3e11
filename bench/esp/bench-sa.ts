// The SecAssoc and the 1400-byte IPv4 packet the ESP benches encapsulate (transport mode, no SAD around it).
import { randomFillSync } from 'node:crypto';
import { ReplayWindow } from '../../kernel/sad/replay.js';
import { findEncAlg, findAuthAlg } from '../../crypto/registry.js';
import type { Backend } from '../../crypto/types.js';
import type { SecAssoc } from '../../kernel/sad/secassoc.js';

export const PACKET_BYTES = 1400;
export const IP_HDR = 20;

export function benchPacket(): Uint8Array {
  const p = new Uint8Array(PACKET_BYTES);
  randomFillSync(p, IP_HDR);
  p.set([0x45, 0, PACKET_BYTES >> 8, PACKET_BYTES & 0xff, 0, 1, 0x40, 0, 64, 17, 0, 0, 192, 0, 2, 1, 192, 0, 2, 2]);
  return p;
}

export interface SaSpec {
  enc: string;
  auth?: string;
  spi?: number;
}

export function benchSa(
  s: SaSpec,
  encKey: Uint8Array,
  authKey: Uint8Array | undefined,
  be: Backend | undefined,
): SecAssoc {
  const life = { allocations: 0, bytes: 0, addtimeSec: 0, usetimeSec: 0 };
  const encAlg = findEncAlg(s.enc);
  const authAlg = s.auth ? findAuthAlg(s.auth) : undefined;
  return {
    spi: s.spi ?? 0x1234,
    proto: 'esp',
    mode: 'transport',
    src: new Uint8Array([192, 0, 2, 1]),
    dst: new Uint8Array([192, 0, 2, 2]),
    reqid: 0,
    state: 'mature',
    esn: false,
    replayBits: 64,
    replay: new ReplayWindow(64, false),
    seqOutHi: 0,
    seqOutLo: 0,
    cyclicSeq: false,
    encAlg,
    encKey,
    authAlg,
    authKey,
    aead: encAlg.kind === 'aead' ? encAlg.create(encKey, be) : undefined,
    cipher: encAlg.kind === 'cipher' ? encAlg.create(encKey, be) : undefined,
    auth: authAlg && authKey ? authAlg.create(authKey, be) : undefined,
    tfcPadTo: 0,
    hard: { ...life },
    soft: { ...life },
    current: { ...life },
    ownerPid: 0,
    seq: 0,
  };
}
