/**
 * All of a hook's stdin, read as a stream. A blocking read (readSync) would save a few ms of a cold start, but a
 * process blocked in it runs neither its time limit nor its signal handlers: a stdin held open would hold the push
 * for ever (test/e2e/attacks/stdin-held-open.test.ts). An asynchronous fs.read is no better: it blocks a thread of
 * libuv's pool, and Node's exit waits for that thread, so the time limit's exit would too. The stream keeps both
 * working; it is read through its events, not an async iterator, whose machinery costs a fresh process ~2 ms more.
 */
export function readStdin(): Promise<Uint8Array> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    const stdin = process.stdin;
    stdin.on('data', (c: Buffer) => chunks.push(c));
    stdin.once('end', () => resolve(Buffer.concat(chunks)));
    stdin.once('error', reject);
  });
}
