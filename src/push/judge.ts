/**
 * Judges one push: the operations it makes, against the policy as it was
 * before the push, plus the rules that protect the policy branch itself
 * (docs/reference.md#the-policy-branch-protects-itself). Shared by the server hook and the client-side preview, so that
 * both say exactly the same thing about the same push.
 */
import {
  compilePolicy,
  evaluate,
  formatDiagnostic,
  formatOperation,
  parsePolicy,
  PolicyError,
  type Actor,
  type CompiledPolicy,
  type Decision,
  type Operation,
} from '../core/index.js';
import { analyseUpdates, operationsOf, type UpdateAnalysis } from '../git/operations.js';
import { ObjectChecks, ObjectRefused } from './object-checks.js';
import type { RefUpdate } from '../git/ref-updates.js';
import { POLICY_REF, readPolicyTree, type PolicyTree } from '../git/policy-files.js';
import type { ObjectStore, ObjectType, RefInfo } from '../git/store.js';
import { refNameProblems } from './ref-names.js';
import { isZeroOid } from '../git/objects.js';
import { checkRecordedOwner } from './owner-check.js';
import { logRefProblems } from './log-format.js';

export interface JudgeInput {
  store: ObjectStore;
  updates: RefUpdate[];
  /** The policy branch as it was before the push. */
  policy: PolicyTree;
  actor: Actor;
  /** The policy branch after the push, when the push updates it (read once by the caller for key registration). */
  newPolicy?: PolicyTree;
  /**
   * Every ref the repository holds before the push (the server's
   * `git for-each-ref`), to refuse pushed names that one file would hold
   * with a stored one (ref-names.ts). Without it only the policy branch is
   * known to exist.
   */
  refs?: ReadonlyMap<string, RefInfo>;
  /**
   * The objects the push brought, with their types (the server's quarantine:
   * CliStore.pushedObjects). Every one is checked as git's fsck would
   * (object-checks.ts); without it, only the trees the diff walks and the
   * updates' new values are.
   */
  pushedObjects?: ReadonlyMap<string, ObjectType> | null;
}

export interface Verdict {
  actor: Actor;
  decisions: Decision[];
  /** Reasons that reject the push whatever the rules say: broken new policy, owner lockout, policy branch deletion. */
  problems: string[];
  accepted: boolean;
}

/** Compiles the policy the server enforces; a broken one rejects every push (fail closed): PolicyError. */
export function compileServerPolicy(policy: PolicyTree): CompiledPolicy {
  const parsed = parsePolicy(policy.files);
  const errors = parsed.diagnostics.filter((d) => d.severity === 'error');
  if (errors.length) {
    throw new PolicyError(
      errors,
      `the policy on ${POLICY_REF} is broken (${errors.length} error${errors.length > 1 ? 's' : ''}, first: ${formatDiagnostic(errors[0]!)}); the owner must fix it`,
    );
  }
  return compilePolicy(parsed);
}

export async function judgePush(input: JudgeInput, compiled = compileServerPolicy(input.policy)): Promise<Verdict> {
  const { actor } = input;
  // One command per ref file, before any object is read: a second command for a ref would go unjudged.
  const refProblems = refNameProblems(input.updates, input.refs ?? new Map([[POLICY_REF, { oid: input.policy.commit }]]));
  if (refProblems.length) return { actor, decisions: [], problems: refProblems, accepted: false };

  // Objects first: a tree git would refuse is not one the rules can judge (object-checks.ts). The diff's walk
  // hands every new-side tree to the checks and stops at the first refused one.
  const checks = new ObjectChecks(input.store, input.pushedObjects ?? null);
  let analyses: UpdateAnalysis[];
  try {
    analyses = await analyseUpdates(input.store, input.updates, { onTree: checks.onTree });
  } catch (e) {
    if (!(e instanceof ObjectRefused)) throw e;
    return { actor, decisions: [], problems: await checks.finish(input.updates), accepted: false };
  }
  const objectProblems = await checks.finish(input.updates);
  if (objectProblems.length) return { actor, decisions: [], problems: objectProblems, accepted: false };

  const operations = operationsOf(analyses);
  const problems: string[] = [];
  for (const a of analyses) {
    // Without a commit there is no tree to judge; letting the ref op alone decide would skip the tree rules.
    if (a.treeDiff === 'not-a-commit') {
      problems.push(
        `${a.update.ref} would point at a ${a.newPeeled?.type ?? 'non-commit object'}; only tags may point at anything but a commit`,
      );
    }
  }
  const decisions = evaluate(compiled, actor, operations);
  problems.push(...logRefProblems(input.updates));

  // The policy branch's own checks cost a lint and compile of the pushed policy (and openpgp for key files):
  // only for a push the rules allow. Every command for the branch is checked (ref-names.ts allows one).
  if (problems.length === 0 && decisions.every((d) => d.allowed)) {
    for (const u of input.updates) {
      if (u.ref !== POLICY_REF) continue;
      if (isZeroOid(u.newOid)) {
        problems.push(`the policy branch ${POLICY_REF} cannot be deleted`);
        continue;
      }
      const next = input.newPolicy?.commit === u.newOid ? input.newPolicy : await readPolicyTree(input.store, u.newOid);
      problems.push(...checkNewPolicy(next, actor.ownerId));
      // An empty ownerId is an unknown owner (a clone judging a policy that records none): what only the owner's
      // identity decides is left to the server, never refused here.
      if (actor.ownerId !== '') problems.push(...checkRecordedOwner(input.policy, next, actor.ownerId));
      // Loaded only for policy pushes: it brings openpgp's key parsing with it.
      const { checkChangedKeyFiles } = await import('./key-files.js');
      problems.push(...(await checkChangedKeyFiles(input.store, input.policy, next, actor.ownerId)));
    }
  }
  const accepted = problems.length === 0 && decisions.every((d) => d.allowed);
  return { actor, decisions, problems, accepted };
}

/**
 * A pushed policy must lint clean and must leave the owner able to change it
 * again: otherwise one push could brick the repository's access control.
 */
export function checkNewPolicy(next: PolicyTree, ownerId: string): string[] {
  const parsed = parsePolicy(next.files);
  const errors = parsed.diagnostics.filter((d) => d.severity === 'error');
  if (errors.length) {
    return [
      `the pushed policy has ${errors.length} error${errors.length > 1 ? 's' : ''}; fix ${errors.length > 1 ? 'them' : 'it'} and push again`,
      ...errors.map((d) => formatDiagnostic(d)),
    ];
  }
  if (ownerId === '') return []; // the owner is unknown (see judgePush): no lockout can be shown
  const compiled = compilePolicy(parsed);
  const owner: Actor = { userId: ownerId, ownerId };
  const probes: Operation[] = [
    { type: 'ref', op: 'fast-forward', ref: POLICY_REF },
    { type: 'tree', op: 'create-file', branch: POLICY_REF, path: 'refs/owner.conf' },
    { type: 'tree', op: 'modify', branch: POLICY_REF, path: 'refs/owner.conf' },
    { type: 'tree', op: 'delete-file', branch: POLICY_REF, path: 'refs/owner.conf' },
  ];
  const locked = evaluate(compiled, owner, probes).filter((d) => !d.allowed);
  if (!locked.length) return [];
  return [
    `the pushed policy would lock the owner out of ${POLICY_REF}: the owner could no longer ${locked.map((d) => formatOperation(d.operation)).join(', ')}`,
  ];
}
