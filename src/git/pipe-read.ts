/**
 * All of a pipe's bytes, read without a stream when the writer has already finished: a hook's stdin (receive-pack
 * wrote its commands and closed the pipe before Node was up) and the output of the `git config` its script started
 * beside it (hooks/pre-receive). A stream costs a cold process the `net` machinery and an event-loop turn.
 *
 * The pipe is opened again through /proc/self/fd with O_NONBLOCK: a new open file description, so the fd the
 * process was given keeps its own flags. What is there is read at once; the first read that would wait (EAGAIN:
 * the writer still holds the pipe open) hands over to the stream for the rest, so a pipe held open never blocks
 * the process (its time limit and signal handlers keep running: test/e2e/attacks/stdin-held-open.test.ts). Not a
 * pipe, no /proc, any error: the stream does it all.
 */
import { closeSync, constants, fstatSync, openSync, readSync } from 'node:fs';
import type { Readable } from 'node:stream';

/** What could be read at once: the bytes and whether the writer's end is closed (all of it was read). */
export interface PipeNow {
  chunks: Buffer[];
  ended: boolean;
}

/** Reads `fd` as far as it can without waiting (see above); null when it cannot tell (not a pipe, no /proc). */
export function readPipeNow(fd: number): PipeNow | null {
  let again: number;
  try {
    if (!fstatSync(fd).isFIFO()) return null;
    again = openSync(`/proc/self/fd/${fd}`, constants.O_RDONLY | constants.O_NONBLOCK);
  } catch {
    return null;
  }
  const chunks: Buffer[] = [];
  try {
    for (;;) {
      const b = Buffer.allocUnsafe(65536);
      let n: number;
      try {
        n = readSync(again, b, 0, b.length, null);
      } catch (e) {
        if ((e as NodeJS.ErrnoException).code === 'EAGAIN') return { chunks, ended: false };
        throw e;
      }
      if (n === 0) return { chunks, ended: true };
      chunks.push(b.subarray(0, n));
    }
  } catch {
    // Bytes already taken out of the pipe cannot go back: the stream reads the rest, after them.
    return { chunks, ended: false };
  } finally {
    closeSync(again);
  }
}

/**
 * All of the pipe on `fd`: at once when it can (readPipeNow), else through `stream()` (opened only then).
 * `close`: `fd` is closed once read at once (a stream closes its fd itself), so that no child started later inherits it.
 */
export function readPipe(fd: number, stream: () => Readable, close = false): Promise<Buffer> {
  const now = readPipeNow(fd);
  if (now?.ended) {
    if (close) {
      try {
        closeSync(fd);
      } catch {
        // not open
      }
    }
    return Promise.resolve(Buffer.concat(now.chunks));
  }
  return new Promise((resolve, reject) => {
    const chunks = now?.chunks ?? [];
    const s = stream();
    s.on('data', (c: Buffer) => chunks.push(c));
    s.once('end', () => resolve(Buffer.concat(chunks)));
    s.once('error', reject);
  });
}
