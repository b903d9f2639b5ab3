/**
 * ObjectStore on `git` child processes: the server's hot path.
 *
 * - Object reads go through two long-lived processes, started on first use:
 *   `git cat-file --batch`, for contents and types alike: one process less to
 *   start on every push (types are asked of commits and tags, which are small).
 * - `diffTrees` runs `git diff-tree -r -t -z --no-renames --full-index`.
 * - `isAncestor` runs `git merge-base --is-ancestor` (exit 1 = false).
 * - `resolveRef` runs `git for-each-ref` and keeps the exact full ref name only.
 *
 * Every child runs with `GIT_DIR` set and otherwise the caller's environment,
 * so inside pre-receive it reads the quarantine by itself
 * (`GIT_OBJECT_DIRECTORY`, `GIT_ALTERNATE_OBJECT_DIRECTORIES`). When the
 * RepoLocation names a quarantine explicitly, those two variables are set from
 * it. `GIT_NO_REPLACE_OBJECTS=1` is always set: the store reads the objects
 * that were pushed, never a `refs/replace/` substitute (isomorphic-git does
 * not honour replace refs either, so both stores agree).
 *
 * Any failure throws an Error with a one-line message naming the object or ref.
 */
import { isUtf8 } from 'node:buffer';
import { spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
import type { EntryMode, ObjectStore, ObjectType, RepoLocation, TreeChange, TreeEntry } from './store.js';
import { EMPTY_TREE_OID, assertOid, parseCommitParents, parseCommitTree, parseTagTarget, parseTreeObject } from './objects.js';
import { assertRefName, decodeName, sortChanges, type KeyedChange } from './names.js';
import { canonicalMode, kindOfMode } from './modes.js';
import { oneLine } from '../core/messages.js';

export interface CliStoreOptions {
  /** The git executable; default `git` from PATH. */
  git?: string;
  /** Base environment for the children; default `process.env`. */
  env?: NodeJS.ProcessEnv;
}

/** Opens a store on `location` (or a bare git directory path). Nothing is spawned until the first read. */
export function openCliStore(location: RepoLocation | string, options: CliStoreOptions = {}): CliStore {
  return new CliStore(typeof location === 'string' ? { gitDir: location } : location, options);
}

const MAX_TAG_DEPTH = 64;

interface RunResult {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: Buffer;
  stderr: string;
}

export class CliStore implements ObjectStore {
  readonly location: RepoLocation;
  private readonly git: string;
  private readonly env: NodeJS.ProcessEnv;
  private batch: BatchProcess | null = null;
  private closed = false;

  constructor(location: RepoLocation, options: CliStoreOptions = {}) {
    this.location = location;
    this.git = options.git ?? 'git';
    const env: NodeJS.ProcessEnv = { ...(options.env ?? process.env) };
    env.GIT_DIR = location.gitDir;
    if (location.objectDirectory) env.GIT_OBJECT_DIRECTORY = location.objectDirectory;
    if (location.alternateObjectDirectories) {
      env.GIT_ALTERNATE_OBJECT_DIRECTORIES = location.alternateObjectDirectories.join(':');
    }
    env.GIT_NO_REPLACE_OBJECTS = '1';
    // Never prompt, never page, never run a configured external diff.
    env.GIT_TERMINAL_PROMPT = '0';
    env.GIT_PAGER = 'cat';
    delete env.GIT_EXTERNAL_DIFF;
    this.env = env;
  }

  async resolveRef(ref: string): Promise<string | null> {
    assertRefName(ref);
    if (ref === 'HEAD') {
      const r = await this.run(['rev-parse', '--verify', '--quiet', 'HEAD']);
      if (r.code === 1) return null;
      if (r.code !== 0) throw new Error(`cannot resolve ref HEAD: ${this.describe(r)}`);
      const oid = r.stdout.toString('utf8').trim();
      assertOid(oid, 'object id for ref HEAD');
      return oid;
    }
    // for-each-ref also lists refs below `ref/`; keep only the exact name.
    const r = await this.run(['for-each-ref', '--format=%(objectname) %(refname)', '--', ref]);
    if (r.code !== 0) throw new Error(`cannot resolve ref ${ref}: ${this.describe(r)}`);
    for (const line of r.stdout.toString('utf8').split('\n')) {
      const sp = line.indexOf(' ');
      if (sp > 0 && line.slice(sp + 1) === ref) {
        const oid = line.slice(0, sp);
        assertOid(oid, `object id for ref ${ref}`);
        return oid;
      }
    }
    return null;
  }

  async readType(oid: string): Promise<ObjectType> {
    assertOid(oid);
    return (await this.batchProcess().request(oid, true)).type;
  }

  async peel(oid: string): Promise<{ oid: string; type: ObjectType }> {
    assertOid(oid);
    let cur = oid;
    let type = await this.readType(cur);
    for (let depth = 0; type === 'tag'; depth++) {
      if (depth >= MAX_TAG_DEPTH) throw new Error(`tag chain too deep at ${oid}`);
      const obj = await this.readObject(cur, 'tag');
      const target = parseTagTarget(obj, cur);
      cur = target.oid;
      type = await this.readType(cur);
    }
    return { oid: cur, type };
  }

  async commitTree(commitOid: string): Promise<string> {
    assertOid(commitOid, 'commit id');
    return parseCommitTree(await this.readObject(commitOid, 'commit'), commitOid);
  }

  async readBlob(oid: string): Promise<Uint8Array> {
    assertOid(oid, 'blob id');
    return this.readObject(oid, 'blob');
  }

  async readTree(oid: string): Promise<TreeEntry[]> {
    assertOid(oid, 'tree id');
    const data = await this.readObject(oid, 'tree');
    return parseTreeObject(data, oid, oid.length / 2);
  }

  async diffTrees(oldTree: string | null, newTree: string): Promise<TreeChange[]> {
    const from = oldTree ?? EMPTY_TREE_OID;
    assertOid(from, 'tree id');
    assertOid(newTree, 'tree id');
    const r = await this.run(['diff-tree', '-r', '-t', '-z', '--no-renames', '--full-index', '--no-ext-diff', '--ignore-submodules=none', from, newTree]);
    if (r.code !== 0) throw new Error(`cannot diff trees ${from}..${newTree}: ${this.describe(r)}`);
    return parseRawDiff(r.stdout, `${from}..${newTree}`);
  }

  async isAncestor(ancestor: string, descendant: string): Promise<boolean> {
    assertOid(ancestor, 'commit id');
    assertOid(descendant, 'commit id');
    if (ancestor === descendant) {
      // Still make sure it is a readable commit.
      const t = await this.readType(ancestor);
      if (t !== 'commit') throw new Error(`object ${ancestor} is a ${t}, not a commit`);
      return true;
    }
    // The usual push adds commits on top of the old tip: a parent check in-process saves starting merge-base.
    const parents = parseCommitParents(await this.readObject(descendant, 'commit'));
    if (parents.includes(ancestor)) return true;
    const r = await this.run(['merge-base', '--is-ancestor', ancestor, descendant]);
    if (r.code === 0) return true;
    if (r.code === 1 && r.stderr.trim() === '') return false;
    throw new Error(`cannot tell whether ${ancestor} is an ancestor of ${descendant}: ${this.describe(r)}`);
  }

  async close(): Promise<void> {
    this.closed = true;
    const ps = [this.batch].filter((p): p is BatchProcess => p !== null);
    this.batch = null;
    await Promise.all(ps.map((p) => p.close()));
  }

  // ---- internals ----

  private async readObject(oid: string, expected: ObjectType): Promise<Uint8Array> {
    const r = await this.batchProcess().request(oid, true);
    if (r.type !== expected) throw new Error(`object ${oid} is a ${r.type}, not a ${expected}`);
    return r.content!;
  }

  private batchProcess(): BatchProcess {
    if (this.closed) throw new Error('object store is closed');
    if (!this.batch || this.batch.dead) this.batch = new BatchProcess(this.git, ['cat-file', '--batch'], this.env);
    return this.batch;
  }


  private describe(r: RunResult): string {
    const err = oneLine(r.stderr);
    const status = r.signal ? `killed by ${r.signal}` : `exit ${r.code}`;
    return err ? `${err} (${status})` : status;
  }

  private run(args: string[]): Promise<RunResult> {
    if (this.closed) return Promise.reject(new Error('object store is closed'));
    return new Promise((resolve, reject) => {
      const child = spawn(this.git, args, { env: this.env, stdio: ['ignore', 'pipe', 'pipe'] });
      const out: Buffer[] = [];
      const err: Buffer[] = [];
      child.stdout.on('data', (b: Buffer) => out.push(b));
      child.stderr.on('data', (b: Buffer) => err.push(b));
      child.on('error', (e) => reject(new Error(`cannot run ${this.git} ${args[0]}: ${oneLine(e.message)}`)));
      child.on('close', (code, signal) => {
        resolve({ code, signal, stdout: Buffer.concat(out), stderr: Buffer.concat(err).toString('utf8') });
      });
    });
  }
}

/**
 * Parses `git diff-tree -r -t -z --no-renames` output:
 * `:<old mode> <new mode> <old oid> <new oid> <status>\0<path>\0` per record.
 * Records for the same path (a kind change such as file → directory comes as
 * a delete and an add) are merged into one TreeChange. Sorted by path bytes.
 */
export function parseRawDiff(out: Buffer, what: string): TreeChange[] {
  const list: KeyedChange[] = [];
  let i = 0;
  while (i < out.length) {
    // Header: ":<old mode> <new mode> <old oid> <new oid> <status>", then NUL, then the path, then NUL.
    const hdrEnd = out.indexOf(0, i);
    if (out[i] !== 0x3a /* : */ || hdrEnd < 0) throw new Error(`unexpected diff-tree output for ${what}`);
    const header = out.toString('latin1', i + 1, hdrEnd);
    const pathEnd = out.indexOf(0, hdrEnd + 1);
    if (pathEnd < 0) throw new Error(`unexpected diff-tree output for ${what}`);
    const parts = header.split(' ');
    const [oldMode, newMode, oldOid, newOid, status] = parts as [string, string, string, string, string];
    if (parts.length !== 5 || status.length !== 1 || !'ADMT'.includes(status) || !isHex(oldOid) || !isHex(newOid)) {
      throw new Error(`unexpected diff-tree record for ${what}: ${oneLine(header)}`);
    }
    // The key is the path's exact bytes (one char per byte); for an ASCII path it is also the path.
    const key = out.toString('latin1', hdrEnd + 1, pathEnd);
    const change: TreeChange = { path: key };
    if (!isAscii(key)) {
      const bytes = out.subarray(hdrEnd + 1, pathEnd);
      if (isUtf8(bytes)) change.path = out.toString('utf8', hdrEnd + 1, pathEnd);
      else {
        change.path = decodeName(bytes).text;
        change.unsafeName = true;
      }
    }
    if (oldMode !== '000000') {
      const mode: EntryMode = canonicalMode(oldMode);
      change.old = { mode, kind: kindOfMode(mode), oid: oldOid };
    }
    if (newMode !== '000000') {
      const mode: EntryMode = canonicalMode(newMode);
      change.new = { mode, kind: kindOfMode(mode), oid: newOid };
    }
    list.push({ key, change });
    i = pathEnd + 1;
  }
  const sorted = sortChanges(list);
  // A change of kind (file <-> directory) comes as two records for one path, now adjacent: merge them.
  const merged: TreeChange[] = [];
  let prevKey: string | null = null;
  for (let k = 0; k < sorted.length; k++) {
    const c = sorted[k]!;
    const key = list[k]!.key; // sortChanges sorted `list` in place
    const prev = merged[merged.length - 1];
    if (prev && key === prevKey) {
      if ((c.old && prev.old) || (c.new && prev.new)) throw new Error(`duplicate diff-tree record for ${what}: ${c.path}`);
      if (c.old) prev.old = c.old;
      if (c.new) prev.new = c.new;
      // Keep old before new in the object for stable equality with the other store.
      const { old, new: nu } = prev;
      delete prev.old;
      delete prev.new;
      if (old) prev.old = old;
      if (nu) prev.new = nu;
      continue;
    }
    merged.push(c);
    prevKey = key;
  }
  return merged;
}

function isHex(s: string): boolean {
  return (s.length === 40 || s.length === 64) && /^[0-9a-f]+$/.test(s);
}

function isAscii(s: string): boolean {
  for (let i = 0; i < s.length; i++) if (s.charCodeAt(i) > 0x7f) return false;
  return true;
}

interface BatchHeader {
  type: ObjectType;
  size: number;
  content?: Uint8Array;
}

interface Pending {
  oid: string;
  resolve: (h: BatchHeader) => void;
  reject: (e: Error) => void;
}

const OBJECT_TYPES = new Set(['commit', 'tree', 'blob', 'tag']);

/** One `git cat-file --batch[-check]` child and its FIFO of requests. */
class BatchProcess {
  dead = false;
  private readonly child: ChildProcessWithoutNullStreams;
  private readonly withContents: boolean;
  private readonly queue: Pending[] = [];
  private chunks: Buffer[] = [];
  private buffered = 0;
  /** Set while waiting for an object's body: its header and the number of bytes to read (content + LF). */
  private body: { header: BatchHeader; need: number } | null = null;
  private stderr = '';
  private failure: Error | null = null;

  constructor(git: string, args: string[], env: NodeJS.ProcessEnv) {
    this.withContents = args.includes('--batch');
    this.child = spawn(git, args, { env, stdio: ['pipe', 'pipe', 'pipe'] });
    this.child.stdout.on('data', (b: Buffer) => this.onData(b));
    this.child.stderr.on('data', (b: Buffer) => {
      if (this.stderr.length < 4000) this.stderr += b.toString('utf8');
    });
    this.child.stdin.on('error', () => {
      /* reported through 'close' */
    });
    this.child.on('error', (e) => this.fail(new Error(`cannot run ${git} cat-file: ${oneLine(e.message)}`)));
    this.child.on('close', (code, signal) => {
      const why = oneLine(this.stderr) || (signal ? `killed by ${signal}` : `exit ${code}`);
      this.fail(new Error(`git cat-file stopped: ${why}`));
    });
  }

  request(oid: string, withContents: boolean): Promise<BatchHeader> {
    if (withContents !== this.withContents) throw new Error('internal: wrong cat-file process');
    if (this.failure) return Promise.reject(this.failure);
    return new Promise((resolve, reject) => {
      this.queue.push({ oid, resolve, reject });
      this.child.stdin.write(`${oid}\n`);
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
    if (!this.failure) this.failure = e;
    for (const p of this.queue.splice(0)) {
      p.reject(new Error(`cannot read object ${p.oid}: ${e.message}`));
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
        const { header } = this.body;
        this.body = null;
        // Copy out of the shared stdout buffer; drop the trailing LF.
        header.content = new Uint8Array(raw.subarray(0, raw.length - 1));
        this.queue.shift()?.resolve(header);
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
        this.fail(new Error(`unexpected output from git cat-file: ${oneLine(line)}`));
        this.child.kill();
        return;
      }
      const parts = line.split(' ');
      if (parts.length === 3 && OBJECT_TYPES.has(parts[1]!) && /^\d+$/.test(parts[2]!)) {
        const header: BatchHeader = { type: parts[1] as ObjectType, size: Number(parts[2]) };
        if (this.withContents) {
          this.body = { header, need: header.size + 1 };
        } else {
          this.queue.shift();
          p.resolve(header);
        }
      } else if (parts.length === 2 && parts[1] === 'missing') {
        this.queue.shift();
        p.reject(new Error(`object ${p.oid} not found`));
      } else {
        this.queue.shift();
        p.reject(new Error(`cannot read object ${p.oid}: ${oneLine(line)}`));
      }
    }
  }
}
