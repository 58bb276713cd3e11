// Stateless cookies for IKE_SA_INIT under load (RFC 7296 §2.6): Cookie = <VersionIDofSecret> |
// Hash(Ni | IPi | SPIi | <secret>), required once the half-open count reaches a threshold and, as strongSwan
// does, for a calm-down time after the last time it was (so one initiator's retransmissions are answered
// alike). The secret changes after a number of cookies and the previous one is still honoured.
import { createHash } from 'node:crypto';
import { putU32, u32, equalCT, wipe } from '../../common/bytes.js';
import type { Clock } from '../../common/clock.js';
import { randomBytes, type Rng } from '../../common/rng.js';

const SECRET_LEN = 32;
const VERSION_LEN = 4;
/** A new secret after this many cookies (strongSwan COOKIE_REUSE is 10 000). */
export const COOKIE_SECRET_USES = 10_000;
/** Cookies stay required this long after the load went down (strongSwan COOKIE_CALMDOWN_DELAY). */
export const COOKIE_CALMDOWN_MS = 10_000;
/** Half-open IKE SAs above which cookies are required (strongSwan's cookie_threshold default). */
export const DEFAULT_COOKIE_THRESHOLD = 10;

export class CookieJar {
  private version = 1;
  private secret: Uint8Array;
  private previous?: { version: number; secret: Uint8Array };
  private uses = 0;
  private lastRequiredMs = -Infinity;

  constructor(
    private readonly rng: Rng,
    private readonly clock: Clock,
    readonly threshold = DEFAULT_COOKIE_THRESHOLD,
  ) {
    this.secret = randomBytes(rng, SECRET_LEN);
  }

  /** Whether a new IKE_SA_INIT must bring a cookie, given the half-open IKE SAs now. */
  required(halfOpen: number): boolean {
    const now = this.clock.now();
    if (halfOpen >= this.threshold) this.lastRequiredMs = now;
    return now - this.lastRequiredMs < COOKIE_CALMDOWN_MS;
  }

  private hash(version: number, secret: Uint8Array, ni: Uint8Array, ip: Uint8Array, spiI: Uint8Array): Uint8Array {
    const out = new Uint8Array(VERSION_LEN + 32);
    putU32(out, 0, version);
    out.set(createHash('sha256').update(ni).update(ip).update(spiI).update(secret).digest(), VERSION_LEN);
    return out;
  }

  /** The cookie for an initiator's nonce, address and SPI. */
  make(ni: Uint8Array, ip: Uint8Array, spiI: Uint8Array): Uint8Array {
    if (++this.uses > COOKIE_SECRET_USES) this.rotate();
    return this.hash(this.version, this.secret, ni, ip, spiI);
  }

  /** A returned cookie is one we made, with the current or the previous secret. */
  verify(cookie: Uint8Array, ni: Uint8Array, ip: Uint8Array, spiI: Uint8Array): boolean {
    if (cookie.length !== VERSION_LEN + 32) return false;
    const v = u32(cookie, 0);
    const secret = v === this.version ? this.secret : v === this.previous?.version ? this.previous.secret : undefined;
    return secret !== undefined && equalCT(this.hash(v, secret, ni, ip, spiI), cookie);
  }

  private rotate(): void {
    if (this.previous) wipe(this.previous.secret);
    this.previous = { version: this.version, secret: this.secret };
    this.version = (this.version + 1) >>> 0;
    this.secret = randomBytes(this.rng, SECRET_LEN);
    this.uses = 1;
  }
}
