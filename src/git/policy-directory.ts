/**
 * Reads a policy from a directory (a checkout of the policy branch) the way
 * readPolicyTree (policy-files.ts) reads it from a commit: every file under
 * refs/, branches/, groups/ and keys/ is listed, and the root file `owner`; `.conf` files outside keys/
 * come with their content; a symlink or anything but a regular file is listed
 * with its kind, so the linter refuses it rather than following it. The
 * same byte bounds as on a commit (ContentBudget): a file past them is listed
 * with its size, unread.
 */
import { lstat, readdir, readFile, stat } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { POLICY_DIRS, type PolicyFile } from '../core/model.js';
import { errorMessage } from '../core/messages.js';
import { OWNER_FILE } from '../core/owner.js';
import { ContentBudget, readsContent, sortPolicyFiles } from './policy-files.js';

/** The directory cannot be read as a policy; the message names the path and says why, in one line. */
export class PolicyReadError extends Error {
  override name = 'PolicyReadError';
}

/** The policy files under `dir`, sorted by path. `dir` as given is what error messages name. */
export async function readPolicyDirectory(dir: string): Promise<PolicyFile[]> {
  const root = resolve(dir);
  const st = await lstat(root).catch(() => null);
  if (!st) throw new PolicyReadError(`${dir}: no such directory`);
  if (!st.isDirectory()) throw new PolicyReadError(`${dir}: not a directory (pass a checkout of the policy branch, or --ref <ref>)`);
  const files: PolicyFile[] = [];
  const contents: Array<{ path: string; abs: string }> = [];
  const why = (e: unknown) => (e as NodeJS.ErrnoException).code ?? errorMessage(e);
  async function walk(abs: string, rel: string): Promise<void> {
    let entries;
    try {
      entries = await readdir(abs, { withFileTypes: true });
    } catch (e) {
      throw new PolicyReadError(`${join(dir, rel)}: cannot read directory: ${why(e)}`);
    }
    for (const e of entries) {
      const relPath = `${rel}/${e.name}`;
      const absPath = join(abs, e.name);
      if (e.isDirectory()) await walk(absPath, relPath);
      else if (e.isFile() && readsContent(relPath)) contents.push({ path: relPath, abs: absPath });
      else if (e.isFile()) files.push({ path: relPath, content: '' });
      else files.push({ path: relPath, content: '', kind: e.isSymbolicLink() ? 'symlink' : 'other' });
    }
  }
  for (const top of POLICY_DIRS) {
    const s = await lstat(join(root, top)).catch(() => null);
    if (s?.isDirectory()) await walk(join(root, top), top);
  }
  // The recorded owner (docs/push-log.md), read like on a commit: a regular file with content, anything else by kind.
  const ownerStat = await lstat(join(root, OWNER_FILE)).catch(() => null);
  if (ownerStat?.isFile()) contents.push({ path: OWNER_FILE, abs: join(root, OWNER_FILE) });
  else if (ownerStat) files.push({ path: OWNER_FILE, content: '', kind: ownerStat.isSymbolicLink() ? 'symlink' : 'other' });
  const budget = new ContentBudget();
  for (const c of contents.sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0))) {
    try {
      const { size } = await stat(c.abs);
      files.push(
        budget.admit(c.path, size) ? { path: c.path, content: await readFile(c.abs, 'utf8') } : { path: c.path, content: '', size },
      );
    } catch (err) {
      throw new PolicyReadError(`${join(dir, c.path)}: cannot read: ${why(err)}`);
    }
  }
  return sortPolicyFiles(files);
}
