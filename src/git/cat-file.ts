/**
 * One long-lived `git cat-file` child: object requests go in on its stdin, one
 * a line, and come back in order as `<oid> <type> <size>`, the content and a
 * LF (or `<oid> missing`). Requests are queued, so many reads may be in
 * flight on one process.
 *
 * Three modes. `command` (`--batch-command`, git 2.36 and later) answers both
 * `info <oid>` (the header alone) and `contents <oid>` on one process, so a
 * reader can learn an object's size before asking for its content: a small
 * pack can hold a blob that inflates to gigabytes, and once git has been asked
 * for the content it writes all of it. Older git has only `batch` (`--batch`,
 * contents) and `check` (`--batch-check`, headers): the store then keeps one of
 * each.
 */
import type { ChildProcessWithoutNullStreams } from 'node:child_process';
import { childProcess } from './lazy-child-process.js';
import type { ObjectType } from './store.js';
import { oneLine } from '../core/messages.js';
import { GitProcessError, ObjectNotFoundError } from './errors.js';
import { adoptChild, childKey, referChild, registerEarlyChild, trackChild, type EarlyChild } from './exec.js';
import type { InheritedChild } from './inherited-child.js';

export type BatchMode = 'command' | 'batch' | 'check';

/** An object as cat-file returns it. */
export interface BatchObject {
  type: ObjectType;
  content: Uint8Array;
}

/** An object's header: what `info` (or `--batch-check`) answers. */
export interface BatchInfo {
  type: ObjectType;
  size: number;
}

interface Pending {
  oid: string;
  /** `info`: the answer is the header alone. */
  info: boolean;
  /** A content request's bound: an object past it is refused from its header (OversizeObject), never read. */
  maxBytes?: number;
  resolve: (o: BatchObject | BatchInfo) => void;
  reject: (e: Error) => void;
}

/**
 * A bounded read's object is past its bound: its type and size, as the header gave them before any of the content.
 * The process that said so was stopped (see BatchProcess.stopAtHeader).
 */
export class OversizeObject extends Error {
  override name = 'OversizeObject';
  constructor(
    readonly oid: string,
    readonly type: ObjectType,
    readonly size: number,
  ) {
    super(`object ${oid} is ${size} bytes`);
  }
}

/** A request that was waiting behind an oversize object when its process was stopped: to ask again, of a new one. */
export class BatchStopped extends Error {
  override name = 'BatchStopped';
}

/**
 * A cat-file the hook's script started (InheritedChild) ended before it answered: to ask again, of a process this
 * one starts, which gives git's own answer or error (that one's stderr and status are seen; the script's are not).
 */
export class BatchLost extends Error {
  override name = 'BatchLost';
}

const MODE_ARGS: Record<BatchMode, string> = { command: '--batch-command', batch: '--batch', check: '--batch-check' };

const OBJECT_TYPES = new Set(['commit', 'tree', 'blob', 'tag']);

/**
 * Starts the child `new BatchProcess(git, env, mode)` would start, now, for that constructor to take later
 * (exec.ts EarlyChild): the hook's loader does, so that git starts while the hook's code loads.
 */
export function prestartBatch(git: string, env: NodeJS.ProcessEnv, mode: BatchMode): void {
  const args = ['cat-file', MODE_ARGS[mode]];
  const child = childProcess().spawn(git, args, { env, stdio: ['pipe', 'pipe', 'pipe'] });
  trackChild(child);
  referChild(child, false);
  const entry: EarlyChild = { key: childKey(git, args, 'pipe', env), child };
  // Until it is adopted nobody listens: an 'error' (git not found) must not throw, and marks it as not to adopt.
  child.on('error', () => {
    entry.failed = true;
  });
  child.stdin.on('error', () => undefined);
  registerEarlyChild(entry);
}

