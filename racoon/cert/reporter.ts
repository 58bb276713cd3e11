// The error collector of one verification (OpenSSL's verify callback as racoon sets it): an error the caller
// tolerates becomes a warning, any other is thrown at once. In a file of its own so that verify.ts and
// revocation.ts both use it without importing each other.
import { CertError, type CertErrorCode } from './errors.js';
import { subjectText, type Certificate } from './x509.js';

/** Collects errors: tolerated ones become warnings, the first other one is thrown. */
export class Reporter {
  readonly warnings: CertError[] = [];
  constructor(
    readonly chain: readonly Certificate[],
    private readonly tolerate: ReadonlySet<CertErrorCode>,
  ) {}

  fail(code: CertErrorCode, depth: number): void {
    const c = this.chain[depth];
    const err = new CertError(code, c ? subjectText(c) : '(unknown)', depth);
    if (!this.tolerate.has(code)) throw err;
    this.warnings.push(err);
  }
}
