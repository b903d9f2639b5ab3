/**
 * The policy in force, as the pre-receive hook last read it from git: `<GIT_DIR>/git-acl/cache/policy-<oid>.json`
 * (`policy-<oid>.u<uid>.json` where that name is another user's), named after the policy branch's object id as the
 * refs list it. Reading the policy tree from git costs every push 6-8 `cat-file` round trips one after the other
 * (commit, root tree, each directory, then the rule files), while the policy changes far less often than pushes
 * come; an object id names the same objects forever, so the tree read once for it is the tree read every time.
 *
 * The file is code: its rule files are the policy the server enforces. So it is read only as the other caches of
 * the hook are (cache-file.ts: a regular file, not through a symbolic link, owned by this user or root and
 * writable by nobody else, in a directory of the same kind), and only when every field is exactly what
 * readPolicyTree returns: strings where it puts strings, the kinds it lists, paths under the policy's directories
 * in its order, contents within the bounds it reads within, key files listed with their blob ids. Any doubt and
 * the file is ignored: the tree is read from git and the file written anew. Whoever can write that directory as
 * the hook's user can already change the repository, its hooks and its refs (docs/security.md, "The policy
 * cache").
 *
 * What readPolicyTree refuses (a bound, a policy branch that is not a commit, a tree git cannot read) is never
 * written, so it is read, and refused with the same line, on every push. The format names the bounds of the
 * reader, so a git-acl with other bounds does not believe a tree read within these.
 */
import { lstatSync, readdirSync, rmSync } from 'node:fs';
import { basename, join } from 'node:path';
import { LIMITS } from '../core/limits.js';
import type { PolicyFile } from '../core/model.js';
import { OWNER_FILE } from '../core/owner.js';
import { isOid } from '../git/objects.js';
import { isKeyPath, POLICY_COMMIT_BYTES, readPolicyTree, readsContent, type PolicyTree } from '../git/policy-files.js';
import type { ObjectStore } from '../git/store.js';
import { foreignFile, readCacheFile, writeCacheFile } from './cache-file.js';

const FORMAT = `git-acl policy tree 1; bounds ${LIMITS.fileBytes} ${LIMITS.policyBytes} ${LIMITS.policyTreeBytes} ${LIMITS.policyEntries} ${POLICY_COMMIT_BYTES}`;
/**
 * The most a file may be. What readPolicyTree hands over is bounded by LIMITS: at most 9 MiB of file contents (the
 * rule and group files' `policyBytes`, the owner file's `fileBytes`), which JSON writes in at most 6 bytes a UTF-16
 * unit (`\u001f`), so 54 MiB, plus the listing. A policy that would not fit is not cached (every push reads it from
 * git, as without a cache).
 */
const MAX_BYTES = 64 << 20;
const KINDS = new Set<unknown>(['symlink', 'submodule', 'other']);
/** A path readPolicyTree can list: the owner file, or a file below one of the policy's top-level directories. */
const PATH = /^(?:owner|(?:refs|branches|groups|keys)(?:\/[^/\0]+)+)$/;

const uid = (): number => process.getuid?.() ?? 0;
const nameOf = (oid: string): string => `policy-${oid}.json`;
/** This user's own name where the shared one belongs to another user (cache-file.ts writeCacheFile). */
const ownNameOf = (oid: string): string => `policy-${oid}.u${uid()}.json`;
const CACHE_NAME = /^policy-(?:[0-9a-f]{40}|[0-9a-f]{64})(?:\.u\d+)?\.json$/;

/**
 * What `readPolicyTree(store, policyTip)` returns, from the cache file of `policyTip` (the policy ref's object id as
 * listed) when one is believed, else from git (then cached). Throws exactly what readPolicyTree throws.
 */
export async function readPolicyTreeCached(store: ObjectStore, policyTip: string, cacheDir: string): Promise<PolicyTree> {
  if (!isOid(policyTip)) return readPolicyTree(store, policyTip);
  const cached = readCachedTree(cacheDir, policyTip);
  // A branch at a tag: readPolicyTree peels it. The tag's id fixes the commit it peels to, but the file saying so
  // is checked against git (a tag or two read, instead of the whole tree).
  if (cached && (cached.commit === policyTip || (await peelsTo(store, policyTip, cached.commit)))) return cached;
  const tree = await readPolicyTree(store, policyTip);
  writeCachedTree(cacheDir, policyTip, tree);
  return tree;
}

async function peelsTo(store: ObjectStore, tip: string, commit: string): Promise<boolean> {
  try {
    const peeled = await store.peel(tip);
    return peeled.type === 'commit' && peeled.oid === commit;
  } catch {
    return false; // readPolicyTree reads it again, and says what is wrong
  }
}

/** The tree cached for `tip`, or null: none, not believed (cache-file.ts), or not exactly a tree of readPolicyTree's. Never throws. */
export function readCachedTree(dir: string, tip: string): PolicyTree | null {
  try {
    const name = foreignFile(join(dir, nameOf(tip))) ? ownNameOf(tip) : nameOf(tip);
    const data = readCacheFile(dir, name, MAX_BYTES);
    return data ? decode(JSON.parse(data.toString('utf8')), tip) : null;
  } catch {
    return null;
  }
}

