/**
 * Where the pre-receive process reads its commands and writes its lines. A hook started by its script has them on
 * fds 0 and 2; a warm judge (hook/warm.ts) was started before the push and takes them from the script that hands it
 * the push, so it points these at what it opened.
 */
import { writeSync } from 'node:fs';

export interface HookIo {
  /** The fd git's ref update commands come on. */
  stdinFd: number;
  /** Writes the hook's lines where the pusher sees them. */
  write(text: string): void;
}

// Shared through globalThis: the loader (start.ts), where a warm judge sets it, and the bundle, where the hook reads
// it, each hold a copy of this module.
export const hookIo: HookIo = ((globalThis as Record<symbol, unknown>)[Symbol.for('git-acl.hook-io')] ??= {
  stdinFd: 0,
  write: (text: string) => void process.stderr.write(text),
}) as HookIo;

/** Writes all of `text` to `fd`, synchronously: a judge's lines must be out before it says how the push ended. */
export function writeAllSync(fd: number, text: string): void {
  const b = Buffer.from(text);
  let at = 0;
  while (at < b.length) at += writeSync(fd, b, at, b.length - at);
}
