/**
 * ObjectStore on isomorphic-git: the library and browser path (small reads
 * such as the policy branch; about 10x slower than `git` on big trees).
 *
 * - The push quarantine and alternates are overlaid onto `<gitDir>/objects/`
 *   by a read-only fs wrapper (overlay-fs.ts), since isomorphic-git reads
 *   neither (isomorphic-git issue #1091).
 * - ONE `cache` object is shared by every isomorphic-git call, so packs are
 *   read and indexed once per store, not once per call.
 * - Objects are read raw (`format: 'content'`) and trees parsed here, so entry
 *   names keep their exact bytes (isomorphic-git's own tree parser decodes
 *   names lossily) and both stores classify entries the same way: by mode.
 * - Refs are read from the files themselves (loose ref, then packed-refs),
 *   exact names only: isomorphic-git's resolveRef would also try
 *   `refs/<name>`, `refs/heads/<name>`, ... when the name is missing.
 * - Commit and tag headers are read with headers.ts, as git reads them; ancestry
 *   is a walk over those parents (not isomorphic-git's isDescendent).
 * - Replace refs and grafts are not honoured (neither does the git store:
 *   it runs with GIT_NO_REPLACE_OBJECTS=1, and the hook refuses to judge in a
 *   repository with grafts or a shallow file, repo-state.ts).
 *
 * This file imports nothing from Node: pass the fs (see node-fs.ts for Node).
 */
import { readObject } from 'isomorphic-git';
import type { ObjectStore, ObjectType, ReadLimit, RepoLocation, TreeChange, TreeEntry } from './store.js';
import { assertOid, parseTreeObject, peelTags, readCommitHeader } from './objects.js';
import { assertRefName } from './names.js';
import { errorMessage, oneLine } from '../core/messages.js';
import { GitError, MalformedObjectError, ObjectNotFoundError, ObjectTooLargeError, ObjectTypeError } from './errors.js';
import { normalisePath, overlayObjectsFs, type IsoFs, type PromiseFs } from './overlay-fs.js';
import { walkTreeDiff, type DiffOptions } from './tree-diff.js';
import { DIFF_LIMITS } from './limits.js';

export interface IsoStoreOptions {
  /** A promise-based fs (`fs.promises` in Node, `new LightningFS(...).promises` in a browser). */
  fs: PromiseFs;
  /**
   * Also read `<gitDir>/objects/info/alternates` (relative entries resolved
   * against the objects directory). Default true.
   */
  readAlternatesFile?: boolean;
}

const MAX_SYMREF_DEPTH = 5;
const MAX_CONCURRENT_READS = 16;

export function openIsoStore(location: RepoLocation, options: IsoStoreOptions): IsoStore {
  return new IsoStore(location, options);
}

function bounded(oid: string, content: Uint8Array, limit: ReadLimit | undefined): Uint8Array {
  if (limit?.maxBytes !== undefined && content.length > limit.maxBytes) throw new ObjectTooLargeError(oid, content.length, limit.maxBytes);
  return content;
}

export class IsoStore implements ObjectStore {
  readonly location: RepoLocation;
  private readonly base: PromiseFs;
  private readonly gitdir: string;
  private readonly readAlternatesFile: boolean;
  private fsPromise: Promise<IsoFs> | null = null;
  /** The one cache shared by every isomorphic-git call of this store. */
  private cache: object = {};
  private active = 0;
  private readonly waiting: Array<() => void> = [];
  private closed = false;

  constructor(location: RepoLocation, options: IsoStoreOptions) {
    this.location = location;
    this.base = options.fs;
    this.gitdir = normalisePath(location.gitDir);
    this.readAlternatesFile = options.readAlternatesFile ?? true;
  }

  async resolveRef(ref: string): Promise<string | null> {
    assertRefName(ref);
    let name = ref;
    for (let depth = 0; depth <= MAX_SYMREF_DEPTH; depth++) {
      const loose = await this.readText(`${this.gitdir}/${name}`);
      if (loose !== null) {
        const text = loose.trim();
        if (text.startsWith('ref: ')) {
          name = text.slice(5).trim();
          continue;
        }
        assertOid(text, `object id for ref ${ref}`);
        return text;
      }
      const packed = await this.readText(`${this.gitdir}/packed-refs`);
      if (packed !== null) {
        for (const line of packed.split('\n')) {
          if (line.startsWith('#') || line.startsWith('^')) continue;
          const sp = line.indexOf(' ');
          if (sp > 0 && line.slice(sp + 1).replace(/\r$/, '') === name) {
            const oid = line.slice(0, sp);
            assertOid(oid, `object id for ref ${ref}`);
            return oid;
          }
        }
      }
      return null;
    }
    throw new GitError('read-failed', `symbolic ref ${ref} nests too deeply`);
  }

  async readType(oid: string): Promise<ObjectType> {
    assertOid(oid);
    return (await this.read(oid)).type;
  }

  async peel(oid: string): Promise<{ oid: string; type: ObjectType }> {
    // isomorphic-git reads an object whole anyway: a tag's body comes with its type.
    return peelTags(
      oid,
      (o) => this.read(o),
      (obj) => obj.content,
    );
  }

  async commitTree(commitOid: string, limit?: ReadLimit): Promise<string> {
    assertOid(commitOid, 'commit id');
    return readCommitHeader(bounded(commitOid, await this.readAs(commitOid, 'commit'), limit), commitOid).tree;
  }

  // isomorphic-git reads an object whole, so a bound is checked after the read: the same answer as the git
  // store, not the same cost (the git store asks for the size first).
  async readBlob(oid: string, limit?: ReadLimit): Promise<Uint8Array> {
    assertOid(oid, 'blob id');
    return bounded(oid, await this.readAs(oid, 'blob'), limit);
  }