/** Caches `tree`, read from git for `tip`, and drops this user's files of other policies. Never throws; failures are ignored. */
function writeCachedTree(dir: string, tip: string, tree: PolicyTree): void {
  try {
    const data = JSON.stringify({ format: FORMAT, ref: tip, commit: tree.commit, files: tree.files, keyBlobs: [...tree.keyBlobs] });
    // Written only when it would be believed, so a tree the reader would doubt is not rewritten on every push.
    if (Buffer.byteLength(data) > MAX_BYTES || !decode(JSON.parse(data), tip)) return;
    const written = writeCacheFile(dir, nameOf(tip), ownNameOf(tip), data);
    if (written) prune(dir, basename(written));
  } catch {
    // a cache never changes a verdict
  }
}

/**
 * One file per policy the branch ever held would pile up: only the one just written is kept of this user's
 * (another user's are theirs). A push that still judged by an older policy and writes it back costs the next push
 * one read from git, nothing more.
 */
function prune(dir: string, keep: string): void {
  for (const name of readdirSync(dir)) {
    if (name === keep || !CACHE_NAME.test(name)) continue;
    try {
      const file = join(dir, name);
      if (lstatSync(file).uid === uid()) rmSync(file, { force: true });
    } catch {
      // gone already, or not ours to remove
    }
  }
}

/** A plain object with exactly the keys `required` and some of `optional`. */
function shaped(x: unknown, required: readonly string[], optional: readonly string[] = []): x is Record<string, unknown> {
  if (typeof x !== 'object' || x === null || Array.isArray(x)) return false;
  const keys = Object.keys(x);
  return required.every((k) => keys.includes(k)) && keys.every((k) => required.includes(k) || optional.includes(k));
}

/**
 * The PolicyTree `doc` records for `tip`, rebuilt from checked fields only, if it is exactly one that
 * readPolicyTree can return within the bounds of this git-acl; else null.
 */
function decode(doc: unknown, tip: string): PolicyTree | null {
  if (!shaped(doc, ['format', 'ref', 'commit', 'files', 'keyBlobs'])) return null;
  const { commit, files: rawFiles, keyBlobs: rawKeys } = doc;
  if (doc.format !== FORMAT || doc.ref !== tip || typeof commit !== 'string' || !isOid(commit) || commit.length !== tip.length) {
    return null;
  }
  if (!Array.isArray(rawFiles) || rawFiles.length > LIMITS.policyEntries) return null;
  if (!Array.isArray(rawKeys) || rawKeys.length > rawFiles.length) return null;

  const files: PolicyFile[] = [];
  const keyPaths = new Set<string>();
  let ruleBytes = 0;
  let last = '';
  for (const f of rawFiles) {
    if (!shaped(f, ['path', 'content'], ['kind', 'size'])) return null;
    const { path, content, kind, size } = f;
    if (typeof path !== 'string' || typeof content !== 'string' || !PATH.test(path)) return null;
    // In path order, each once: as sortPolicyFiles leaves them.
    if (files.length > 0 && !(last < path)) return null;
    last = path;
    const isOwner = path === OWNER_FILE;
    if (kind !== undefined) {
      // Not a regular file: listed by name and kind, never read; `other` only for an owner that is a directory.
      if (!KINDS.has(kind) || (kind === 'other' && !isOwner) || content !== '' || size !== undefined) return null;
      files.push({ path, content: '', kind: kind as PolicyFile['kind'] });
    } else if (isOwner || readsContent(path)) {
      // Read, within the bounds the reader reads within (a UTF-16 unit decodes at least one byte); or listed unread with its size.
      if (size !== undefined) {
        if (content !== '' || typeof size !== 'number' || !Number.isSafeInteger(size) || size < 0) return null;
        files.push({ path, content: '', size });
      } else {
        if (content.length > LIMITS.fileBytes) return null;
        if (!isOwner && (ruleBytes += content.length) > LIMITS.policyBytes) return null;
        files.push({ path, content });
      }
    } else {
      // Listed by name only (key files, anything else the linter warns about).
      if (content !== '' || size !== undefined) return null;
      if (isKeyPath(path)) keyPaths.add(path);
      files.push({ path, content: '' });
    }
  }

  // Every regular file under keys/ with its blob id, and nothing else, in the order the reader met them.
  const keyBlobs = new Map<string, string>();
  for (const k of rawKeys) {
    if (!Array.isArray(k) || k.length !== 2) return null;
    const [path, oid] = k as unknown[];
    if (typeof path !== 'string' || typeof oid !== 'string' || !keyPaths.has(path) || keyBlobs.has(path)) return null;
    if (!isOid(oid) || oid.length !== tip.length) return null;
    keyBlobs.set(path, oid);
  }
  if (keyBlobs.size !== keyPaths.size) return null;
  return { commit, files, keyBlobs };
}