/** One `git cat-file --batch` child and its FIFO of requests. */
export class BatchProcess {
  dead = false;
  private readonly child: ChildProcessWithoutNullStreams;
  private readonly queue: Pending[] = [];
  private chunks: Buffer[] = [];
  private buffered = 0;
  /** Set while waiting for an object's body: its header and the number of bytes to read (content + LF). */
  private body: { type: ObjectType; need: number } | null = null;
  private stderr = '';
  private failure: Error | null = null;
  /** Killed on purpose (stopAtHeader): what it still writes is not read. */
  stoppedAtHeader = false;
  /** Started by the hook's script, not here (InheritedChild): its end is a BatchLost, not a failure. */
  private readonly inherited: boolean;

  readonly mode: BatchMode;

  constructor(git: string, env: NodeJS.ProcessEnv, mode: BatchMode = 'batch') {
    this.mode = mode;
    const args = ['cat-file', MODE_ARGS[mode]];
    // A child the hook's loader started early with exactly these arguments and environment (exec.ts EarlyChild),
    // if it is still running: nothing was asked of it yet, so it is as new as one started here.
    const taken = adoptChild(childKey(git, args, 'pipe', env));
    if (taken?.child && !taken.failed && taken.child.exitCode === null && taken.child.signalCode === null) {
      this.child = taken.child as ChildProcessWithoutNullStreams;
      referChild(this.child, true);
    } else {
      taken?.child?.kill('SIGKILL');
      this.child = childProcess().spawn(git, args, { env, stdio: ['pipe', 'pipe', 'pipe'] });
      trackChild(this.child);
    }
    this.child.stdout.on('data', (b: Buffer) => this.onData(b));
    this.child.stderr.on('data', (b: Buffer) => {
      if (this.stderr.length < 4000) this.stderr += b.toString('utf8');
    });
    this.child.stdin.on('error', () => {
      /* reported through 'close' */
    });
    this.child.on('error', (e) =>
      this.fail(new GitProcessError(`cannot run ${git} cat-file: ${oneLine(e.message)}`, args, undefined, git)),
    );
    this.inherited = (this.child as unknown as Partial<InheritedChild>).inherited === true;
    this.child.on('close', (code, signal) => {
      if (this.inherited) return this.fail(new BatchLost('the git cat-file started by the hook script ended'));
      const why = oneLine(this.stderr) || (signal ? `killed by ${signal}` : `exit ${code}`);
      this.fail(new GitProcessError(`git cat-file stopped: ${why}`, args, { exitCode: code, signal, stderr: this.stderr.trim() }, git));
    });
  }

  /**
   * The object's type and content; rejects when it is missing or the process failed. Not in `check` mode. With
   * `maxBytes`, an object past it rejects with OversizeObject as soon as its header arrives, and this process
   * stops (stopAtHeader): every request then waiting rejects with BatchStopped.
   */
  read(oid: string, maxBytes?: number): Promise<BatchObject> {
    if (this.mode === 'check') return Promise.reject(new Error('cat-file --batch-check reads no content'));
    return this.request(oid, false, this.mode === 'command' ? `contents ${oid}` : oid, maxBytes) as Promise<BatchObject>;
  }

  /** The object's type alone (its content is not read). Not in `batch` mode. */
  async type(oid: string): Promise<ObjectType> {
    return (await this.info(oid)).type;
  }

  /** The object's type and size, without its content. Not in `batch` mode. */
  info(oid: string): Promise<BatchInfo> {
    if (this.mode === 'batch') return Promise.reject(new Error('cat-file --batch answers no header alone'));
    return this.request(oid, true, this.mode === 'command' ? `info ${oid}` : oid) as Promise<BatchInfo>;
  }

  private request(oid: string, info: boolean, line: string, maxBytes?: number): Promise<BatchObject | BatchInfo> {
    if (this.failure) return Promise.reject(this.failure);
    return new Promise((resolve, reject) => {
      this.queue.push({ oid, info, resolve, reject, ...(maxBytes !== undefined ? { maxBytes } : {}) });
      this.child.stdin.write(`${line}\n`);
    });
  }

  close(): Promise<void> {
    return new Promise((resolve) => {
      if (this.child.exitCode !== null || this.child.signalCode !== null) return resolve();
      this.child.once('close', () => resolve());
      this.child.stdin.end();
    });
  }

