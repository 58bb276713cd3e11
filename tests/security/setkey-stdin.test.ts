// Issue 11 (left from item 13): `setkey -c` and `setkey -f -` read stdin with bounds. A local user piping an
// endless stream into the shipped bin/setkey — no newline, newlines but no ';', or just very much — makes it
// stop with an error naming the limit (1 MiB a line or a statement, 256 MiB in all), not grow without end.
// Each flood is bounded by the test's own loop (a byte budget), and the figures are printed, not timed.
import { strict as assert } from 'node:assert';
import { spawn } from 'node:child_process';
import { repoRoot } from '../e2e/support.js';
import { commandArgs, runCommand, sampleRss } from './support.js';

const MiB = 1024 * 1024;

interface Flooded {
  code: number | null;
  err: string;
  /** Bytes the child accepted before it stopped reading (what the pipe took counts too). */
  written: number;
  peakKiB: number;
}

/** Writes `chunk` to setkey's stdin again and again until it exits or `budget` bytes went in. */
async function flood(args: string[], chunk: Buffer, budget: number): Promise<Flooded> {
  const child = spawn(process.execPath, commandArgs('setkey', args), {
    cwd: repoRoot(),
    stdio: ['pipe', 'ignore', 'pipe'],
  });
  const rss = sampleRss(child.pid!);
  let err = '';
  child.stderr.on('data', (d: Buffer) => (err += d.toString()));
  const exited = new Promise<number | null>((resolve) => child.on('close', (code) => resolve(code)));
  let gone = false;
  void exited.then(() => (gone = true));
  child.stdin.on('error', () => (gone = true)); // EPIPE once setkey has stopped reading
  let written = 0;
  while (!gone && written < budget) {
    const ok = child.stdin.write(chunk);
    written += chunk.length;
    if (!ok) await Promise.race([new Promise((r) => child.stdin.once('drain', r)), exited]);
  }
  child.stdin.end();
  const code = await exited;
  return { code, err, written, peakKiB: rss.stop().peak };
}

function show(what: string, r: Flooded): void {
  console.log(
    `      ${what}: exit ${r.code} after ${(r.written / MiB).toFixed(1)} MiB written, ` +
      `peak RSS ${(r.peakKiB / 1024).toFixed(0)} MiB: ${r.err.trim()}`,
  );
}

describe('security: setkey -c and -f - read stdin with bounds (issue 11)', () => {
  it('an endless line without a newline stops at 1 MiB, for -c and for -f -', async () => {
    const chunk = Buffer.alloc(64 * 1024, 'A');
    for (const args of [
      ['-n', '-c'],
      ['-n', '-f', '-'],
    ]) {
      const r = await flood(args, chunk, 256 * MiB);
      show(`setkey ${args.join(' ')}`, r);
      assert.equal(r.code, 1);
      assert.match(r.err, /line 1 longer than 1 MiB; refusing to read on/);
      assert.ok(r.written < 32 * MiB, `setkey read on to ${r.written} bytes`);
    }
  });

  it('-c: lines that never end a statement stop at 1 MiB of statement', async () => {
    const r = await flood(['-n', '-c'], Buffer.from('add\n'.repeat(16 * 1024)), 256 * MiB);
    show('setkey -n -c, "add" lines without ";"', r);
    assert.equal(r.code, 1);
    assert.match(r.err, /setkey: stdin: line \d+: a statement longer than 1 MiB without ';'; refusing to read on/);
    assert.ok(r.written < 32 * MiB, `setkey read on to ${r.written} bytes`);
  });

  it('-c: more than 256 MiB of input in all stops, with memory flat while it streams', async () => {
    const line = '#'.repeat(1023) + '\n';
    const r = await flood(['-n', '-c'], Buffer.from(line.repeat(256)), 300 * MiB);
    show('setkey -n -c, 256 MiB of comment lines', r);
    assert.equal(r.code, 1);
    assert.match(r.err, /setkey: stdin: more than 256 MiB of input; refusing to read on/);
    assert.ok(r.written < 300 * MiB, 'setkey read the whole budget');
    // Streamed, one line at a time: far below the 256 MiB it read (node itself is about 50 MiB).
    assert.ok(r.peakKiB < 160 * 1024, `peak RSS ${r.peakKiB} KiB`);
  });

  it('statements within the limits still run, with \\r\\n line ends and a last line without one', async () => {
    const sa = 'add 10.0.0.1 10.0.0.2 esp 0x1001 -E aes-cbc 0x00112233445566778899aabbccddeeff';
    for (const args of [
      ['-n', '-c'],
      ['-n', '-f', '-'],
    ]) {
      const ok = await runCommand('setkey', args, { stdin: `${sa};\r\nflush;\r\n${sa}\r\n;` });
      assert.equal(ok.code, 0, `setkey ${args.join(' ')}: ${ok.err}`);
      const bad = await runCommand('setkey', args, { stdin: `flush;\r\nadd 10.0.0.1;` });
      assert.equal(bad.code, 1, `setkey ${args.join(' ')} parses what it read`);
    }
  });
});
