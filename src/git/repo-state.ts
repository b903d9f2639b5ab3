/**
 * Repository state that makes git read history differently from the commits
 * themselves: a grafts file and a shallow file replace commits' parents for
 * every git command that walks history (merge-base, rev-list), while the
 * commits a clone receives keep their real parents. In such a repository the
 * hook cannot tell a fast-forward from a rewrite the way every other reader
 * would, so it refuses to judge at all (docs/decisions.md, "Reading git").
 */
import { existsSync } from 'node:fs';
import { isAbsolute, join } from 'node:path';

/**
 * Why git would read this repository's ancestry differently from its commit
 * objects, or null. Looks where git 2.39 looks: `GIT_GRAFT_FILE` or
 * `<gitDir>/info/grafts`; `GIT_SHALLOW_FILE` (receive-pack sets it for the
 * hooks of a push from a shallow clone when receive.shallowUpdate is on) or
 * `<gitDir>/shallow`.
 */
export function historyRewrittenBy(gitDir: string, env: Record<string, string | undefined>): string | null {
  const at = (p: string): string => (isAbsolute(p) ? p : join(gitDir, p));
  const grafts = env.GIT_GRAFT_FILE ? at(env.GIT_GRAFT_FILE) : join(gitDir, 'info', 'grafts');
  if (existsSync(grafts)) return `the repository has a grafts file (${grafts})`;
  if (env.GIT_SHALLOW_FILE && existsSync(at(env.GIT_SHALLOW_FILE)))
    return 'the push comes from a shallow clone and updates the shallow roots (receive.shallowUpdate)';
  const shallow = join(gitDir, 'shallow');
  if (existsSync(shallow)) return `the repository is shallow (${shallow})`;
  return null;
}
