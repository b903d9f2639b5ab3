/** What the server's admin commands (`git acl init`, `git acl set-owner`) start with: the repository and the owner's key. */
import { readFile, rm } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { envWithoutGit as cleanEnv, gitText, runGit, succeeded } from '../git/exec.js';
import { errorMessage } from '../core/messages.js';
import { readKeyFile } from '../identity/keys.js';

/** The absolute git directory of the bare repository `repo`, and an environment for git on it. Throws one line. */
export async function openBareRepo(repo: string): Promise<{ gitDir: string; env: NodeJS.ProcessEnv }> {
  const dir = resolve(repo);
  const bare = await runGit(['rev-parse', '--is-bare-repository'], { cwd: dir, env: cleanEnv() }).catch(() => null);
  const refused = bare && !succeeded(bare) ? gitRefusal(bare.stderr) : null;
  if (refused) throw new Error(`${repo}: ${refused}`);
  if (!bare || !succeeded(bare) || bare.stdout.toString().trim() !== 'true') {
    throw new Error(`${repo}: not a bare git repository (create one with: git init --bare ${repo})`);
  }
  const gitDir = (await gitText(['rev-parse', '--absolute-git-dir'], { cwd: dir, env: cleanEnv() })).trim();
  return { gitDir, env: { ...cleanEnv(), GIT_DIR: gitDir } };
}

/**
 * git's own reason for refusing a repository that exists, when it is not "no repository here": mostly
 * safe.directory (the repository belongs to another user), which "not a bare repository" would hide.
 */
function gitRefusal(stderr: string): string | null {
  const lines = stderr
    .split('\n')
    .map((l) => l.trim())
    .filter(Boolean);
  const fatal = lines.find((l) => l.startsWith('fatal: '))?.slice('fatal: '.length);
  if (!fatal || /not a git repository/i.test(fatal)) return null;
  if (/dubious ownership/.test(fatal)) {
    const fix = lines.find((l) => l.startsWith('git config --global --add safe.directory'));
    return `git refuses to use it: ${fatal} (it belongs to another user: run git acl init as that user${fix ? `, or trust it with: ${fix}` : ''})`;
  }
  return `git refuses to use it: ${fatal}`;
}

/** The owner's armored key and its fingerprint (the user ID). Throws one line naming the file. */
export async function readOwnerKey(file: string): Promise<{ armored: string; fingerprint: string }> {
  let armored: string;
  try {
    armored = await readFile(file, 'utf8');
  } catch (e) {
    throw new Error(`${file}: cannot read the owner's key: ${(e as NodeJS.ErrnoException).code ?? e}`);
  }
  try {
    return { armored, fingerprint: (await readKeyFile(armored)).fingerprint };
  } catch (e) {
    throw new Error(`${file}: ${errorMessage(e)}`);
  }
}

/** The author and committer of the policy commits git-acl's admin commands write. */
const GIT_ACL_IDENT = {
  GIT_AUTHOR_NAME: 'git-acl',
  GIT_AUTHOR_EMAIL: 'git-acl@localhost',
  GIT_COMMITTER_NAME: 'git-acl',
  GIT_COMMITTER_EMAIL: 'git-acl@localhost',
};

/**
 * Writes a commit whose tree is `parent`'s (none: a root commit of just `files`) with `files` (path → content,
 * mode 100644) added or replaced, through an index file of its own (`acl-<purpose>-index-<pid>`), so no work
 * tree or index of the repository is touched. Moves no ref.
 */
export async function commitFiles(opts: {
  gitDir: string;
  env: NodeJS.ProcessEnv;
  parent?: string;
  files: Iterable<readonly [string, string | Buffer]>;
  message: string;
  purpose: string;
}): Promise<string> {
  const { env, parent } = opts;
  const index = join(opts.gitDir, `acl-${opts.purpose}-index-${process.pid}`);
  const ienv = { ...env, GIT_INDEX_FILE: index };
  try {
    if (parent !== undefined) await gitText(['read-tree', parent], { env: ienv });
    for (const [path, content] of opts.files) {
      const oid = (await gitText(['hash-object', '-w', '--stdin'], { env, input: content })).trim();
      await gitText(['update-index', '--add', '--cacheinfo', `100644,${oid},${path}`], { env: ienv });
    }
    const tree = (await gitText(['write-tree'], { env: ienv })).trim();
    const args = ['commit-tree', tree, ...(parent !== undefined ? ['-p', parent] : []), '-m', opts.message];
    return (await gitText(args, { env: { ...env, ...GIT_ACL_IDENT } })).trim();
  } finally {
    await rm(index, { force: true });
  }
}
