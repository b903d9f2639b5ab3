/**
 * `git acl install-client-hook`: installs `git acl preview --pre-push` as the
 * clone's pre-push hook. The hook runs the git-acl that installed it, with the
 * same Node, whatever PATH holds. `git push --no-verify` skips it (git's own
 * rule for pre-push hooks).
 */
import { resolve } from 'node:path';
import { runGit, succeeded } from '../git/exec.js';
import { installHook } from '../server/hook-template.js';
import { CliError, ExitCode, UsageError, type ParsedArgs } from './args.js';
import { makeOut } from './output.js';
import { requireGitDir } from './repo.js';

export async function run(args: ParsedArgs): Promise<number> {
  if (args.positionals.length) throw new UsageError(`too many arguments: ${args.positionals.join(' ')}`, 'install-client-hook');
  const gitDir = await requireGitDir('install-client-hook');
  // In the working directory as it is (no GIT_DIR override): git answers relative to it, honouring core.hooksPath.
  const r = await runGit(['rev-parse', '--git-path', 'hooks/pre-push']);
  if (!succeeded(r)) throw new CliError(`cannot find the hooks directory of ${gitDir}: ${r.stderr}`);
  // --git-path answers relative to the working directory.
  const hookPath = resolve(r.stdout.toString('utf8').trim());
  const hook = await installHook('pre-push', hookPath);
  if (hook === 'foreign') {
    throw new CliError(
      `${hookPath}: a pre-push hook that git-acl did not install is in the way; move it aside and run again (or call "git acl preview --pre-push \\"$@\\"" from it)`,
    );
  }
  const out = makeOut(false);
  out.line(hook === 'unchanged' ? `${hookPath} already installed` : `${hook} ${hookPath}`);
  out.line("pushes from this clone are now previewed against the remote's policy; skip once with git push --no-verify");
  return ExitCode.ok;
}
