/**
 * The hooks read stdin with blocking reads (src/hook/stdin.ts), and read on through process.stdin when a parent
 * made the pipe non-blocking: all of it arrives either way, in order.
 */
import { spawn, spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { afterAll, expect, test } from 'vitest';
import { cleanupTempDirs, tempDir } from '../support/git.js';

const root = path.resolve(import.meta.dirname, '../..');
const stdinModule = path.join(root, 'dist/hook/stdin.js');

afterAll(() => cleanupTempDirs());

/** A child that prints `stream` when it falls back to process.stdin, then the hex of all it read. */
const CHILD = `
const d = Object.getOwnPropertyDescriptor(process, 'stdin');
Object.defineProperty(process, 'stdin', { configurable: true, get() { process.stdout.write('stream\\n'); return d.get.call(process); } });
const { readStdin } = await import(${JSON.stringify(stdinModule)});
process.stdout.write(Buffer.from(await readStdin()).toString('hex') + '\\n');
`;

test('a blocking pipe is read to its end without process.stdin', () => {
  const input = Buffer.alloc(200_000, 'x'); // more than one read
  input.write('first line\n');
  const r = spawnSync(process.execPath, ['--input-type=module', '-e', CHILD], { input });
  expect(r.status, String(r.stderr)).toBe(0);
  expect(String(r.stdout)).toBe(`${input.toString('hex')}\n`);
});

/**
 * git and libuv-based parents hand a hook a blocking pipe (libuv even clears O_NONBLOCK on a child's stdio), so the
 * non-blocking case is made in the child: it opens a FIFO with O_NONBLOCK itself and reads it as the hook reads stdin.
 */
test('a non-blocking pipe: what was there is kept, the rest is read as a stream', async () => {
  const fifo = path.join(tempDir(), 'fifo');
  expect(spawnSync('mkfifo', [fifo]).status).toBe(0);
  const child = spawn(
    process.execPath,
    [
      '--input-type=module',
      '-e',
      `
import * as fs from 'node:fs';
import * as net from 'node:net';
const { readAll } = await import(${JSON.stringify(stdinModule)});
const fd = fs.openSync(${JSON.stringify(fifo)}, fs.constants.O_RDONLY | fs.constants.O_NONBLOCK);
process.stdout.write('open\\n');
fs.readSync(0, Buffer.alloc(1)); // the go-ahead: the writer is open and part one is in the pipe
const got = await readAll(fd, () => { process.stdout.write('stream\\n'); return new net.Socket({ fd, readable: true, writable: false }); });
process.stdout.write(Buffer.from(got).toString('hex') + '\\n');
`,
    ],
    { stdio: ['pipe', 'pipe', 'pipe'] },
  );
  let out = '';
  let err = '';
  child.stderr.on('data', (b: Buffer) => (err += b));
  const waiters: Array<() => void> = [];
  child.stdout.on('data', (b: Buffer) => {
    out += b;
    for (const w of waiters) w();
  });
  const done = new Promise<number | null>((resolve) => child.on('close', resolve));
  // Resolves when the child printed `line`; rejects if it ended first (so a broken child fails the test, never hangs it).
  const seen = (line: string) =>
    Promise.race([
      new Promise<void>((resolve) => {
        const check = () => out.includes(line) && resolve();
        waiters.push(check);
        check();
      }),
      done.then(() => {
        if (!out.includes(line)) throw new Error(`the child ended before printing ${JSON.stringify(line)}: ${err}`);
      }),
    ]);
  await seen('open\n');
  // Opening for writing does not block: the child holds the reading end.
  const writer = fs.openSync(fifo, fs.constants.O_WRONLY);
  fs.writeSync(writer, 'part one\n');
  child.stdin.write('g');
  // The rest only once the child found the pipe empty but still open (EAGAIN) and went on as a stream.
  await seen('stream\n');
  fs.writeSync(writer, 'part two\n');
  fs.closeSync(writer);
  expect(await done, err).toBe(0);
  expect(out.split('\n').at(-2)).toBe(Buffer.from('part one\npart two\n').toString('hex'));
});
