/**
 * A `git cat-file` this process did not start: the hook's script starts it beside Node and hands over its two
 * pipes (hooks/pre-receive, server/early-children.ts). It looks to BatchProcess like a child it spawned: stdin,
 * stdout, an (empty) stderr, 'close' once its answers end, kill(). It has no pid here: it cannot be signalled, only
 * cut off (kill() closes both pipes: git then fails its next write and exits, and the script ends it when Node is
 * gone in any case).
 */
import { EventEmitter } from 'node:events';
import { Socket } from 'node:net';
import { PassThrough } from 'node:stream';

export class InheritedChild extends EventEmitter {
  /**
   * What BatchProcess tells it by: the hook's loader and its bundle each hold a copy of this module, so an instance
   * made by one is not `instanceof` the other's class.
   */
  readonly inherited = true;
  readonly pid: number | undefined = undefined;
  exitCode: number | null = null;
  signalCode: NodeJS.Signals | null = null;
  readonly stdin: Socket;
  readonly stdout: Socket;
  /** git's stderr went to /dev/null in the script: nothing ever comes. */
  readonly stderr = new PassThrough();
  private ended = false;

  /** `readFd`: the child's answers (its stdout); `writeFd`: its requests (its stdin). */
  constructor(readFd: number, writeFd: number) {
    super();
    this.stdout = new Socket({ fd: readFd, readable: true, writable: false });
    this.stdin = new Socket({ fd: writeFd, readable: false, writable: true });
    this.stdin.on('error', () => undefined); // git gone: its answers end too, and that is what is reported
    this.stdout.on('error', () => this.end());
    this.stdout.once('close', () => this.end());
  }

  kill(_signal?: NodeJS.Signals): boolean {
    this.stdin.destroy();
    this.stdout.destroy();
    return true;
  }

  private end(): void {
    if (this.ended) return;
    this.ended = true;
    this.exitCode = -1; // ended, with no status to tell
    this.stdin.destroy();
    this.emit('exit', null, null);
    this.emit('close', null, null);
  }
}
