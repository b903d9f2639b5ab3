/**
 * Reads the policy branch's files out of a commit, through any ObjectStore
 * (policy-directory.ts reads a checkout of it the same way).
 *
 * Rule and group files are read whole (they are small and every push needs
 * them). Key files are only listed: a push needs one key, and a policy branch
 * may hold thousands, so their blobs are read on demand.
 *
 * A policy is data others contribute, and a client reads the remote's: every
 * read is bounded before it is made (core's LIMITS), from the object's size
 * alone. A rule, group or owner file past `fileBytes`, or past the
 * `policyBytes` of all rule and group files read before it (in the order the
 * core reads them), is listed with its size and not read; the parser reports
 * it. A tree past `policyTreeBytes`, more than `policyEntries` entries, or a
 * key file past `keyFileBytes` stop the read with a PolicyLimitError.
 */
import { LIMITS, formatCount } from '../core/limits.js';
import { POLICY_DIRS, type PolicyFile } from '../core/model.js';
import { OWNER_FILE, recordedOwner } from '../core/owner.js';
import { ObjectTooLargeError } from './errors.js';
import type { ObjectStore, TreeEntry } from './store.js';

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

/** The policy branch is past one of the reading bounds (core LIMITS); the message says which, in one line. */
export class PolicyLimitError extends Error {
  override name = 'PolicyLimitError';
}

const WHERE = "git-acl's limit, see docs/security.md#bounds-on-what-the-hook-reads";

/** How many bounded blob reads are in flight at once: enough to hide the round trips, little memory. */
const READ_AHEAD = 16;

export async function readPolicyTree(store: ObjectStore, commit: string): Promise<PolicyTree> {
  const peeled = await store.peel(commit);
  if (peeled.type !== 'commit') throw new Error(`policy branch points at a ${peeled.type}, not a commit`);
  const root = await policyCommitTree(store, peeled.oid, `the policy commit ${peeled.oid.slice(0, 12)}`);
  const files: PolicyFile[] = [];
  const keyBlobs = new Map<string, string>();
  const contents: Array<{ path: string; oid: string }> = [];
  let entries = 0;
  const top = await readPolicyDir(store, root, '');
  for (const entry of top) {
    if (entry.name === OWNER_FILE) {
      count();
      // The owner every clone evaluates `owner` rules with (docs/push-log.md); not a regular file -> a lint error.
      if (entry.kind === 'file') contents.push({ path: OWNER_FILE, oid: entry.oid });
      else files.push({ path: OWNER_FILE, content: '', kind: entry.kind === 'directory' ? 'other' : entry.kind });
      continue;
    }
    if (entry.kind !== 'directory' || !TOP.has(entry.name)) continue;
    count();
    await walk(entry.oid, entry.name);
  }
  await readContents(store, contents, files);
  return { commit: peeled.oid, files: sortPolicyFiles(files), keyBlobs };

  function count(): void {
    if (++entries > LIMITS.policyEntries) {
      throw new PolicyLimitError(`the policy branch lists more than ${formatCount(LIMITS.policyEntries)} files and directories (${WHERE})`);
    }
  }

  async function walk(tree: string, prefix: string): Promise<void> {
    for (const entry of await readPolicyDir(store, tree, prefix)) {
      count();
      const path = `${prefix}/${entry.name}`;
      if (entry.kind === 'directory') {
        await walk(entry.oid, path);
      } else if (entry.kind !== 'file') {
        // Listed with its kind, so the linter refuses a symlinked or submodule policy file instead of reading it as empty.
        files.push({ path, content: '', kind: entry.kind });
      } else if (readsContent(path)) {
        contents.push({ path, oid: entry.oid });
      } else {
        if (isKeyPath(path)) keyBlobs.set(path, entry.oid);
        files.push({ path, content: '' });
      }
    }
  }
}

/** A policy commit's tree, the commit read within POLICY_COMMIT_BYTES as every read of a policy is bounded. */
async function policyCommitTree(store: ObjectStore, commit: string, what: string): Promise<string> {
  try {
    return await store.commitTree(commit, { maxBytes: POLICY_COMMIT_BYTES });
  } catch (e) {
    if (!(e instanceof ObjectTooLargeError)) throw e;
    throw new PolicyLimitError(`${what} is ${formatCount(e.size)} bytes, more than ${formatCount(POLICY_COMMIT_BYTES)} (${WHERE})`);
  }
}

/**
 * The entries of the top-level directory `dir` of a policy commit, read
 * without the rest of the policy (two bounded tree reads): what registration
 * needs of a pushed policy before anyone knows who pushes it. [] when the
 * commit has no such directory.
 */
export async function readPolicyTreeEntries(store: ObjectStore, commit: string, dir: string): Promise<TreeEntry[]> {
  // Read before anyone knows who pushes: no tag is followed (the judge refuses a policy branch that is not a
  // commit) and the commit is read within a bound, as its trees are.
  const type = await store.readType(commit);
  if (type !== 'commit') return [];
  const root = await policyCommitTree(store, commit, "the pushed policy's commit");
  const entry = (await readPolicyDir(store, root, '')).find((e) => e.name === dir && e.kind === 'directory');
  return entry ? readPolicyDir(store, entry.oid, dir) : [];
}

