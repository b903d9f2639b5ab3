/**
 * One long-lived `git cat-file --batch-command` child: requests go in on its
 * stdin, `contents <oid>` or `info <oid>` a line, and come back in order as
 * `<oid> <type> <size>`, then for `contents` the content and a LF (or
 * `<oid> missing`). Requests are queued, so many reads may be in flight on
 * one process. `info` gives an object's type without reading its content (a
 * blob may be large).
 */
import { spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
import type { ObjectType } from './store.js';
import { oneLine } from '../core/messages.js';
import { GitProcessError, ObjectNotFoundError } from './errors.js';

/** An object as cat-file returns it. */
export interface BatchObject {
  type: ObjectType;
  content: Uint8Array;
}

interface Pending {
  oid: string;
  /** False for an `info` request: the header only, no content follows. */
  content: boolean;
  resolve: (o: BatchObject) => void;
  reject: (e: Error) => void;
}

const OBJECT_TYPES = new Set(['commit', 'tree', 'blob', 'tag']);

/** One `git cat-file --batch-command` child and its FIFO of requests. */
export class BatchProcess {
  dead = false;
  private readonly child: ChildProcessWithoutNullStreams;
  private readonly queue: Pending[] = [];
  private chunks: Buffer[] = [];
  private buffered = 0;
  /** Set while waiting for an object's body: its header and the number of bytes to read (content + LF). */
  private body: { type: ObjectType; need: number } | null = null;
  private stderr = '';
  private failure: GitProcessError | null = null;

  constructor(git: string, env: NodeJS.ProcessEnv) {
    const args = ['cat-file', '--batch-command'];
    this.child = spawn(git, args, { env, stdio: ['pipe', 'pipe', 'pipe'] });
    this.child.stdout.on('data', (b: Buffer) => this.onData(b));
    this.child.stderr.on('data', (b: Buffer) => {
      if (this.stderr.length < 4000) this.stderr += b.toString('utf8');
    });
    this.child.stdin.on('error', () => {
      /* reported through 'close' */
    });
    this.child.on('error', (e) => this.fail(new GitProcessError(`cannot run ${git} cat-file: ${oneLine(e.message)}`, args, undefined, git)));
    this.child.on('close', (code, signal) => {
      const why = oneLine(this.stderr) || (signal ? `killed by ${signal}` : `exit ${code}`);
      this.fail(new GitProcessError(`git cat-file stopped: ${why}`, args, { exitCode: code, signal, stderr: this.stderr.trim() }, git));
    });
  }

  /** The object's type and content; rejects when it is missing or the process failed. */
  read(oid: string): Promise<BatchObject> {
    return this.request(oid, true);
  }

  /** The object's type alone (its content is not read); rejects when it is missing or the process failed. */
  async type(oid: string): Promise<ObjectType> {
    return (await this.request(oid, false)).type;
  }

  private request(oid: string, content: boolean): Promise<BatchObject> {
    if (this.failure) return Promise.reject(this.failure);
    return new Promise((resolve, reject) => {
      this.queue.push({ oid, content, resolve, reject });
      this.child.stdin.write(`${content ? 'contents' : 'info'} ${oid}\n`);
    });
  }

  close(): Promise<void> {
    return new Promise((resolve) => {
      if (this.child.exitCode !== null || this.child.signalCode !== null) return resolve();
      this.child.once('close', () => resolve());
      this.child.stdin.end();
    });
  }

  private fail(e: GitProcessError): void {
    this.dead = true;
    if (!this.failure) this.failure = e;
    for (const p of this.queue.splice(0)) {
      p.reject(new GitProcessError(`cannot read object ${p.oid}: ${e.message}`, e.args, e, e.program, { cause: e }));
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
    this.chunks.push(b);
    this.buffered += b.length;
    for (;;) {
      if (this.body) {
        if (this.buffered < this.body.need) return;
        const raw = this.take(this.body.need);
        const { type } = this.body;
        this.body = null;
        // Copy out of the shared stdout buffer; drop the trailing LF.
        this.queue.shift()?.resolve({ type, content: new Uint8Array(raw.subarray(0, raw.length - 1)) });
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
        this.fail(new GitProcessError(`unexpected output from git cat-file: ${oneLine(line)}`, ['cat-file', '--batch-command']));
        this.child.kill();
        return;
      }
      const parts = line.split(' ');
      if (parts.length === 3 && OBJECT_TYPES.has(parts[1]!) && /^\d+$/.test(parts[2]!)) {
        if (p.content) this.body = { type: parts[1] as ObjectType, need: Number(parts[2]) + 1 };
        else {
          this.queue.shift();
          p.resolve({ type: parts[1] as ObjectType, content: new Uint8Array(0) });
        }
      } else if (parts.length === 2 && parts[1] === 'missing') {
        this.queue.shift();
        p.reject(new ObjectNotFoundError(p.oid));
      } else {
        this.queue.shift();
        p.reject(new GitProcessError(`cannot read object ${p.oid}: ${oneLine(line)}`, ['cat-file', '--batch-command']));
      }
    }
  }
}
