/**
 * A pushed policy must record the server's owner (docs/reference.md#identity): every clone reads
 * the owner from the policy's `owner` file, so a policy that names someone
 * else would make clients judge `owner` rules differently from the server.
 * Only the server admin changes the owner (`git acl set-owner`), never a push.
 */
import { OWNER_FILE, parseOwnerFile } from '../core/owner.js';
import { POLICY_REF, type PolicyTree } from '../git/policy-files.js';

export function checkRecordedOwner(before: PolicyTree, after: PolicyTree, ownerId: string): string[] {
  const file = after.files.find((f) => f.path === OWNER_FILE);
  if (!file) {
    // A policy from before owners were recorded stays valid until the owner adds the file.
    if (!before.files.some((f) => f.path === OWNER_FILE)) return [];
    return [`the pushed policy removes the file ${OWNER_FILE}, which records the owner ${ownerId}; keep it`];
  }
  if (file.kind !== undefined && file.kind !== 'file') return []; // the linter refuses it (not-a-file)
  const parsed = parseOwnerFile(file.content);
  if (!parsed.ok) return []; // the linter refuses it (bad-owner)
  if (parsed.ownerId === ownerId) return [];
  return [
    `the pushed policy records the owner ${parsed.ownerId} in ${OWNER_FILE}, but this server's owner is ${ownerId}; only the server admin changes the owner (git acl set-owner)`,
  ];
}

/** The server's own policy must agree with `acl.owner`, or every push is refused (fail closed) until the admin fixes it. */
export function serverOwnerProblem(policy: PolicyTree, ownerId: string): string | null {
  const file = policy.files.find((f) => f.path === OWNER_FILE);
  if (!file) return null;
  const parsed = parseOwnerFile(file.content);
  if (parsed.ok && parsed.ownerId === ownerId) return null;
  const recorded = parsed.ok ? parsed.ownerId : 'no valid user ID';
  return `the policy on ${POLICY_REF} records the owner ${recorded} in ${OWNER_FILE}, but acl.owner is ${ownerId}; the server admin must make them agree (git acl set-owner)`;
}
