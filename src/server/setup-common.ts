/** What the server's admin commands (`git acl init`, `git acl set-owner`) start with: the repository and the owner's key. */
import { readFile } from 'node:fs/promises';
import { resolve } from 'node:path';
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
  const lines = stderr.split('\n').map((l) => l.trim()).filter(Boolean);
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