  /**
   * git writes a whole object once asked for it and cannot be told to stop, and an object past a read's bound may be
   * gigabytes (a tree inflated from a small pack). So its header is the answer: the process is killed before any of
   * the content is read, and the requests behind it fail with BatchStopped, for the store to ask again of a new
   * process (cli-store.ts, which asks for sizes first from then on).
   */
  private stopAtHeader(p: Pending, type: ObjectType, size: number): void {
    this.dead = true;
    this.stoppedAtHeader = true;
    const stopped = new BatchStopped(`git cat-file was stopped at object ${p.oid}, past its read's bound`);
    this.failure ??= stopped;
    this.chunks = [];
    this.buffered = 0;
    this.body = null;
    p.reject(new OversizeObject(p.oid, type, size));
    for (const q of this.queue.splice(0)) q.reject(stopped);
    this.child.kill('SIGKILL');
  }

  private fail(e: GitProcessError | BatchLost): void {
    this.dead = true;
    if (!this.failure) this.failure = e;
    for (const p of this.queue.splice(0)) {
      p.reject(
        e instanceof BatchLost ? e : new GitProcessError(`cannot read object ${p.oid}: ${e.message}`, e.args, e, e.program, { cause: e }),
      );
    }
  }

  private take(n: number): Buffer {
    const all = this.chunks.length === 1 ? this.chunks[0]! : Buffer.concat(this.chunks, this.buffered);
    const head = all.subarray(0, n);
    const rest = all.subarray(n);
    this.chunks = rest.length ? [rest] : [];
    this.buffered = rest.length;
    return head;
  }

  private onData(b: Buffer): void {
    if (this.stoppedAtHeader) return;
    this.chunks.push(b);
    this.buffered += b.length;
    for (;;) {
      if (this.body) {
        if (this.buffered < this.body.need) return;
        const raw = this.take(this.body.need);
        const { type } = this.body;
        this.body = null;
        // Copy out of the shared stdout buffer; drop the trailing LF. A Buffer, so that names and ids are sliced from
        // it natively (names.ts NativeSlices).
        this.queue.shift()?.resolve({ type, content: Buffer.copyBytesFrom(raw, 0, raw.length - 1) } satisfies BatchObject);
        continue;
      }
      if (this.buffered === 0) return;
      // Find the header line.
      let nl = -1;
      if (this.chunks.length === 1) nl = this.chunks[0]!.indexOf(0x0a);
      else {
        const all = Buffer.concat(this.chunks, this.buffered);
        this.chunks = [all];
        nl = all.indexOf(0x0a);
      }
      if (nl < 0) return;
      const line = this.take(nl + 1).toString('utf8', 0, nl);
      const p = this.queue[0];
      if (!p) {
        this.fail(new GitProcessError(`unexpected output from git cat-file: ${oneLine(line)}`, ['cat-file', MODE_ARGS[this.mode]]));
        this.child.kill();
        return;
      }
      const parts = line.split(' ');
      if (parts.length === 3 && OBJECT_TYPES.has(parts[1]!) && /^\d+$/.test(parts[2]!)) {
        if (p.info) {
          this.queue.shift();
          p.resolve({ type: parts[1] as ObjectType, size: Number(parts[2]) } satisfies BatchInfo);
          continue;
        }
        if (p.maxBytes !== undefined && Number(parts[2]) > p.maxBytes) {
          this.queue.shift();
          this.stopAtHeader(p, parts[1] as ObjectType, Number(parts[2]));
          return;
        }
        this.body = { type: parts[1] as ObjectType, need: Number(parts[2]) + 1 };
      } else if (parts.length === 2 && parts[1] === 'missing') {
        this.queue.shift();
        p.reject(new ObjectNotFoundError(p.oid));
      } else {
        this.queue.shift();
        p.reject(new GitProcessError(`cannot read object ${p.oid}: ${oneLine(line)}`, ['cat-file', MODE_ARGS[this.mode]]));
      }
    }
  }
}
