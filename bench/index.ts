// `npm run bench`: runs every bench/*.bench.js module (compiled) in turn. Each module's default export
// prints its own figures as ratios against a baseline measured in the same run (machines are noisy).
import { readdirSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

const here = dirname(fileURLToPath(import.meta.url));
const only = process.argv.slice(2);
const files = readdirSync(here)
  .filter((f) => f.endsWith('.bench.js'))
  .sort();
for (const f of files) {
  const name = f.replace(/\.bench\.js$/, '');
  if (only.length && !only.includes(name)) continue;
  console.log(`\n== ${name} ==`);
  const mod = (await import(pathToFileURL(join(here, f)).href)) as { default: () => Promise<void> | void };
  await mod.default();
}
