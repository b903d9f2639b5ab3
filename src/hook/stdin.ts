/**
 * All of a hook's stdin, read as a stream. A blocking read (readSync) would save a few ms of a cold start, but a
 * process blocked in it runs neither its time limit nor its signal handlers: a stdin held open would hold the push
 * for ever (test/e2e/attacks/stdin-held-open.test.ts). The stream keeps both working.
 */
export async function readStdin(): Promise<Uint8Array> {
  const chunks: Buffer[] = [];
  for await (const c of process.stdin) chunks.push(c as Buffer);
  return Buffer.concat(chunks);
}
