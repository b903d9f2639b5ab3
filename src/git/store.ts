/**
 * The one small interface through which git-acl reads a repository.
 *
 * Two implementations exist: isomorphic-git (library and browser path, small
 * reads such as the policy branch) and `git` child processes (the server's hot
 * path, where isomorphic-git is 10x slower on big trees — see docs/decisions.md).
 * Both must read the push quarantine during pre-receive and must yield
 * identical operations.
 */
import type { DiffOptions } from './tree-diff.js';

/** Git's tree-entry modes, as octal strings the way git prints them. */
export type EntryMode = '040000' | '100644' | '100755' | '120000' | '160000';

export type EntryKind = 'directory' | 'file' | 'symlink' | 'submodule';

export interface TreeEntry {
  /** The entry's name within its tree (one path segment), decoded as UTF-8. */
  name: string;
  /** The raw bytes git stores for the name; present when they are not valid UTF-8. */
  rawName?: Uint8Array;
  mode: EntryMode;
  kind: EntryKind;
  oid: string;
}

/** One change between two trees, recursive, no rename detection. */
export interface TreeChange {
  /** Full path from the tree root, `/`-separated, decoded as UTF-8. */
  path: string;
  /** True when the path's bytes are not valid UTF-8. */
  unsafeName?: boolean;
  /** Undefined when the entry did not exist before. */
  old?: { mode: EntryMode; kind: EntryKind; oid: string };
  /** Undefined when the entry no longer exists. */
  new?: { mode: EntryMode; kind: EntryKind; oid: string };
}

export type ObjectType = 'commit' | 'tree' | 'blob' | 'tag';

export interface ObjectStore {
  /** The object id a full ref name points at, or null when the ref does not exist. */
  resolveRef(ref: string): Promise<string | null>;
  /** The type of an object; throws when it cannot be read. */
  readType(oid: string): Promise<ObjectType>;
  /** Follows annotated tags to the object they finally point at; returns its id and type. */
  peel(oid: string): Promise<{ oid: string; type: ObjectType }>;
  /** The tree id of a commit; `maxBytes` bounds the commit object's size as readBlob's does. */
  commitTree(commitOid: string, limit?: ReadLimit): Promise<string>;
  /**
   * A blob's content. With `maxBytes`, a larger blob is refused
   * (ObjectTooLargeError) from its size alone: the git store asks git for the
   * size first and never reads the content; isomorphic-git, which has no such
   * read, checks after reading.
   */
  readBlob(oid: string, limit?: ReadLimit): Promise<Uint8Array>;
  /** Any object's type and raw content (for git's object checks, fsck.ts); throws when it cannot be read. */
  readObject(oid: string): Promise<{ type: ObjectType; content: Uint8Array }>;
  /** A tree's entries; `maxBytes` bounds the tree object's size as readBlob's does. */
  readTree(oid: string, limit?: ReadLimit): Promise<TreeEntry[]>;
  /**
   * Every entry that differs between two trees, recursively (directories
   * included as entries of their own, and every entry inside a created or
   * deleted directory). `oldTree` null means the empty tree. Both stores
   * walk the trees with tree-diff.ts: each change is counted against
   * `options.budget` (the push's, shared by all its diffs; default a fresh
   * one), past a bound it throws LimitError (limits.ts); `options.onTree`
   * sees every new-side tree before it is used.
   */
  diffTrees(oldTree: string | null, newTree: string, options?: DiffOptions): Promise<TreeChange[]>;
  /** True when `ancestor` is `descendant` or one of its ancestors (both commits). */
  isAncestor(ancestor: string, descendant: string): Promise<boolean>;
  /** Releases child processes or caches. */
  close(): Promise<void>;
}

/** A ref of the repository as `git for-each-ref` lists it. */
export interface RefInfo {
  /** The object it points at (for a symbolic ref: its target's). */
  oid: string;
  /** For a symbolic ref, the full name of the ref it points to. */
  symref?: string;
}

/** A bound on one read: objects larger than `maxBytes` are refused before they are read. */
export interface ReadLimit {
  maxBytes?: number;
}

/** Where the hook reads from: the repository plus, during pre-receive, the quarantine. */
export interface RepoLocation {
  /** The git directory (a bare repository's root, or `.git`). */
  gitDir: string;
  /** `GIT_QUARANTINE_PATH` / `GIT_OBJECT_DIRECTORY` during pre-receive: new objects live only here. */
  objectDirectory?: string;
  /** `GIT_ALTERNATE_OBJECT_DIRECTORIES`, colon-separated in git's env. */
  alternateObjectDirectories?: string[];
}
