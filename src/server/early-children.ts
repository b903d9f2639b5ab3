/**
 * The git children every pre-receive starts, started by the hook's loader (src/hook/start.ts) before the hook's
 * code is read and compiled: `git config` (the hook's settings) and the `git cat-file --batch-command` the object
 * store reads through. Forked from a smaller process and running on the other core while Node loads the hook, they
 * are ready when the hook first asks: docs/performance.md, "How the hook starts".
 *
 * The commands are built by the functions the hook itself uses (readHookConfig's hookConfigCommand, the store's
 * storeEnv), and the hook only takes an early child that is exactly the one it would start (git/exec.ts
 * EarlyChild): otherwise it starts its own, and the early ones are killed at exit with the other children.
 */
import { hookConfigCommand, prestartCommand } from '../git/exec.js';
import { prestartBatch } from '../git/cat-file.js';
import { locationFromEnv, storeEnv } from '../git/location.js';

/** Starts them for a pre-receive of `GIT_DIR=gitDir` with `env` (as hook/main.ts will call runPreReceive). Never throws. */
export function startHookChildren(gitDir: string, env: NodeJS.ProcessEnv): void {
  try {
    prestartCommand('git', ...hookConfigCommand(gitDir, env));
    prestartBatch('git', storeEnv(locationFromEnv(gitDir, env), env), 'command');
  } catch {
    // Only ever a head start: the hook starts what it needs itself.
  }
}
