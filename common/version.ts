// The package version for every command's `--version`, read from the package.json above this file (the same code
// runs from source and from dist/, at different depths).
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

/** The directory holding package.json, walking up from this module. */
export function packageRoot(): string {
  let d = dirname(fileURLToPath(import.meta.url));
  while (!existsSync(join(d, 'package.json'))) {
    const up = dirname(d);
    if (up === d) throw new Error('package.json not found above common/');
    d = up;
  }
  return d;
}

/** `uipsec 0.1.0`, or `unknown` when package.json cannot be read. */
export function packageVersion(): string {
  try {
    const pkg = JSON.parse(readFileSync(join(packageRoot(), 'package.json'), 'utf8')) as { version?: unknown };
    return typeof pkg.version === 'string' ? pkg.version : 'unknown';
  } catch {
    return 'unknown';
  }
}

/** Every command's `--version` line (`setkey @(#) uipsec 0.1.0 (...)`, in the spirit of ipsec-tools' -V). */
export function versionLine(program: string): string {
  return `${program} @(#) uipsec ${packageVersion()} (userland IPsec in the KAME tradition)\n`;
}
