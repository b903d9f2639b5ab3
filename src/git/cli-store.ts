/**
 * ObjectStore on `git` child processes: the server's hot path.
 *
 * - Object reads go through one long-lived process (cat-file.ts), started on first use:
 *   `git cat-file --batch-command`, for contents (`contents`), types and sizes
 *   (`info`, which does not read the content) alike: one process to start. A
 *   bounded read (`maxBytes`) never reads the content of an object past the
 *   bound: it asks for the content and, when the header that comes first says
 *   the object is past it, stops the process there (cat-file.ts
 *   stopAtHeader) and starts another; from then on it asks for sizes first
 *   (one process killed per store at most, whatever a push holds). With git
 *   older than 2.36 (no `--batch-command`) it falls back to `--batch` plus,
 *   for sizes and types, `--batch-check`, sizes first.
 * - An object cat-file calls "missing" whose loose file is there is corrupt,
 *   and is reported so (CorruptObjectError), not as not found.
 * - `diffTrees` walks the trees in-process (tree-diff.ts), reading them
 *   through the same cat-file process, counted against the push's DiffBudget
 *   (not `git diff-tree`, which holds the whole diff before printing any).
 * - `isAncestor` reads the descendant's parents as git does (headers.ts) and
 *   runs `git merge-base --is-ancestor` (exit 1 = false) only when the
 *   ancestor is not one of them.
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
 * Any failure throws a GitError (errors.ts) with a one-line message naming the object or ref.
 */
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import type { ObjectStore, ObjectType, ReadLimit, RefInfo, RepoLocation, TreeChange, TreeEntry } from './store.js';
import { assertOid, parseTreeObject, peelTags, readCommitHeader } from './objects.js';
import { assertRefName, decodeName } from './names.js';
import { BatchLost, BatchProcess, BatchStopped, OversizeObject, type BatchInfo, type BatchObject } from './cat-file.js';
import { splitObjectDirectories, storeEnv } from './location.js';
import { looseObjectIds } from './quarantine.js';
import { walkTreeDiff, type DiffOptions } from './tree-diff.js';
import { DIFF_LIMITS } from './limits.js';
import { oneLine } from '../core/messages.js';
import { answeredNo, exitStatus, outcomeOf, runCommand, succeeded, type RunResult } from './exec.js';
import { CorruptObjectError, GitError, GitProcessError, ObjectNotFoundError, ObjectTooLargeError, ObjectTypeError } from './errors.js';

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

export class CliStore implements ObjectStore {
  readonly location: RepoLocation;
  private readonly git: string;
  private readonly env: NodeJS.ProcessEnv;
  private batch: BatchProcess | null = null;
  /** `--batch-check`, only with git older than 2.36 (see legacy). */
  private check: BatchProcess | null = null;
  /** git has no `cat-file --batch-command` (before 2.36). */
  private legacy = false;
  private closed = false;
  /**
   * Type and size of the objects cat-file described or gave: an object id names the same bytes for ever, so a
   * bounded read of an object already seen (every pushed object's type is asked when the push is listed) needs
   * one round trip, not two. Only answers are kept, never a failure.
   */
  private readonly known = new Map<string, BatchInfo>();
  /** Set once a process was stopped at an oversize object's header: bounded reads ask for the size first again. */
  private sizesFirst = false;

  constructor(location: RepoLocation, options: CliStoreOptions = {}) {
    this.location = location;
    this.git = options.git ?? 'git';
    this.env = storeEnv(location, options.env ?? process.env);
  }

