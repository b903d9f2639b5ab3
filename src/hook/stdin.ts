/**
 * All of a hook's stdin. Read with blocking reads: git hands its hooks a pipe it writes and then closes, and a
 * synchronous read spares setting up process.stdin's stream, a few ms of a hook's start
 * (docs/performance.md). A stdin some parent made non-blocking (O_NONBLOCK: the read fails with EAGAIN) is read on
 * as a stream, after what was already read.
 */
import { readSync } from 'node:fs';

export function readStdin(): Promise<Uint8Array> {
  return readAll(0, () => process.stdin);
}

/** All of `fd`: blocking reads while they work, then `stream()` (the same file as a stream) for the rest. */
export async function readAll(fd: number, stream: () => AsyncIterable<unknown>): Promise<Uint8Array> {
  const chunks: Buffer[] = [];
  try {
    for (;;) {
      const buf = Buffer.allocUnsafe(65536);
      const n = readSync(fd, buf, 0, buf.length, null);
      if (n === 0) return Buffer.concat(chunks);
      chunks.push(buf.subarray(0, n));
    }
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code !== 'EAGAIN') throw e;
  }
  for await (const c of stream()) chunks.push(c as Buffer);
  return Buffer.concat(chunks);
}
