/**
 * `git acl set-owner <bare-repo> --owner-key <file>`: the server admin changes
 * the owner. The owner lives in two places that must agree: the server's
 * `acl.owner` (what the hook trusts) and the policy branch's `owner` file
 * (what every clone reads). This writes a policy commit that changes only the
 * `owner` file (adding the new owner's key file if it is missing), appends an
 * `owner` entry to the push log, moves both refs in one transaction, then sets
 * `acl.owner`. Until that last step the hook refuses every push (the two
 * disagree), so an interrupted run fails closed; running it again finishes it.
 */
import { failureLine, gitText, runGit, succeeded } from '../git/exec.js';
import { openCliStore } from '../git/cli-store.js';
import { POLICY_REF, policyOwner, readPolicyTree } from '../git/policy-files.js';
import { OWNER_FILE } from '../core/owner.js';
import { formatDiagnostic, parsePolicy } from '../core/index.js';
import { checkNewPolicy } from '../push/judge.js';
import { buildEntry, hashAlgorithmOf, LOG_FORMAT_VERSION, LOG_REF } from '../push/log-format.js';
import { readEntry } from '../push/log-entries.js';
import { holderOf } from './inflight.js';
import { commitFiles, openBareRepo, readOwnerKey } from './setup-common.js';
import { acquireLogLock } from './log-lock.js';
import { holderChecks } from './admit.js';
import { reachabilityOf, recoverRecord } from './log-writer.js';
import { objectDirectory, readRefs, readTagObject, writeLooseObjects } from './objects.js';

export class SetOwnerError extends Error {}

export interface SetOwnerResult {
  owner: string;
  previous: string;
  changes: string[];
}

export async function setOwner(opts: { repo: string; ownerKeyFile: string; now?: number }): Promise<SetOwnerResult> {
  const { gitDir, env } = await openBareRepo(opts.repo).catch((e: Error) => Promise.reject(new SetOwnerError(e.message)));
  const { armored, fingerprint: owner } = await readOwnerKey(opts.ownerKeyFile).catch((e: Error) =>
    Promise.reject(new SetOwnerError(e.message)),
  );
  const previous = (await runGit(['config', '--get', 'acl.owner'], { env })).stdout.toString().trim();
  if (!previous) throw new SetOwnerError(`acl.owner is not set on ${opts.repo}: run git acl init first`);

  const changes: string[] = [];
  const store = openCliStore(gitDir, { env });
  const lock = await acquireLogLock({
    gitDir,
    record: { holder: await holderOf(process.pid), kind: 'admin', command: `git acl set-owner ${owner}` },
    // A push it waits for may be logged, or fully applied with its client stalled: take the lock over then.
    ...holderChecks(gitDir, env),
    recover: async (r) => {
      if (r) await recoverRecord({ store, gitDir, env, record: r });
    },
  });
  try {
    const refs = await readRefs(gitDir, env, [POLICY_REF, LOG_REF]);
    const tip = refs.get(POLICY_REF);
    if (!tip) throw new SetOwnerError(`no policy branch ${POLICY_REF}: run git acl init first`);
    const before = await readPolicyTree(store, tip);
    const keyPath = `keys/${owner}.asc`;
    if (policyOwner(before) === owner && before.keyBlobs.has(keyPath)) {
      changes.push(`${POLICY_REF} already records the owner ${owner}`);
    } else {
      const commit = await policyCommit(gitDir, env, tip, owner, before.keyBlobs.has(keyPath) ? null : armored, previous);
      const next = await readPolicyTree(store, commit);
      const errors = parsePolicy(next.files).diagnostics.filter((d) => d.severity === 'error');
      if (errors.length) throw new SetOwnerError(`the policy with the new owner would not lint clean: ${formatDiagnostic(errors[0]!)}`);
      const lockout = checkNewPolicy(next, owner);
      if (lockout.length)
        throw new SetOwnerError(
          `${lockout[0]!.replace(/^the pushed policy/, 'the policy')}; change the policy's rules for the new owner first`,
        );
      const lines = [`update ${POLICY_REF} ${commit} ${tip}`];
      const logTip = refs.get(LOG_REF);
      if (logTip) {
        const algo = hashAlgorithmOf(tip);
        const reach = await reachabilityOf(store, [commit], (oid) => readTagObject(gitDir, env, oid), algo);
        const { commit: entry, objects } = await buildEntry({
          meta: {
            version: LOG_FORMAT_VERSION,
            kind: 'owner',
            previous: logTip,
            time: Math.max(opts.now ?? Date.now(), (await readEntry(store, logTip)).meta.time),
            policy: tip,
            owner,
            previousOwner: previous,
          },
          updates: new TextEncoder().encode(`${tip} ${commit} ${POLICY_REF}\n`),
          objects: reach.objects,
          extraParents: reach.parents,
          summary: `owner changed by the server admin: ${previous} -> ${owner}`,
          algo,
        });
        await writeLooseObjects(objectDirectory(gitDir, env), [...reach.blobs, ...objects]);
        lines.push(`update ${LOG_REF} ${entry} ${logTip}`);
      }
      // One transaction: the policy never moves without its log entry.
      const r = await runGit(['update-ref', '--stdin'], { env, input: `${lines.join('\n')}\n` });
      if (!succeeded(r)) throw new SetOwnerError(`cannot update ${POLICY_REF}: ${failureLine(r)}`);
      changes.push(
        `${POLICY_REF}: recorded the owner ${owner} in ${OWNER_FILE}${before.keyBlobs.has(keyPath) ? '' : ` and added ${keyPath}`} (${commit.slice(0, 12)})`,
      );
      if (logTip) changes.push(`${LOG_REF}: logged the owner change`);
    }
    if (previous !== owner) {
      await gitText(['config', 'acl.owner', owner], { env });
      changes.push(`set acl.owner = ${owner} (was ${previous})`);
    } else {
      changes.push(`acl.owner already ${owner}`);
    }
  } finally {
    await lock.release();
    await store.close();
  }
  return { owner, previous, changes };
}

/** A child of the policy tip whose tree differs only in `owner` (and the new owner's key file, when missing). */
async function policyCommit(
  gitDir: string,
  env: NodeJS.ProcessEnv,
  tip: string,
  owner: string,
  armored: string | null,
  previous: string,
): Promise<string> {
  const files: Array<[string, string]> = [[OWNER_FILE, `${owner}\n`]];
  if (armored !== null) files.push([`keys/${owner}.asc`, armored]);
  return commitFiles({ gitDir, env, parent: tip, files, message: `git-acl set-owner: ${previous} -> ${owner}`, purpose: 'set-owner' });
}
