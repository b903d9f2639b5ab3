/**
 * The push log's part of `git acl init`: the post-receive hook that appends
 * entries, and the first entry (every ref's value: the trusted starting
 * state). Running init on a repository without a log turns logging on.
 */
import { join } from 'node:path';
import { openCliStore } from '../git/cli-store.js';
import { POLICY_REF, readPolicyOwner } from '../git/policy-files.js';
import { installHook } from './hook-template.js';
import { LOG_REF } from '../push/log-format.js';
import { holderOf } from './inflight.js';
import { acquireLogLock } from './log-lock.js';
import { holderChecks } from './admit.js';
import { recoverRecord, startLog } from './log-writer.js';
import { readRefs } from './objects.js';

export class LogSetupError extends Error {}

export async function setUpPushLog(opts: { gitDir: string; env: NodeJS.ProcessEnv; owner: string }): Promise<string[]> {
  const changes: string[] = [];
  const hookPath = join(opts.gitDir, 'hooks', 'post-receive');
  const hook = await installHook('post-receive', hookPath);
  if (hook === 'foreign') {
    throw new LogSetupError(
      `${hookPath}: a post-receive hook that git-acl did not install is in the way (git-acl's appends each push to the push log); rename it to post-receive.local (git-acl's hook runs it, with the same input) and run init again`,
    );
  }
  changes.push(hook === 'unchanged' ? `hook ${hookPath} already installed` : `${hook} ${hookPath}`);

  const store = openCliStore(opts.gitDir, { env: opts.env });
  try {
    if ((await readRefs(opts.gitDir, opts.env, [LOG_REF])).has(LOG_REF)) {
      changes.push(`push log ${LOG_REF} exists; left unchanged`);
    } else {
      const lock = await acquireLogLock({
        gitDir: opts.gitDir,
        record: { holder: await holderOf(process.pid), kind: 'admin', command: 'git acl init: start the push log' },
        // A push it waits for may be logged, or fully applied with its client stalled: take the lock over then.
        ...holderChecks(opts.gitDir, opts.env),
        recover: async (r) => {
          if (r) await recoverRecord({ store, gitDir: opts.gitDir, env: opts.env, record: r });
        },
      });
      try {
        const started = await startLog({ store, gitDir: opts.gitDir, env: opts.env, owner: opts.owner });
        changes.push(
          started
            ? `started the push log ${LOG_REF} (${started.refs} ref${started.refs === 1 ? '' : 's'} recorded as the starting state)`
            : `push log ${LOG_REF} exists; left unchanged`,
        );
      } finally {
        await lock.release();
      }
    }
    const policy = (await readRefs(opts.gitDir, opts.env, [POLICY_REF])).get(POLICY_REF);
    if (policy && (await readPolicyOwner(store, policy)) === null) {
      changes.push(
        `note: the policy branch records no owner (a file \`owner\`); clients need it to judge owner rules: run git acl set-owner ${opts.gitDir} --owner-key <file>, or push it as the owner`,
      );
    }
  } finally {
    await store.close();
  }
  return changes;
}
