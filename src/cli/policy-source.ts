/**
 * Where `lint` and `check` read a policy from: a directory (a checkout of the
 * policy branch), a ref or commit of the current repository, or by default the
 * repository's own policy branch (local, else origin's).
 *
 * A directory is read the way readPolicyTree reads a commit: every file under
 * refs/, branches/, groups/ and keys/ is listed; `.conf` files outside keys/
 * come with their content, everything else by name only (the linter warns
 * about what does not belong there).
 */
import { lstat, readdir, readFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import type { PolicyFile } from '../core/model.js';
import { OWNER_FILE } from '../core/owner.js';
import { POLICY_REF, readPolicyTree } from '../git/policy-files.js';
import { openCliStore } from '../git/cli-store.js';
import { CliError } from './args.js';
import { findGitDir, refExists, resolveCommit } from './repo.js';

export const ORIGIN_POLICY_REF = 'refs/remotes/origin/apps/access-control';
const POLICY_DIRS = ['refs', 'branches', 'groups', 'keys'];

export type PolicySource =
  | { type: 'directory'; path: string }
  | { type: 'ref'; ref: string; commit: string; gitDir: string };

export interface LoadedPolicy {
  source: PolicySource;
  files: PolicyFile[];
  /** One line saying what was read, for people. */
  description: string;
  /** Notes for stderr (e.g. "the worktree is on the policy branch; lint . for uncommitted edits"). */
  notes: string[];
}

export async function loadPolicy(opts: { dir?: string; ref?: string }): Promise<LoadedPolicy> {
  if (opts.dir !== undefined) return loadDirectory(opts.dir);
  const gitDir = await findGitDir();
  if (opts.ref !== undefined) {
    if (!gitDir) throw new CliError(`--ref ${opts.ref}: not inside a git repository (${process.cwd()})`);
    return loadRef(gitDir, opts.ref, opts.ref);
  }
  if (!gitDir) {
    throw new CliError(
      `not inside a git repository (${process.cwd()}): pass a checkout of the policy branch (a directory) or run this in a clone`,
    );
  }
  const notes: string[] = [];
  let ref: string;
  if (await refExists(gitDir, POLICY_REF)) ref = POLICY_REF;
  else if (await refExists(gitDir, ORIGIN_POLICY_REF)) ref = ORIGIN_POLICY_REF;
  else {
    throw new CliError(
      `no policy branch in ${gitDir}: neither ${POLICY_REF} nor ${ORIGIN_POLICY_REF} exists (fetch it with: git fetch origin apps/access-control:refs/remotes/origin/apps/access-control)`,
    );
  }
  const loaded = await loadRef(gitDir, ref, ref);
  const head = await currentBranch();
  if (head === POLICY_REF) notes.push(`note: this work tree is on ${POLICY_REF}; committed files were read (for uncommitted edits: git acl lint .)`);
  loaded.notes.push(...notes);
  return loaded;
}

async function currentBranch(): Promise<string | null> {
  const { runGit } = await import('../git/exec.js');
  const r = await runGit(['symbolic-ref', '--quiet', 'HEAD']);
  return r.code === 0 ? r.stdout.toString('utf8').trim() : null;
}

export async function loadRef(gitDir: string, rev: string, shown: string): Promise<LoadedPolicy> {
  const { commit, fullName } = await resolveCommit(gitDir, rev);
  const store = openCliStore(gitDir);
  try {
    const tree = await readPolicyTree(store, commit);
    const ref = fullName ?? shown;
    const notes: string[] = [];
    if (tree.files.length === 0) notes.push(`note: ${ref} holds no refs/, branches/, groups/ or keys/ files: is it a policy branch?`);
    return {
      source: { type: 'ref', ref, commit, gitDir },
      files: tree.files,
      description: `${ref} at ${commit.slice(0, 12)} in ${gitDir}`,
      notes,
    };
  } catch (e) {
    throw new CliError(`cannot read the policy files of ${fullName ?? shown} (${commit.slice(0, 12)}): ${(e as Error).message}`);
  } finally {
    await store.close();
  }
}

export async function loadDirectory(dir: string): Promise<LoadedPolicy> {
  const root = resolve(dir);
  const st = await lstat(root).catch(() => null);
  if (!st) throw new CliError(`${dir}: no such directory`);
  if (!st.isDirectory()) throw new CliError(`${dir}: not a directory (pass a checkout of the policy branch, or --ref <ref>)`);
  const files: PolicyFile[] = [];
  async function walk(abs: string, rel: string): Promise<void> {
    let entries;
    try {
      entries = await readdir(abs, { withFileTypes: true });
    } catch (e) {
      throw new CliError(`${join(dir, rel)}: cannot read directory: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`);
    }
    for (const e of entries) {
      const relPath = `${rel}/${e.name}`;
      const absPath = join(abs, e.name);
      if (e.isDirectory()) await walk(absPath, relPath);
      else if (e.isFile() && relPath.endsWith('.conf') && !relPath.startsWith('keys/')) {
        try {
          files.push({ path: relPath, content: await readFile(absPath, 'utf8') });
        } catch (err) {
          throw new CliError(`${join(dir, relPath)}: cannot read: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`);
        }
      } else if (e.isFile()) files.push({ path: relPath, content: '' });
      else files.push({ path: relPath, content: '', kind: e.isSymbolicLink() ? 'symlink' : 'other' });
    }
  }
  for (const top of POLICY_DIRS) {
    const s = await lstat(join(root, top)).catch(() => null);
    if (s?.isDirectory()) await walk(join(root, top), top);
  }
  const ownerStat = await lstat(join(root, OWNER_FILE)).catch(() => null);
  if (ownerStat?.isFile()) files.push({ path: OWNER_FILE, content: await readFile(join(root, OWNER_FILE), 'utf8') });
  else if (ownerStat) files.push({ path: OWNER_FILE, content: '', kind: ownerStat.isSymbolicLink() ? 'symlink' : 'other' });
  files.sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0));
  const notes: string[] = [];
  if (files.length === 0) notes.push(`note: ${dir} holds no refs/, branches/, groups/ or keys/ files: is it a checkout of the policy branch?`);
  return { source: { type: 'directory', path: root }, files, description: `directory ${dir}`, notes };
}
