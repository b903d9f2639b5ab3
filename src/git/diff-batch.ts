/**
 * An ObjectStore whose `diffTrees` is served by one long-lived
 * `git diff-tree --stdin` process instead of one process per diff. For
 * `git acl verify`, which diffs one pair of trees per logged push: starting a
 * process costs Node's main thread several milliseconds, more than the diff.
 *
 * Same git, same options and same parser as CliStore's own diffTrees, so the
 * operations judged are the same as the hook's. Protocol: for each request a
 * line `<old tree> <new tree>`, answered by git with that line, then the raw
 * records (`:<modes> <oids> <status>\0<path>\0`); then a line that is not an
 * object id, which git echoes and flushes: the end of the answer.
 */
import { spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { parseRawDiff } from './raw-diff.js';
import { EMPTY_TREE_OID, assertOid } from './objects.js';
import { trackChild } from './exec.js';
import type { ObjectStore, TreeChange } from './store.js';

export function withBatchDiff(base: ObjectStore, gitDir: string, env: NodeJS.ProcessEnv = process.env, git = 'git'): ObjectStore {
  let proc: DiffProcess | null = null;
  const store: ObjectStore = {
    resolveRef: (r) => base.resolveRef(r),
    readType: (o) => base.readType(o),
    peel: (o) => base.peel(o),
    commitTree: (o, limit) => base.commitTree(o, limit),
    readBlob: (o, limit) => base.readBlob(o, limit),
    readTree: (o, limit) => base.readTree(o, limit),
    isAncestor: (a, d) => base.isAncestor(a, d),
    async diffTrees(oldTree: string | null, newTree: string): Promise<TreeChange[]> {
      const from = oldTree ?? EMPTY_TREE_OID;
      assertOid(from, 'tree id');
      assertOid(newTree, 'tree id');
      if (!proc || proc.dead) proc = new DiffProcess(git, { ...env, GIT_DIR: gitDir, GIT_NO_REPLACE_OBJECTS: '1', GIT_PAGER: 'cat', GIT_TERMINAL_PROMPT: '0' });
      return proc.diff(from, newTree);
    },
    async close() {
      const p = proc;
      proc = null;
      await Promise.all([p?.close(), base.close()]);
    },
  };
  return store;
}

interface Pending {
  from: string;
  to: string;
  marker: string;
  resolve(changes: TreeChange[]): void;
  reject(e: Error): void;
}

class DiffProcess {
  dead = false;
  private readonly child: ChildProcessWithoutNullStreams;
  private readonly queue: Pending[] = [];
  private buf: Buffer = Buffer.alloc(0);
  private stderr = '';
  private seq = 0;

  constructor(git: string, env: NodeJS.ProcessEnv) {
    const args = ['diff-tree', '-r', '-t', '-z', '--no-renames', '--full-index', '--no-ext-diff', '--ignore-submodules=none', '--stdin'];
    this.child = spawn(git, args, { env, stdio: ['pipe', 'pipe', 'pipe'] });
    trackChild(this.child);
    this.child.stdout.on('data', (b: Buffer) => this.onData(b));
    this.child.stderr.on('data', (b: Buffer) => {
      if (this.stderr.length < 4000) this.stderr += b.toString('utf8');
    });
    this.child.stdin.on('error', () => undefined);
    this.child.on('error', (e) => this.fail(new Error(`cannot run ${git} diff-tree: ${e.message}`)));
    this.child.on('close', (code, signal) => this.fail(new Error(`git diff-tree stopped: ${this.stderr.trim() || (signal ? `killed by ${signal}` : `exit ${code}`)}`)));
  }

  diff(from: string, to: string): Promise<TreeChange[]> {
    if (this.dead) return Promise.reject(new Error(`cannot diff trees ${from}..${to}: git diff-tree stopped`));
    const marker = `git-acl-end-${++this.seq}`;
    return new Promise((resolve, reject) => {
      this.queue.push({ from, to, marker, resolve, reject });
      this.child.stdin.write(`${from} ${to}\n${marker}\n`);
    });
  }

  close(): Promise<void> {
    return new Promise((resolve) => {
      if (this.child.exitCode !== null || this.child.signalCode !== null) return resolve();
      this.child.once('close', () => resolve());
      this.child.stdin.end();
    });
  }

  private fail(e: Error): void {
    this.dead = true;
    for (const p of this.queue.splice(0)) p.reject(new Error(`cannot diff trees ${p.from}..${p.to}: ${e.message}`));
  }

  private onData(b: Buffer): void {
    this.buf = this.buf.length ? Buffer.concat([this.buf, b]) : b;
    for (;;) {
      const p = this.queue[0];
      if (!p) return;
      const end = this.answerEnd(p);
      if (end < 0) return;
      const answer = this.buf.subarray(0, end);
      this.buf = this.buf.subarray(end + p.marker.length + 1);
      this.queue.shift();
      const header = `${p.from} ${p.to}\n`;
      if (answer.length === 0) {
        // git printed nothing but the marker: it could not read the trees (its error went to stderr).
        p.reject(new Error(`cannot diff trees ${p.from}..${p.to}: ${this.stderr.trim().split('\n').pop() ?? 'git diff-tree failed'}`));
        continue;
      }
      if (answer.subarray(0, header.length).toString('latin1') !== header) {
        this.fail(new Error('unexpected output from git diff-tree --stdin'));
        this.child.kill();
        return;
      }
      try {
        p.resolve(parseRawDiff(answer.subarray(header.length), `${p.from}..${p.to}`));
      } catch (e) {
        p.reject(e instanceof Error ? e : new Error(String(e)));
      }
    }
  }

  /** Where the marker line starts, once the whole answer is buffered; -1 before. Walks the records, so no path can fake it. */
  private answerEnd(p: Pending): number {
    const buf = this.buf;
    let i = 0;
    if (buf.length && buf[0] !== 0x67 /* 'g' of the marker */) {
      const nl = buf.indexOf(0x0a);
      if (nl < 0) return -1;
      i = nl + 1;
      while (i < buf.length && buf[i] === 0x3a /* ':' */) {
        const headerEnd = buf.indexOf(0, i);
        if (headerEnd < 0) return -1;
        const pathEnd = buf.indexOf(0, headerEnd + 1);
        if (pathEnd < 0) return -1;
        i = pathEnd + 1;
      }
    }
    const want = `${p.marker}\n`;
    if (buf.length - i < want.length) return -1;
    return buf.toString('latin1', i, i + want.length) === want ? i : (this.protocolError(), -1);
  }

  private protocolError(): void {
    this.fail(new Error('unexpected output from git diff-tree --stdin'));
    this.child.kill();
  }
}
