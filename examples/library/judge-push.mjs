#!/usr/bin/env node
// Would the server accept this push? Judges a ref update in a local clone
// against the clone's copy of the policy branch, with the same code the
// pre-receive hook runs, and prints what the hook would print.
//
//   node examples/library/judge-push.mjs <git-dir> <user-id> <old-oid> <new-oid> <ref>
//
// <git-dir> is a bare repository or a clone's .git directory. The owner is the
// one the policy records (its file `owner`).
import { compileServerPolicy, formatVerdict, judgePush, openCliStore, policyOwner, readPolicyTree } from 'git-acl';

const [gitDir, userId, oldOid, newOid, ref] = process.argv.slice(2);
if (!ref) {
  console.error('usage: judge-push.mjs <git-dir> <user-id> <old-oid> <new-oid> <ref>');
  process.exit(2);
}

const store = openCliStore(gitDir);
try {
  const tip = (await store.resolveRef('refs/heads/apps/access-control')) ?? (await store.resolveRef('refs/remotes/origin/apps/access-control'));
  if (!tip) throw new Error(`${gitDir} has no apps/access-control branch`);
  const policy = await readPolicyTree(store, tip);
  const ownerId = policyOwner(policy) ?? ''; // '' for a policy from before owners were recorded: `owner` rules match nobody
  const verdict = await judgePush({ store, policy, actor: { userId, ownerId }, updates: [{ oldOid, newOid, ref }] }, compileServerPolicy(policy));
  console.log(verdict.accepted ? `accepted: ${verdict.decisions.length} operations allowed` : formatVerdict(verdict).join('\n'));
  process.exitCode = verdict.accepted ? 0 : 1;
} finally {
  await store.close();
}
