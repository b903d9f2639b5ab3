/**
 * From the `old new ref` lines of a push to the operations the policy judges
 * (docs/reference.md#operations). Works on any ObjectStore, so the server (git child processes) and
 * the library/browser path (isomorphic-git) compute the same list.
 *
 * Decisions (also in docs/decisions.md, "Reading git"):
 * - Ref ops: `delete` when new is absent; `create-tag` / `create-branch` when
 *   old is absent (by whether the ref is under `refs/tags/`); every other move
 *   of a ref under `refs/tags/` is `force`; any other ref is `fast-forward`
 *   when both old and new peel to commits and the old commit is the new one
 *   or an ancestor of it, else `force` (a ref that pointed at, or now points
 *   at, a tree or blob can never fast-forward).
 * - Tree ops are computed for every created or updated ref outside
 *   `refs/tags/` (branches, but also e.g. `refs/notes/*`, `refs/merge-reqs/*`)
 *   whose new value peels to a commit. A ref pointing at an annotated tag of a
 *   commit is peeled to that commit and its tree is diffed: the tree is what a
 *   checkout of the ref shows, so that is what is judged.
 * - A ref outside `refs/tags/` whose new value does not peel to a commit (a
 *   tree, a blob, or a tag of one) gets NO tree ops: there is no commit tree
 *   to diff. `analyseUpdates` reports it as `treeDiff: 'not-a-commit'`; the
 *   hook should reject such a branch head (fail closed) rather than let it
 *   through on the ref op alone.
 * - The diff runs from the old value's commit tree to the new commit's tree.
 *   When the ref is created, or its old value does not peel to a commit, it
 *   runs from the empty tree, so every entry of the new tree is judged as
 *   created.
 * - Deleting a ref produces only the `delete` ref op.
 */
import type { Operation, RefOp, RefOperation, TreeOp, TreeOperation } from '../core/model.js';
import type { EntryKind, ObjectStore, ObjectType, TreeChange } from './store.js';
import type { RefUpdate } from './ref-updates.js';
import { assertOid, isZeroOid } from './objects.js';
import { errorMessage } from '../core/messages.js';
import { GitError, type GitErrorCode } from './errors.js';
import { DiffBudget } from './limits.js';
import type { DiffOptions } from './tree-diff.js';

/** What happened to one ref, with the facts the hook may want beyond the operations. */
export interface UpdateAnalysis {
  update: RefUpdate;
  refOp: RefOp;
  /**
   * - `diffed`: the ref is outside `refs/tags/` and its new value peels to a commit; `treeOps` holds the diff.
   * - `tag`: the ref is under `refs/tags/`; tags get no tree ops.
   * - `deleted`: the ref is deleted; no tree ops.
   * - `not-a-commit`: the ref is outside `refs/tags/` but its new value does not peel to a commit; no tree ops.
   *   The hook should reject this (see module comment).
   */
  treeDiff: 'diffed' | 'tag' | 'deleted' | 'not-a-commit';
  /** The new value, peeled through annotated tags (absent for a delete). */
  newPeeled?: { oid: string; type: ObjectType };
  /** The old value, peeled through annotated tags (absent for a create, and for tag refs). */
  oldPeeled?: { oid: string; type: ObjectType };
  /** Tree operations, sorted by path (delete before create on the same path). */
  treeOps: TreeOperation[];
}

const TAG_PREFIX = 'refs/tags/';

/**
 * The operations of a push, in order: for each update (in the given order) its
 * ref op, then its tree ops sorted by path. Throws on any unreadable object.
 */
export async function computeOperations(store: ObjectStore, updates: RefUpdate[]): Promise<Operation[]> {
  return operationsOf(await analyseUpdates(store, updates));
}

/** The operations of analysed updates, in order: each update's ref op, then its tree ops. */
export function operationsOf(analyses: readonly UpdateAnalysis[]): Operation[] {
  const ops: Operation[] = [];
  for (const a of analyses) {
    const refOp: RefOperation = { type: 'ref', op: a.refOp, ref: a.update.ref };
    if (a.update.unsafeName) refOp.unsafeName = true;
    ops.push(refOp);
    // One by one: spreading 100,000 tree ops into push() would overflow the call stack.
    for (const t of a.treeOps) ops.push(t);
  }
  return ops;
}

/**
 * Like computeOperations, but keeps each update's analysis (see
 * UpdateAnalysis). All the diffs of the push count against one DiffBudget
 * (`options.budget`, default a fresh one; limits.ts): past a bound it throws
 * LimitError. `options.onTree` sees every new-side tree the diffs read.
 */
export async function analyseUpdates(store: ObjectStore, updates: RefUpdate[], options: DiffOptions = {}): Promise<UpdateAnalysis[]> {
  const diff: DiffOptions = { ...options, budget: options.budget ?? new DiffBudget() };
  const out: UpdateAnalysis[] = [];
  for (const u of updates) out.push(await analyseUpdate(store, u, diff));
  return out;
}

