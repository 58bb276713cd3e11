// Process launcher for the racoon end-to-end test: `node [--import tsx] racoon-launch.{ts,js} <program> args`
// runs uipsecd, racoon, racoonctl or setkey from source or from dist alike (relative imports resolve either way).
const [what, ...args] = process.argv.slice(2);
if (what === 'uipsecd') {
  const m = await import('../../kernel/daemon/main.js');
  process.exitCode = await m.cli(args);
} else if (what === 'racoon') {
  const m = await import('../../racoon/main.js');
  process.exit(await m.main(args));
} else if (what === 'racoonctl') {
  const m = await import('../../app/racoonctl.js');
  process.exitCode = await m.racoonctlMain(args);
} else if (what === 'setkey') {
  const m = await import('../../setkey/main.js');
  process.exitCode = await m.runSetkey(args, m.processIo());
} else {
  process.stderr.write(`racoon-launch: unknown program '${what}'\n`);
  process.exitCode = 2;
}
