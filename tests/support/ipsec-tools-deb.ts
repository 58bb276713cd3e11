// ipsec-tools' own racoonctl, for interop tests of racoon's admin protocol: Debian's `racoon` package fetched
// with `apt-get download` and unpacked with `dpkg -x` into a temporary directory — never installed (it
// conflicts with ours and ships a service). Debian dropped ipsec-tools after buster, so on newer releases the
// package is not in the archive: the tests then skip with that reason.
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

let cached: { racoonctl: string } | { skip: string } | undefined;

/** The unpacked racoonctl's path, or why there is none. Fetched once per test process. */
export function ipsecToolsRacoonctl(): { racoonctl: string } | { skip: string } {
  if (cached) return cached;
  const dir = mkdtempSync(join(tmpdir(), 'uipsec-ipsec-tools-'));
  const dl = spawnSync('apt-get', ['download', 'racoon'], { cwd: dir, encoding: 'utf8', timeout: 120_000 });
  const deb = readdirSync(dir).find((f) => f.startsWith('racoon_') && f.endsWith('.deb'));
  if (dl.status !== 0 || !deb) {
    const why = (dl.stderr || dl.error?.message || 'no .deb').trim().split('\n').pop();
    return (cached = { skip: `ipsec-tools' racoon .deb cannot be fetched (apt-get download racoon: ${why})` });
  }
  const x = spawnSync('dpkg', ['-x', join(dir, deb), join(dir, 'root')], { encoding: 'utf8' });
  const bin = join(dir, 'root', 'usr', 'sbin', 'racoonctl');
  if (x.status !== 0 || !existsSync(bin)) return (cached = { skip: `dpkg -x ${deb} failed: ${x.stderr.trim()}` });
  return (cached = { racoonctl: bin });
}
