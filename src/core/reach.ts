/**
 * Tree rules that reach the policy branch. Tree rules apply to every branch
 * their `branch` line matches, and a rule without one applies to all of them,
 * the policy branch included: a rule meant for `main` then lets its subject
 * rewrite the rules, groups or keys of the policy whenever someone other than
 * the owner may move that branch (self-registration lets anyone). The one shape
 * a non-owner needs there is their own key file, `keys/$user_id.asc`.
 *
 * The check is by probing: a rule is reported when its pattern matches a path
 * that matters on the policy branch (a rule, group or other user's key file,
 * the owner file, or a policy directory for delete-directory). Probes are a
 * fixed set plus paths made from the pattern's own literal text, so a pattern
 * written for one policy file is caught too.
 */
import { POLICY_DIRS, TREE_OPS, type Diagnostic, type Rule, type TreeOp } from './model.js';
import { compileSource, instantiate, shapeMatcher, type PatternInfo } from './pattern.js';
import { OWNER_FILE } from './owner.js';

/** The policy branch as branch patterns see it (without `refs/`). */
export const POLICY_BRANCH_NAME = 'heads/apps/access-control';

/** The pusher the probes are made for, and another user whose key file must stay out of reach. */
const PROBE_ID = 'C0FFEEC0FFEEC0FFEEC0FFEEC0FFEEC0FFEEC0FF';
const OTHER_ID = 'BADC0DEBADC0DEBADC0DEBADC0DEBADC0DEBADC0';

const FILE_PROBES = [
  OWNER_FILE,
  'refs/x.conf',
  'refs/x/y.conf',
  'branches/x.conf',
  'branches/x/y.conf',
  'groups/x.conf',
  `keys/${OTHER_ID}.asc`,
];
/** Every tree op but the directory ones: what a file probe can answer. */
const FILE_OPS: ReadonlySet<TreeOp> = new Set(TREE_OPS.filter((op) => !op.endsWith('-directory')));

/** A path whose change changes the policy: rule and group files, another user's key, the owner file. */
function mattersOnPolicyBranch(path: string): boolean {
  if (path === OWNER_FILE) return true;
  if (/^(refs|branches|groups)\/.+\.conf$/.test(path)) return true;
  return path.startsWith('keys/') && path !== `keys/${PROBE_ID}.asc`;
}

function fileProbes(info: PatternInfo): string[] {
  const own: string[] = [];
  if (info.literal !== undefined) own.push(info.literal.join(PROBE_ID));
  const prefix = info.prefixParts.join(PROBE_ID);
  if (prefix !== '') own.push(`${prefix}x.conf`, `${prefix}/x.conf`, `${prefix}x`, `${prefix}.conf`);
  return [...FILE_PROBES, ...own].filter(mattersOnPolicyBranch);
}

function reaches(info: PatternInfo, probes: readonly string[]): string | undefined {
  const shape = shapeMatcher(info, PROBE_ID);
  if (shape !== undefined) return probes.find(shape);
  let re;
  try {
    re = compileSource(instantiate(info, PROBE_ID));
  } catch {
    return undefined; // reported as a pattern error already
  }
  return probes.find((p) => re.testExact(p));
}

function scopeReachesPolicyBranch(rule: Rule, scopeInfo: (text: string) => PatternInfo | undefined): boolean {
  if (rule.scope === undefined) return true;
  const info = scopeInfo(rule.scope);
  return info !== undefined && reaches(info, [POLICY_BRANCH_NAME]) !== undefined;
}

/**
 * One warning per allow tree rule that lets anyone but the owner change what
 * matters on the policy branch. `ownerId` is the owner the policy records, if
 * any: a rule for that user alone is the owner's.
 */
export function policyBranchGrants(
  rules: readonly Rule[],
  patternInfo: (text: string) => PatternInfo | undefined,
  ownerId: string | null,
): Diagnostic[] {
  const out: Diagnostic[] = [];
  for (const rule of rules) {
    if (rule.kind !== 'tree' || rule.deny) continue;
    const s = rule.subject;
    if (s.kind === 'owner' || (s.kind === 'user' && s.id === ownerId)) continue;
    if (!scopeReachesPolicyBranch(rule, patternInfo)) continue;
    const info = patternInfo(rule.pattern);
    if (info === undefined) continue;
    const ops = rule.ops as TreeOp[];
    let hit: string | undefined;
    if (ops.some((op) => FILE_OPS.has(op))) hit = reaches(info, fileProbes(info));
    if (hit === undefined && ops.includes('delete-directory')) hit = reaches(info, POLICY_DIRS);
    if (hit === undefined) continue;
    const [where, fix] =
      rule.scope === undefined
        ? [
            'it has no branch line, so it applies to every branch',
            'put it under a branch line that leaves the policy branch out (branch ^heads/main$)',
          ]
        : [`its branch line ${rule.scope} matches ${POLICY_BRANCH_NAME}`, 'narrow that branch line so it leaves the policy branch out'];
    out.push({
      file: rule.source.file,
      line: rule.source.line,
      col: 1,
      severity: 'warning',
      code: 'policy-branch-grant',
      message:
        `"${rule.source.text}" lets someone other than the owner change the policy itself (e.g. ${hit} on ${POLICY_BRANCH_NAME}): ${where}; ` +
        `whoever may also move that branch could rewrite the policy. ${fix[0]!.toUpperCase()}${fix.slice(1)}, or grant no more than ^keys/$user_id\\.asc$ there`,
    });
  }
  return out;
}
