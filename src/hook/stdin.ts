/**
 * All of a hook's stdin. git has written and closed it before Node is up, so it is read at once without a stream
 * (git/pipe-read.ts); a stdin still held open is read as a stream, never with a blocking read: a process blocked in
 * one runs neither its time limit nor its signal handlers, and a stdin held open would hold the push for ever
 * (test/e2e/attacks/stdin-held-open.test.ts). An asynchronous fs.read is no better: it blocks a thread of libuv's
 * pool, and Node's exit waits for that thread, so the time limit's exit would too.
 */
import { Socket } from 'node:net';
import { readPipe } from '../git/pipe-read.js';
import { hookIo } from './io.js';

export function readStdin(): Promise<Uint8Array> {
  const fd = hookIo.stdinFd;
  return readPipe(fd, () => (fd === 0 ? process.stdin : new Socket({ fd, readable: true, writable: false })));
}