  async readObject(oid: string): Promise<{ type: ObjectType; content: Uint8Array }> {
    assertOid(oid);
    return this.read(oid);
  }

  async readTree(oid: string, limit?: ReadLimit): Promise<TreeEntry[]> {
    assertOid(oid, 'tree id');
    return parseTreeObject(bounded(oid, await this.readAs(oid, 'tree'), limit), oid, oid.length / 2);
  }

  async diffTrees(oldTree: string | null, newTree: string, options?: DiffOptions): Promise<TreeChange[]> {
    return walkTreeDiff(
      async (oid) => bounded(oid, await this.readAs(oid, 'tree'), { maxBytes: DIFF_LIMITS.maxTreeBytes }),
      oldTree,
      newTree,
      options,
    );
  }

  async isAncestor(ancestor: string, descendant: string): Promise<boolean> {
    assertOid(ancestor, 'commit id');
    assertOid(descendant, 'commit id');
    for (const oid of [ancestor, descendant]) {
      const t = await this.readType(oid);
      if (t !== 'commit') throw new ObjectTypeError(oid, t, 'commit');
    }
    if (ancestor === descendant) return true;
    // A walk of our own rather than isomorphic-git's isDescendent: its commit parser reads parents by position
    // and reads commits git cannot; headers.ts reads them exactly as git does, as the git store does.
    const seen = new Set<string>([descendant]);
    let frontier = [descendant];
    while (frontier.length > 0) {
      const next: string[] = [];
      const bodies = await Promise.all(frontier.map((oid) => this.readAs(oid, 'commit')));
      for (let i = 0; i < frontier.length; i++) {
        for (const parent of readCommitHeader(bodies[i]!, frontier[i]!).parents) {
          if (parent === ancestor) return true;
          if (!seen.has(parent)) {
            seen.add(parent);
            next.push(parent);
          }
        }
      }
      frontier = next;
    }
    return false;
  }

  async close(): Promise<void> {
    this.closed = true;
    this.cache = {};
  }

  // ---- internals ----

  private async readAs(oid: string, expected: ObjectType): Promise<Uint8Array> {
    const obj = await this.read(oid);
    if (obj.type !== expected) throw new ObjectTypeError(oid, obj.type, expected);
    return obj.content;
  }

  private async read(oid: string): Promise<{ type: ObjectType; content: Uint8Array }> {
    if (this.closed) throw new GitError('closed', 'object store is closed');
    // Bound concurrent reads: a wide diff would otherwise open a file per tree at once (EMFILE).
    while (this.active >= MAX_CONCURRENT_READS) await new Promise<void>((resolve) => this.waiting.push(resolve));
    this.active++;
    try {
      return await this.readNow(oid);
    } finally {
      this.active--;
      this.waiting.shift()?.();
    }
  }

  private async readNow(oid: string): Promise<{ type: ObjectType; content: Uint8Array }> {
    let r;
    try {
      r = await readObject({ fs: await this.fs(), gitdir: this.gitdir, oid, format: 'content', cache: this.cache });
    } catch (e) {
      const code = (e as { code?: unknown }).code;
      if (code === 'NotFoundError') throw new ObjectNotFoundError(oid);
      throw new GitError('read-failed', `cannot read object ${oid}: ${oneLine(errorMessage(e))}`, { cause: e });
    }
    const type = r.type as string;
    if (type !== 'commit' && type !== 'tree' && type !== 'blob' && type !== 'tag') {
      throw new MalformedObjectError(`object ${oid} has unknown type ${JSON.stringify(type)}`);
    }
    if (!(r.object instanceof Uint8Array)) throw new GitError('read-failed', `cannot read object ${oid}: unexpected format`);
    // A plain Uint8Array view (isomorphic-git hands out Buffers in Node), so both stores return the same shape.
    const o = r.object;
    return { type, content: new Uint8Array(o.buffer, o.byteOffset, o.byteLength) };
  }

  private fs(): Promise<IsoFs> {
    if (!this.fsPromise) {
      this.fsPromise = (async () => {
        const overlays = [
          ...(this.location.objectDirectory ? [this.location.objectDirectory] : []),
          ...(this.location.alternateObjectDirectories ?? []),
        ];
        if (this.readAlternatesFile) overlays.push(...(await this.alternatesFile()));
        return overlayObjectsFs(this.base, this.gitdir, overlays);
      })();
      // Let a failed setup be retried.
      this.fsPromise.catch(() => {
        this.fsPromise = null;
      });
    }
    return this.fsPromise;
  }

  /** Entries of `<gitDir>/objects/info/alternates`, relative ones resolved against the objects directory. */
  private async alternatesFile(): Promise<string[]> {
    const text = await this.readText(`${this.gitdir}/objects/info/alternates`);
    if (text === null) return [];
    const dirs: string[] = [];
    for (const raw of text.split('\n')) {
      const line = raw.trim();
      if (!line || line.startsWith('#')) continue;
      dirs.push(normalisePath(line.startsWith('/') ? line : `${this.gitdir}/objects/${line}`));
    }
    return dirs;
  }

  /** A file's text, or null when it does not exist. */
  private async readText(path: string): Promise<string | null> {
    try {
      const data = await this.base.readFile(path);
      if (typeof data === 'string') return data;
      if (data instanceof Uint8Array) return new TextDecoder().decode(data);
      throw new Error('unexpected readFile result');
    } catch (e) {
      const code = (e as { code?: unknown }).code;
      if (code === 'ENOENT' || code === 'ENOTDIR' || code === 'EISDIR') return null;
      throw new GitError('read-failed', `cannot read ${path}: ${oneLine(errorMessage(e))}`, { cause: e });
    }
  }
}
