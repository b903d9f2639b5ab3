/**
 * Reads the policy branch's files out of a commit, through any ObjectStore
 * (policy-directory.ts reads a checkout of it the same way).
 *
 * Rule and group files are read whole (they are small and every push needs
 * them). Key files are only listed: a push needs one key, and a policy branch
 * may hold thousands, so their blobs are read on demand.
 */
import { POLICY_DIRS, type PolicyFile } from '../core/model.js';
import { OWNER_FILE, recordedOwner } from '../core/owner.js';
import type { ObjectStore } from './store.js';

/** The policy branch's name, and its full ref. */
export const POLICY_BRANCH = 'apps/access-control';
export const POLICY_REF = `refs/heads/${POLICY_BRANCH}`;

/** Where a clone keeps `remote`'s policy branch (its remote-tracking ref). */
export function trackingPolicyRef(remote: string): string {
  return `refs/remotes/${remote}/${POLICY_BRANCH}`;
}

const TOP = new Set<string>(POLICY_DIRS);

/** A path under `keys/`: listed, never read with the rest (see readKeyBlob). */
export function isKeyPath(path: string): boolean {
  return path.startsWith('keys/');
}

/**
 * Whether a reader passes a regular file's content: `.conf` files outside
 * keys/ (rules and groups). Everything else is listed by name only, so the
 * linter can warn about what does not belong there.
 */
export function readsContent(path: string): boolean {
  return path.endsWith('.conf') && !isKeyPath(path);
}

/** Files in path order (by code unit), whatever order the tree or directory listed them in. */
export function sortPolicyFiles(files: PolicyFile[]): PolicyFile[] {
  return files.sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0));
}

export interface PolicyTree {
  /** The commit the files were read from. */
  commit: string;
  /** `refs/`, `branches/`, `groups/` files with content; `keys/` and other files by name with empty content, for the linter. */
  files: PolicyFile[];
  /** `keys/<name>` → blob id, for every blob under `keys/`. */
  keyBlobs: Map<string, string>;
}

const utf8 = new TextDecoder('utf-8', { fatal: false });

export async function readPolicyTree(store: ObjectStore, commit: string): Promise<PolicyTree> {
  const peeled = await store.peel(commit);
  if (peeled.type !== 'commit') throw new Error(`policy branch points at a ${peeled.type}, not a commit`);
  const root = await store.commitTree(peeled.oid);
  const files: PolicyFile[] = [];
  const keyBlobs = new Map<string, string>();
  const top = await store.readTree(root);
  for (const entry of top) {
    if (entry.name === OWNER_FILE) {
      // The owner every clone evaluates `owner` rules with (docs/push-log.md); not a regular file -> a lint error.
      files.push(entry.kind === 'file' ? { path: OWNER_FILE, content: utf8.decode(await store.readBlob(entry.oid)) } : { path: OWNER_FILE, content: '', kind: entry.kind === 'directory' ? 'other' : entry.kind });
      continue;
    }
    if (entry.kind !== 'directory' || !TOP.has(entry.name)) continue;
    await walk(entry.oid, entry.name);
  }
  return { commit: peeled.oid, files: sortPolicyFiles(files), keyBlobs };

  async function walk(tree: string, prefix: string): Promise<void> {
    for (const entry of await store.readTree(tree)) {
      const path = `${prefix}/${entry.name}`;
      if (entry.kind === 'directory') {
        await walk(entry.oid, path);
      } else if (entry.kind !== 'file') {
        // Listed with its kind, so the linter refuses a symlinked or submodule policy file instead of reading it as empty.
        files.push({ path, content: '', kind: entry.kind });
      } else if (readsContent(path)) {
        files.push({ path, content: utf8.decode(await store.readBlob(entry.oid)) });
      } else {
        if (isKeyPath(path)) keyBlobs.set(path, entry.oid);
        files.push({ path, content: '' });
      }
    }
  }
}

export async function readKeyBlob(store: ObjectStore, tree: PolicyTree, path: string): Promise<string | null> {
  const oid = tree.keyBlobs.get(path);
  if (!oid) return null;
  return utf8.decode(await store.readBlob(oid));
}

/**
 * The owner the policy records in its root file `owner` (one user ID), or
 * null when the policy has no such file or it is malformed (a lint error).
 * Clients evaluate `owner` rules with this value; the server's hook refuses a
 * pushed policy whose owner differs from its `acl.owner`.
 */
export function policyOwner(tree: PolicyTree): string | null {
  return recordedOwner(tree.files);
}

/** The owner recorded by the policy commit `commit` (see policyOwner); reads only the root tree and that file. */
export async function readPolicyOwner(store: ObjectStore, commit: string): Promise<string | null> {
  const peeled = await store.peel(commit);
  if (peeled.type !== 'commit') return null;
  const entry = (await store.readTree(await store.commitTree(peeled.oid))).find((e) => e.name === OWNER_FILE);
  if (!entry || entry.kind !== 'file') return null;
  return recordedOwner([{ path: OWNER_FILE, content: utf8.decode(await store.readBlob(entry.oid)) }]);
}
