/**
 * The difference between two trees, computed by walking them in-process:
 * the one diff both stores run (docs/decisions.md, "Reading git").
 *
 * Why not `git diff-tree`: git 2.39's diff-tree queues every change of the
 * whole diff in memory before it prints the first one, so no reader of its
 * output can bound its work. A chain of 2,500 nested 255-byte directory names
 * (a 118 KB pack) makes diff-tree hold 2.3 GB; a few trees that name one
 * subtree a thousand times each describe a billion paths. This walk counts
 * every change against the push's DiffBudget as it goes, and stops at the
 * first bound crossed, having read no more than that.
 *
 * It compares entries the way diff-tree does: by exact name bytes, an entry
 * unchanged when its (canonical) mode and object id are equal; a change of
 * kind on one name is one change with both sides; every entry of a created
 * or deleted directory is a change of its own. Trees git's fsck refuses
 * (duplicate or unsorted names, ...) are not diffed meaningfully by git
 * either; the caller refuses them (`onTree` sees every new-side tree first).
 */
import type { TreeChange } from './store.js';
import { assertOid, EMPTY_TREE_OID, parseTreeEntries, type StoredTreeEntry } from './objects.js';
import { decodeKey, sortChanges, type KeyedChange } from './names.js';
import { DiffBudget } from './limits.js';
import { LimitError, ObjectTooLargeError } from './errors.js';

export interface DiffOptions {
  /** The push's budget, shared by all its diffs; default a fresh one. */
  budget?: DiffBudget;
  /**
   * Called for every new-side tree the walk reads (the root included), in
   * each place it sits, before its entries are used. Throwing stops the diff.
   */
  onTree?: (visit: TreeVisit) => void;
}

/** A tree as the walk reads it: its bytes and, when they parse, its entries. */
export interface TreeRead {
  oid: string;
  data: Uint8Array;
  /** Null when the tree does not parse (the walk then fails with that error after onTree). */
  entries: StoredTreeEntry[] | null;
}

/** A new-side tree where it sits, with the old side's tree at the same place (null: none). */
export interface TreeVisit extends TreeRead {
  /** Its place: a bytesKey path (one char per byte), `''` for the root. */
  path: string;
  old: TreeRead | null;
}

/** Trees read at once: keeps a `git cat-file` pipe full without queueing reads past a failure. */
const MAX_CONCURRENT_TREES = 32;

/** Reads a tree object's raw bytes (throwing when it is missing or not a tree). */
export type TreeReader = (oid: string) => Promise<Uint8Array>;

/**
 * Every entry that differs between `oldTree` (null: the empty tree) and
 * `newTree`, recursively, sorted by path bytes (ObjectStore.diffTrees).
 */
export async function walkTreeDiff(
  read: TreeReader,
  oldTree: string | null,
  newTree: string,
  options: DiffOptions = {},
): Promise<TreeChange[]> {
  if (oldTree !== null) assertOid(oldTree, 'tree id');
  assertOid(newTree, 'tree id');
  const budget = options.budget ?? new DiffBudget();
  const hashLen = newTree.length / 2;
  const out: KeyedChange[] = [];
  // Parsed trees are not kept: a tree named in many places is read again in each (cat-file's cache makes that
  // cheap), and every read yields changes, so the budget bounds the reads too.

  const readParsed = async (oid: string): Promise<{ tree: TreeRead; error?: unknown }> => {
    let data: Uint8Array;
    try {
      data = await read(oid);
    } catch (e) {
      if (!(e instanceof ObjectTooLargeError)) throw e;
      const mib = (n: number) => `${(n / 1048576).toLocaleString('en-US', { maximumFractionDigits: 1 })} MiB`;
      throw new LimitError(
        `the push holds a tree of ${mib(e.size)} (${oid}), more than ${mib(e.maxBytes)} (git-acl's limit, see docs/security.md#limits)`,
      );
    }
    try {
      return { tree: { oid, data, entries: parseTreeEntries(data, oid, hashLen) } };
    } catch (error) {
      return { tree: { oid, data, entries: null }, error };
    }
  };

  // Directories still to compare, taken last-in first-out (depth first, so the list stays short) by a
  // bounded number of concurrent reads: enough to keep cat-file's pipe busy, few enough that after the first
  // failure (a bound crossed, an unreadable tree) almost nothing more is read.
  const pending: Array<[string | null, string | null, string]> = [[oldTree, newTree, '']];
  let failed = false;

  async function compare(a: string | null, b: string | null, prefix: string): Promise<void> {
    if (a !== null && a === b) return;
    const [ra, rb] = await Promise.all([a && a !== EMPTY_TREE_OID ? readParsed(a) : null, b ? readParsed(b) : null]);
    if (failed) return;
    if (rb) options.onTree?.({ ...rb.tree, path: prefix, old: ra?.tree ?? null });
    if (ra?.error) throw ra.error;
    if (rb?.error) throw rb.error;
    const ea = ra?.tree.entries ?? [];
    const eb = rb?.tree.entries ?? [];
    const visit = (name: string, old: StoredTreeEntry | undefined, nu: StoredTreeEntry | undefined): void => {
      const key = prefix ? `${prefix}/${name}` : name;
      budget.take(key.length, key); // a bytesKey: one char per byte
      let change: TreeChange;
      if (isAscii(key)) change = { path: key };
      else {
        const { text, unsafe } = decodeKey(key);
        change = { path: text };
        if (unsafe) change.unsafeName = true;
      }
      if (old) change.old = { mode: old.mode, kind: old.kind, oid: old.oid };
      if (nu) change.new = { mode: nu.mode, kind: nu.kind, oid: nu.oid };
      out.push({ key, change });
      const oldDir = old?.kind === 'directory' ? old.oid : null;
      const newDir = nu?.kind === 'directory' ? nu.oid : null;
      if (oldDir !== null || newDir !== null) pending.push([oldDir, newDir, key]);
    };
    if (ea.length === 0) {
      for (const e of eb) visit(e.key, undefined, e);
    } else if (eb.length === 0) {
      for (const e of ea) visit(e.key, e, undefined);
    } else {
      const olds = new Map<string, StoredTreeEntry>();
      for (const e of ea) olds.set(e.key, e);
      for (const e of eb) {
        const old = olds.get(e.key);
        if (old) {
          olds.delete(e.key);
          if (old.oid === e.oid && old.mode === e.mode) continue;
        }
        visit(e.key, old, e);
      }
      for (const [name, old] of olds) visit(name, old, undefined);
    }
  }

  await new Promise<void>((resolve, reject) => {
    let active = 0;
    const pump = (): void => {
      while (!failed && active < MAX_CONCURRENT_TREES && pending.length > 0) {
        const [a, b, prefix] = pending.pop()!;
        active++;
        compare(a, b, prefix).then(
          () => {
            active--;
            if (!failed && active === 0 && pending.length === 0) resolve();
            else pump();
          },
          (e: unknown) => {
            failed = true;
            reject(e);
          },
        );
      }
    };
    pump();
  });
  return sortChanges(out);
}

function isAscii(s: string): boolean {
  for (let i = 0; i < s.length; i++) if (s.charCodeAt(i) > 0x7f) return false;
  return true;
}