/** The most of a pushed policy's commit object read before identity: a commit is a few hundred bytes and a message. */
export const POLICY_COMMIT_BYTES = 1024 * 1024;

/** One tree of the policy branch, refused past LIMITS.policyTreeBytes before it is read. */
async function readPolicyDir(store: ObjectStore, oid: string, path: string): Promise<TreeEntry[]> {
  try {
    return await store.readTree(oid, { maxBytes: LIMITS.policyTreeBytes });
  } catch (e) {
    if (!(e instanceof ObjectTooLargeError)) throw e;
    const where = path === '' ? 'root tree' : `tree ${path}/`;
    throw new PolicyLimitError(
      `the policy branch's ${where} is ${formatCount(e.size)} bytes, more than ${formatCount(LIMITS.policyTreeBytes)} (${WHERE})`,
    );
  }
}

/**
 * Reads the rule, group and owner files in the order the core reads them (by
 * path), each within LIMITS.fileBytes and, for rule and group files, within
 * what is left of LIMITS.policyBytes. A file past either is listed unread
 * with its size (PolicyFile.size), and so is every rule and group file after
 * the total was reached: the parser reports them (file-too-large,
 * policy-too-large) exactly as if it had read them.
 */
async function readContents(store: ObjectStore, items: Array<{ path: string; oid: string }>, files: PolicyFile[]): Promise<void> {
  items.sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0));
  const budget = new ContentBudget();
  for (let i = 0; i < items.length; i += READ_AHEAD) {
    const batch = items.slice(i, i + READ_AHEAD);
    const read = await Promise.all(
      batch.map(({ path, oid }) =>
        store.readBlob(oid, { maxBytes: budget.room(path) }).then(
          (bytes) => ({ bytes, size: bytes.length }),
          (e: unknown) => {
            if (e instanceof ObjectTooLargeError) return { bytes: null, size: e.size };
            throw e;
          },
        ),
      ),
    );
    for (let k = 0; k < batch.length; k++) {
      const { path } = batch[k]!;
      const { bytes, size } = read[k]!;
      files.push(budget.admit(path, size) && bytes !== null ? { path, content: utf8.decode(bytes) } : { path, content: '', size });
    }
  }
}

/**
 * The byte bounds of the files whose content a reader hands to the core,
 * decided in the core's order (by path): the owner file within
 * LIMITS.fileBytes; each rule and group file within LIMITS.fileBytes and
 * within what is left of LIMITS.policyBytes, and none after the total was
 * reached. Shared by the commit reader and the directory reader.
 */
export class ContentBudget {
  private total = 0;
  private over = false;

  /** The most a read of `path` may return now (a batch of reads asks before any of them is admitted). */
  room(path: string): number {
    if (path === OWNER_FILE) return LIMITS.fileBytes;
    return this.over ? 0 : Math.min(LIMITS.fileBytes, LIMITS.policyBytes - this.total);
  }

  /** Whether `path`, of `size` bytes, is read; call in path order. */
  admit(path: string, size: number): boolean {
    if (path === OWNER_FILE) return size <= LIMITS.fileBytes;
    if (this.over || size > LIMITS.fileBytes) return false;
    if ((this.total += size) > LIMITS.policyBytes) {
      this.over = true;
      return false;
    }
    return true;
  }
}

/** A key file's text, refused (PolicyLimitError) past LIMITS.keyFileBytes before it is read; null when `path` is not one. */
export async function readKeyBlob(store: ObjectStore, tree: PolicyTree, path: string): Promise<string | null> {
  const oid = tree.keyBlobs.get(path);
  if (!oid) return null;
  return readKeyFile(store, oid, path);
}

/** The key file `path` (blob `oid`), within LIMITS.keyFileBytes. */
export async function readKeyFile(store: ObjectStore, oid: string, path: string): Promise<string> {
  try {
    return utf8.decode(await store.readBlob(oid, { maxBytes: LIMITS.keyFileBytes }));
  } catch (e) {
    if (!(e instanceof ObjectTooLargeError)) throw e;
    throw keyFileTooLarge(path, e.size);
  }
}

/** The refusal of a key file past LIMITS.keyFileBytes (from a commit or a checkout). */
export function keyFileTooLarge(path: string, size: number): PolicyLimitError {
  return new PolicyLimitError(
    `${path} is ${formatCount(size)} bytes; a key file holds at most ${formatCount(LIMITS.keyFileBytes)} (export a minimal key: gpg --export --armor --export-options export-minimal <FINGERPRINT>)`,
  );
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
  const root = await policyCommitTree(store, peeled.oid, `the policy commit ${peeled.oid.slice(0, 12)}`);
  const entry = (await readPolicyDir(store, root, '')).find((e) => e.name === OWNER_FILE);
  if (!entry || entry.kind !== 'file') return null;
  const bytes = await store.readBlob(entry.oid, { maxBytes: LIMITS.fileBytes }).catch((e: unknown) => {
    if (e instanceof ObjectTooLargeError) return null;
    throw e;
  });
  return bytes === null ? null : recordedOwner([{ path: OWNER_FILE, content: utf8.decode(bytes) }]);
}