async function analyseUpdate(store: ObjectStore, u: RefUpdate, diff: DiffOptions): Promise<UpdateAnalysis> {
  assertOid(u.oldOid, `old object id for ${u.ref}`);
  assertOid(u.newOid, `new object id for ${u.ref}`);
  const oldAbsent = isZeroOid(u.oldOid);
  const newAbsent = isZeroOid(u.newOid);
  const isTag = u.ref.startsWith(TAG_PREFIX);
  if (oldAbsent && newAbsent) throw new Error(`update of ${u.ref} has neither an old nor a new value`);

  if (newAbsent) {
    return { update: u, refOp: 'delete', treeDiff: 'deleted', treeOps: [] };
  }

  // Reads that do not depend on each other are asked at once (each is a round trip to git); what fails is reported
  // in the order a one-by-one reading would have met it, so the refusal is the same.
  const readsOld = !(isTag || oldAbsent);
  let [newRead, oldRead] = await Promise.allSettled([store.peel(u.newOid), readsOld ? store.peel(u.oldOid) : Promise.resolve(undefined)]);
  if (newRead.status === 'rejected' && readsOld) {
    // Both share one cat-file: an old value that kills it (a loose object whose body git cannot inflate) fails the
    // new value's reads still in flight with it. Read the new value again, alone, as a one-by-one reading would.
    [newRead] = await Promise.allSettled([store.peel(u.newOid)]);
  }
  if (newRead.status === 'rejected') {
    const e: unknown = newRead.reason;
    throw new GitError(codeOf(e), `cannot read new value ${u.newOid} of ${u.ref}: ${errorMessage(e)}`, { cause: e });
  }
  const newPeeled = newRead.value;

  if (isTag) {
    return { update: u, refOp: oldAbsent ? 'create-tag' : 'force', treeDiff: 'tag', newPeeled, treeOps: [] };
  }

  if (oldRead.status === 'rejected') {
    const e: unknown = oldRead.reason;
    throw new GitError(codeOf(e), `cannot read old value ${u.oldOid} of ${u.ref}: ${errorMessage(e)}`, { cause: e });
  }
  const oldPeeled = oldRead.value;
  const commits = newPeeled.type === 'commit';
  const oldCommit = oldPeeled?.type === 'commit' ? oldPeeled.oid : null;
  const [ancestry, newTreeRead, oldTreeRead] = await Promise.allSettled([
    oldCommit !== null && commits ? store.isAncestor(oldCommit, newPeeled.oid) : Promise.resolve(false),
    commits ? store.commitTree(newPeeled.oid) : Promise.resolve(null),
    commits && oldCommit !== null ? store.commitTree(oldCommit) : Promise.resolve(null),
  ]);
  if (ancestry.status === 'rejected') throw ancestry.reason;
  const refOp: RefOp = oldAbsent ? 'create-branch' : ancestry.value ? 'fast-forward' : 'force';

  const base: UpdateAnalysis = { update: u, refOp, treeDiff: 'diffed', newPeeled, treeOps: [] };
  if (oldPeeled) base.oldPeeled = oldPeeled;
  if (!commits) {
    base.treeDiff = 'not-a-commit';
    return base;
  }
  if (newTreeRead.status === 'rejected') throw newTreeRead.reason;
  if (oldTreeRead.status === 'rejected') throw oldTreeRead.reason;
  const newTree = newTreeRead.value!;
  const oldTree = oldTreeRead.value;
  const changes = await store.diffTrees(oldTree, newTree, diff);
  base.treeOps = treeOperations(u.ref, changes);
  return base;
}

const CREATE: Record<EntryKind, TreeOp> = {
  directory: 'create-directory',
  file: 'create-file',
  symlink: 'create-symlink',
  submodule: 'create-submodule',
};

const DELETE: Record<EntryKind, TreeOp> = {
  directory: 'delete-directory',
  file: 'delete-file',
  symlink: 'delete-symlink',
  submodule: 'delete-submodule',
};

/**
 * Maps tree changes (as ObjectStore.diffTrees returns them) to tree operations
 * on `branch`, sorted by path (by code point, i.e. UTF-8 byte order); on one
 * path a delete comes before a create.
 *
 * - same kind on both sides: `modify` for a file, symlink or gitlink (content,
 *   executable bit, or gitlink target changed); nothing for a directory (the
 *   entries inside it are changes of their own);
 * - different kinds: delete of the old kind, then create of the new;
 * - only old: delete of its kind; only new: create of its kind.
 */
export function treeOperations(branch: string, changes: readonly TreeChange[]): TreeOperation[] {
  const ops: TreeOperation[] = [];
  const push = (op: TreeOp, c: TreeChange) => {
    const t: TreeOperation = { type: 'tree', op, branch, path: c.path };
    if (c.unsafeName) t.unsafeName = true;
    ops.push(t);
  };
  for (const c of changes) {
    if (c.old && c.new) {
      if (c.old.kind === c.new.kind) {
        if (c.new.kind !== 'directory') push('modify', c);
      } else {
        push(DELETE[c.old.kind], c);
        push(CREATE[c.new.kind], c);
      }
    } else if (c.old) {
      push(DELETE[c.old.kind], c);
    } else if (c.new) {
      push(CREATE[c.new.kind], c);
    }
  }
  // Stable: keeps delete-before-create on one path, and the store's order for equal decoded paths.
  return ops.sort((a, b) => compareCodePoints(a.path, b.path));
}

/**
 * Compares by Unicode code point (= UTF-8 byte order), not by UTF-16 code
 * unit as core/order.ts's compareCodeUnits does: tree paths sort the way git
 * sorts their bytes.
 */
export function compareCodePoints(a: string, b: string): number {
  if (a === b) return 0;
  const n = Math.min(a.length, b.length);
  for (let i = 0; i < n; i++) {
    const x = a.charCodeAt(i);
    const y = b.charCodeAt(i);
    if (x !== y) {
      // Surrogates (astral code points) sort above every BMP code point.
      const xs = x >= 0xd800 && x <= 0xdfff;
      const ys = y >= 0xd800 && y <= 0xdfff;
      if (xs !== ys) return xs ? 1 : -1;
      return x - y;
    }
  }
  return a.length - b.length;
}

function codeOf(e: unknown): GitErrorCode {
  return e instanceof GitError ? e.code : 'read-failed';
}