  async resolveRef(ref: string): Promise<string | null> {
    assertRefName(ref);
    if (ref === 'HEAD') {
      const args = ['rev-parse', '--verify', '--quiet', 'HEAD'];
      const r = await this.run(args);
      if (answeredNo(r)) return null;
      if (!succeeded(r)) throw this.failed(`cannot resolve ref HEAD`, args, r);
      const oid = r.stdout.toString('utf8').trim();
      assertOid(oid, 'object id for ref HEAD');
      return oid;
    }
    // for-each-ref also lists refs below `ref/`; keep only the exact name.
    const args = ['for-each-ref', '--format=%(objectname) %(refname)', '--', ref];
    const r = await this.run(args);
    if (!succeeded(r)) throw this.failed(`cannot resolve ref ${ref}`, args, r);
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

  /**
   * Every ref of the repository, by full name (names that are not UTF-8
   * decoded with U+FFFD), with symbolic refs marked: one `git for-each-ref`.
   * Not part of ObjectStore: the hook needs it to compare pushed names with
   * the names already stored.
   */
  async listRefs(): Promise<Map<string, RefInfo>> {
    const args = ['for-each-ref', '--format=%(objectname)%00%(symref)%00%(refname)'];
    const r = await this.run(args);
    if (!succeeded(r)) throw this.failed('cannot list refs', args, r);
    const refs = new Map<string, RefInfo>();
    let start = 0;
    const out = r.stdout;
    while (start < out.length) {
      let end = out.indexOf(0x0a, start);
      if (end < 0) end = out.length;
      const a = out.indexOf(0, start);
      const b = a < 0 ? -1 : out.indexOf(0, a + 1);
      if (a < 0 || b < 0 || b > end) throw this.failed('cannot list refs: unexpected output', args, r);
      const oid = out.toString('latin1', start, a);
      assertOid(oid, 'object id in the ref list');
      const info: RefInfo = { oid };
      if (b > a + 1) info.symref = decodeName(out.subarray(a + 1, b)).text;
      refs.set(decodeName(out.subarray(b + 1, end)).text, info);
      start = end + 1;
    }
    return refs;
  }

  async readType(oid: string): Promise<ObjectType> {
    assertOid(oid);
    // The header alone: a type costs nothing to ask, whatever the object's size.
    return (await this.info(oid)).type;
  }

  async peel(oid: string): Promise<{ oid: string; type: ObjectType }> {
    // Each object's type from its header; a tag's body only when it is a tag.
    return peelTags(
      oid,
      async (o) => ({ type: await this.readType(o) }),
      (_, o) => this.readAs(o, 'tag'),
    );
  }

  async commitTree(commitOid: string, limit?: ReadLimit): Promise<string> {
    assertOid(commitOid, 'commit id');
    return readCommitHeader(await this.readAs(commitOid, 'commit', limit?.maxBytes), commitOid).tree;
  }

  async readBlob(oid: string, limit?: ReadLimit): Promise<Uint8Array> {
    assertOid(oid, 'blob id');
    return this.readAs(oid, 'blob', limit?.maxBytes);
  }

  async readObject(oid: string): Promise<{ type: ObjectType; content: Uint8Array }> {
    assertOid(oid);
    return this.read(oid);
  }

  /**
   * The commits, trees and tags this push brought, by id, with their types:
   * every such object of the quarantine (`git cat-file --batch-all-objects`
   * with the quarantine as the only object directory). Blobs are left out:
   * a push of 250,000 files brings as many, and the checks need only the
   * others. Null when the location names no quarantine (outside
   * pre-receive, or a push that brought no pack).
   */
  async pushedObjects(): Promise<Map<string, ObjectType> | null> {
    const quarantine = this.location.objectDirectory;
    if (!quarantine) return null;
    // A small push is unpacked into loose objects: their ids from the directory, their types from cat-file.
    const loose = await looseObjectIds(quarantine);
    if (loose) {
      const types = await Promise.all(loose.map(async (id) => (await this.info(id)).type));
      const objects = new Map<string, ObjectType>();
      for (let i = 0; i < loose.length; i++) if (types[i] !== 'blob') objects.set(loose[i]!, types[i]!);
      return objects;
    }
    const env: NodeJS.ProcessEnv = { ...this.env, GIT_OBJECT_DIRECTORY: quarantine };
    delete env.GIT_ALTERNATE_OBJECT_DIRECTORIES;
    const args = ['cat-file', '--batch-all-objects', '--batch-check=%(objectname) %(objecttype)'];
    if (this.closed) throw new GitError('closed', 'object store is closed');
    const r = await runCommand(this.git, args, { env });
    if (!succeeded(r)) throw this.failed('cannot list the objects of the push', args, r);
    const objects = new Map<string, ObjectType>();
    const out = r.stdout;
    for (let start = 0; start < out.length; ) {
      let end = out.indexOf(0x0a, start);
      if (end < 0) end = out.length;
      const sp = out.indexOf(0x20, start);
      // Most lines are blobs: recognised by their bytes, without making a string.
      const isBlob =
        sp > 0 && end - sp === 5 && out[sp + 1] === 0x62 && out[sp + 2] === 0x6c && out[sp + 3] === 0x6f && out[sp + 4] === 0x62;
      if (!isBlob) {
        const type = sp < 0 || sp > end ? '' : out.toString('latin1', sp + 1, end);
        if (type !== 'commit' && type !== 'tree' && type !== 'tag') {
          throw this.failed(
            `cannot list the objects of the push: unexpected line ${JSON.stringify(out.toString('latin1', start, Math.min(end, start + 100)))}`,
            args,
            r,
          );
        }
        objects.set(out.toString('latin1', start, sp), type);
      }
      start = end + 1;
    }
    return objects;
  }

  async readTree(oid: string, limit?: ReadLimit): Promise<TreeEntry[]> {
    assertOid(oid, 'tree id');
    const data = await this.readAs(oid, 'tree', limit?.maxBytes);
    return parseTreeObject(data, oid, oid.length / 2);
  }

  async diffTrees(oldTree: string | null, newTree: string, options?: DiffOptions): Promise<TreeChange[]> {
    return walkTreeDiff((oid) => this.readAs(oid, 'tree', DIFF_LIMITS.maxTreeBytes), oldTree, newTree, options);
  }

  async isAncestor(ancestor: string, descendant: string): Promise<boolean> {
    assertOid(ancestor, 'commit id');
    assertOid(descendant, 'commit id');
    if (ancestor === descendant) {
      // Still make sure it is a readable commit.
      const t = await this.readType(ancestor);
      if (t !== 'commit') throw new ObjectTypeError(ancestor, t, 'commit');
      return true;
    }
    // The usual push adds commits on top of the old tip: a parent check in-process saves starting merge-base.
    // The parents are the ones git reads (headers.ts); a shortcut that read them differently would decide ancestry for git.
    const { parents } = readCommitHeader(await this.readAs(descendant, 'commit'), descendant);
    if (parents.includes(ancestor)) return true;
    const args = ['merge-base', '--is-ancestor', ancestor, descendant];
    const r = await this.run(args);
    if (succeeded(r)) return true;
    if (answeredNo(r) && r.stderr === '') return false;
    throw this.failed(`cannot tell whether ${ancestor} is an ancestor of ${descendant}`, args, r);
  }

  async close(): Promise<void> {
    this.closed = true;
    const ps = [this.batch, this.check].filter((p): p is BatchProcess => p !== null);
    this.batch = null;
    this.check = null;
    await Promise.all(ps.map((p) => p.close()));
  }

  // ---- internals ----

  private async readAs(oid: string, expected: ObjectType, maxBytes?: number): Promise<Uint8Array> {
    let r: BatchObject;
    try {
      r = await this.read(oid, maxBytes);
    } catch (e) {
      if (!(e instanceof OversizeObject)) throw e;
      // The type first, as git's header gives it: a blob where a tree is named is that, whatever its size.
      if (e.type !== expected) throw new ObjectTypeError(oid, e.type, expected);
      throw new ObjectTooLargeError(oid, e.size, maxBytes!);
    }
    if (r.type !== expected) throw new ObjectTypeError(oid, r.type, expected);
    return r.content;
  }

  /**
   * An object's type and content (see missing() for an object cat-file cannot find). With `maxBytes`, one past it
   * is refused from its header (OversizeObject) and its process stopped; a request that was waiting behind it is
   * asked again of a new process, sizes first from then on (so a push of many oversize objects stops one process).
   */
  private async read(oid: string, maxBytes?: number): Promise<BatchObject> {
    this.assertOpen(); // what is known answers nothing once closed, as the process does not
    for (;;) {
      // Within the bound for certain: known, or described just now (sizes first).
      let checked = maxBytes === undefined;
      if (maxBytes !== undefined) {
        const seen = this.known.get(oid);
        if (seen && seen.size > maxBytes) throw new OversizeObject(oid, seen.type, seen.size);
        if (seen) checked = true;
        else if (this.sizesFirst || this.legacy) {
          const head = await this.info(oid);
          if (head.size > maxBytes) throw new OversizeObject(oid, head.type, head.size);
          checked = true;
        }
      }
      try {
        const r = await this.ask(oid, () => {
          const batch = this.batchProcess(); // after a stopped process, sets sizesFirst before starting the next
          if (checked) return batch.read(oid);
          // Stopped meanwhile: never an unbounded read of an object not described; round again, sizes first.
          if (this.sizesFirst) return Promise.reject(new BatchStopped('sizes first'));
          return batch.read(oid, maxBytes);
        });
        this.known.set(oid, { type: r.type, size: r.content.length });
        return r;
      } catch (e) {
        if (e instanceof OversizeObject) {
          this.known.set(oid, { type: e.type, size: e.size });
          throw e;
        }
        if (e instanceof BatchLost) continue; // asked again of a process this store starts (one such loss per store)
        if (!(e instanceof BatchStopped)) throw e;
        this.sizesFirst = true; // waiting behind an oversize object: asked again of a new process, sizes first
      }
    }
  }

  /** An object's type and size, without reading its content. */
  private async info(oid: string): Promise<BatchInfo> {
    this.assertOpen();
    for (;;) {
      const seen = this.known.get(oid);
      if (seen) return seen;
      try {
        const r = await this.ask(oid, () => (this.legacy ? this.checkProcess().info(oid) : this.batchProcess().info(oid)));
        this.known.set(oid, r);
        return r;
      } catch (e) {
        if (e instanceof BatchLost) continue; // the script's cat-file ended: asked again of one this store starts
        if (!(e instanceof BatchStopped)) throw e; // waiting behind an oversize object: asked again of a new process
        this.sizesFirst = true;
      }
    }
  }

  private async ask<T>(oid: string, request: () => Promise<T>, retried = false): Promise<T> {
    try {
      return await request();
    } catch (e) {
      if (!retried && noBatchCommand(e)) {
        // git before 2.36: the first request to fail switches to --batch and --batch-check; every request that
        // was in flight with it fails alike and is asked again (request() reads the mode when it runs).
        if (!this.legacy) {
          this.legacy = true;
          this.batch = null;
        }
        return this.ask(oid, request, true);
      }
      if (e instanceof ObjectNotFoundError) throw this.missing(oid, e);
      throw e;
    }
  }

  /**
   * cat-file says "missing" both for an object that is nowhere and for a
   * loose object whose file it cannot inflate (a corrupt or truncated file).
   * The second is not "not found": the operator must repair the repository.
   */
  private missing(oid: string, notFound: ObjectNotFoundError): GitError {
    const rest = oid.slice(2);
    for (const dir of this.objectDirectories()) {
      const file = join(dir, oid.slice(0, 2), rest);
      if (existsSync(file)) return new CorruptObjectError(oid, file);
    }
    return notFound;
  }

  /** Where git looks for this store's objects: the quarantine or object directory, the alternates, the repository's own. */
  private objectDirectories(): string[] {
    const dirs = [
      this.env.GIT_OBJECT_DIRECTORY ?? join(this.location.gitDir, 'objects'),
      ...(this.location.alternateObjectDirectories ?? splitObjectDirectories(this.env.GIT_ALTERNATE_OBJECT_DIRECTORIES ?? '')),
    ];
    dirs.push(join(this.location.gitDir, 'objects'));
    return [...new Set(dirs)];
  }

  private assertOpen(): void {
    if (this.closed) throw new GitError('closed', 'object store is closed');
  }

  private batchProcess(): BatchProcess {
    this.assertOpen();
    if (!this.batch || this.batch.dead) {
      if (this.batch?.stoppedAtHeader) this.sizesFirst = true; // one process stopped at most (see read)
      this.batch = new BatchProcess(this.git, this.env, this.legacy ? 'batch' : 'command');
    }
    return this.batch;
  }

  private checkProcess(): BatchProcess {
    this.assertOpen();
    if (!this.check || this.check.dead) this.check = new BatchProcess(this.git, this.env, 'check');
    return this.check;
  }

  /** `<what>: <git's stderr> (<exit status>)`, carrying the args and the outcome. */
  private failed(what: string, args: string[], r: RunResult): GitProcessError {
    const err = oneLine(r.stderr);
    const status = exitStatus(r);
    return new GitProcessError(`${what}: ${err ? `${err} (${status})` : status}`, args, outcomeOf(r), this.git);
  }

  private run(args: string[]): Promise<RunResult> {
    if (this.closed) return Promise.reject(new GitError('closed', 'object store is closed'));
    return runCommand(this.git, args, { env: this.env });
  }
}

/** The failure of a `cat-file --batch-command` that this git does not know (exit 129, usage). */
function noBatchCommand(e: unknown): boolean {
  return e instanceof GitProcessError && e.exitCode === 129 && /batch-command/.test(e.stderr);
}
