/**
 * Where `lint` and `check` read a policy from: a directory (a checkout of the
 * policy branch), a ref or commit of the current repository, or by default the
 * repository's own policy branch (local, else origin's). The reading itself
 * is git/policy-files.ts (a commit) and git/policy-directory.ts (a directory);
 * this file chooses the source and says what it read, for people.
 */
import { readFile, stat } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import type { PolicyFile } from '../core/model.js';
import { POLICY_REF, keyFileTooLarge, readKeyBlob, readPolicyTree, trackingPolicyRef } from '../git/policy-files.js';
import { LIMITS } from '../core/limits.js';
import { PolicyReadError, readPolicyDirectory } from '../git/policy-directory.js';
import { openCliStore } from '../git/cli-store.js';
import { CliError } from './args.js';
import { errorMessage } from '../core/messages.js';
import { findGitDir, refExists, resolveCommit } from './repo.js';

export const ORIGIN_POLICY_REF = trackingPolicyRef('origin');

export type PolicySource = { type: 'directory'; path: string } | { type: 'ref'; ref: string; commit: string; gitDir: string };

export interface LoadedPolicy {
  source: PolicySource;
  files: PolicyFile[];
  /** One line saying what was read, for people. */
  description: string;
  /** Notes for stderr (e.g. "the worktree is on the policy branch; lint . for uncommitted edits"). */
  notes: string[];
  /** The content of a key file (`keys/...`) of this policy, or null when it has none there. */
  readKeyFile(path: string): Promise<string | null>;
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
  if (head === POLICY_REF)
    notes.push(`note: this work tree is on ${POLICY_REF}; committed files were read (for uncommitted edits: git acl lint .)`);
  loaded.notes.push(...notes);
  return loaded;
}

async function currentBranch(): Promise<string | null> {
  const { runGit, succeeded } = await import('../git/exec.js');
  const r = await runGit(['symbolic-ref', '--quiet', 'HEAD']);
  return succeeded(r) ? r.stdout.toString('utf8').trim() : null;
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
      readKeyFile: async (path) => {
        const keys = openCliStore(gitDir);
        try {
          return await readKeyBlob(keys, tree, path);
        } finally {
          await keys.close();
        }
      },
    };
  } catch (e) {
    throw new CliError(`cannot read the policy files of ${fullName ?? shown} (${commit.slice(0, 12)}): ${errorMessage(e)}`);
  } finally {
    await store.close();
  }
}

export async function loadDirectory(dir: string): Promise<LoadedPolicy> {
  let files: PolicyFile[];
  try {
    files = await readPolicyDirectory(dir);
  } catch (e) {
    throw e instanceof PolicyReadError ? new CliError(e.message) : e;
  }
  const notes: string[] = [];
  if (files.length === 0)
    notes.push(`note: ${dir} holds no refs/, branches/, groups/ or keys/ files: is it a checkout of the policy branch?`);
  const readKeyFile = async (path: string): Promise<string | null> => {
    if (!path.startsWith('keys/')) return null;
    const file = join(dir, ...path.split('/'));
    // Within the same bound as on a commit, before reading.
    const size = (await stat(file).catch(() => null))?.size;
    if (size === undefined) return null;
    if (size > LIMITS.keyFileBytes) throw keyFileTooLarge(path, size);
    return readFile(file, 'utf8').catch(() => null);
  };
  return { source: { type: 'directory', path: resolve(dir) }, files, description: `directory ${dir}`, notes, readKeyFile };
}
