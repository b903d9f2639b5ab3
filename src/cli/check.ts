/**
 * `git acl check --user <USER_ID|me> <op> <ref-or-path> [--branch <ref>] [--policy <dir> | --ref <ref>] [--owner <USER_ID>] [--trace] [--json]`
 *
 * Evaluates one operation (or each operation of an alias) with the core, and
 * prints the core's Decision: allowed or denied, the deciding rule, and the
 * decision's own reason line (never a second explanation of it). `--trace`
 * prints the decision's trace, which evaluate itself records.
 */
import {
  REF_OPS,
  TREE_OPS,
  compilePolicy,
  evaluate,
  formatDiagnostic,
  formatTraceStep,
  lintPolicy,
  parsePolicy,
  recordedOwner,
  suggestOp,
  type Decision,
  type Operation,
} from '../core/index.js';
import { expandRefOp, expandTreeOp } from '../core/ops.js';
import { CliError, ExitCode, UsageError, flag, str, type ParsedArgs } from './args.js';
import { makeOut, printJson, type Out } from './output.js';
import { loadPolicy } from './policy-source.js';
import { findGitDir, gitConfig, resolveUser } from './repo.js';
import { normaliseUserId } from '../core/ids.js';

/** Ref namespaces a short name may start with; any other name is a branch, as git reads `main` as heads/main. */
const NAMESPACES = new Set(['heads', 'tags', 'remotes', 'notes', 'replace']);

/**
 * Full ref name, as git resolves a short one: `refs/heads/main`, `heads/main`
 * and `main` all give `refs/heads/main` (a tag, `refs/tags/v1`, for
 * create-tag); a name in another namespace keeps it (`tags/v1`).
 */
export function toFullRefName(name: string, op?: string): string {
  const n = name.replace(/^\/+/, '');
  if (n.startsWith('refs/')) return n;
  const first = n.slice(0, n.indexOf('/') + 1 || undefined).replace(/\/$/, '');
  if (n.includes('/') && NAMESPACES.has(first)) return `refs/${n}`;
  return `refs/${op === 'create-tag' ? 'tags' : 'heads'}/${n}`;
}

/** A path as the policy sees it: relative, `/`-separated, no leading `./` or slashes. */
export function toPolicyPath(p: string): string {
  return p
    .replace(/\\/g, '/')
    .replace(/^(?:\.\/)+/, '')
    .replace(/^\/+|\/+$/g, '');
}

export async function run(args: ParsedArgs): Promise<number> {
  const json = flag(args, 'json');
  const trace = flag(args, 'trace');
  const userArg = str(args, 'user');
  const branchArg = str(args, 'branch');
  const dir = str(args, 'policy');
  const ref = str(args, 'ref');
  const ownerArg = str(args, 'owner');
  if (dir !== undefined && ref !== undefined) throw new UsageError(`give --policy or --ref, not both`, 'check');
  if (args.positionals.length < 2) {
    throw new UsageError(
      args.positionals.length === 0 ? 'missing <op> and <ref-or-path>' : `missing the ref or path for ${args.positionals[0]}`,
      'check',
    );
  }
  if (args.positionals.length > 2) throw new UsageError(`too many arguments: ${args.positionals.slice(2).join(' ')}`, 'check');
  if (userArg === undefined) throw new UsageError('missing --user <USER_ID|me> (whose push to check)', 'check');
  const [opName, target] = args.positionals as [string, string];

  const operations = buildOperations(opName, target, branchArg);

  const notes: string[] = [];
  for (const name of new Set(operations.map((o) => (o.type === 'ref' ? o.ref : o.branch)))) {
    if (/^refs\/[^/]+$/.test(name))
      notes.push(`note: ${name} is not a branch or a tag; did you mean ${name.replace(/^refs\//, 'heads/')}?`);
  }
  const policy = await loadPolicy({ dir, ref });
  notes.push(...policy.notes);
  const { userId } = await resolveUser(userArg, '--user', { byName: true });
  // The owner: --owner, else the one the policy records (its file `owner`), else this repository's acl.owner.
  let ownerId: string | null = null;
  if (ownerArg !== undefined) {
    ownerId = normaliseUserId(ownerArg);
    if (!ownerId) throw new CliError(`--owner ${ownerArg}: not a user ID (the key's full fingerprint, 40 hex digits)`);
  } else if ((ownerId = recordedOwner(policy.files)) === null) {
    const gitDir = policy.source.type === 'ref' ? policy.source.gitDir : await findGitDir();
    const configured = gitDir ? await gitConfig('acl.owner', gitDir) : null;
    if (configured) {
      ownerId = normaliseUserId(configured);
      if (!ownerId) throw new CliError(`git config acl.owner is ${configured}: not a user ID (40 hex digits)`);
    }
  }

  const errors = lintPolicy(policy.files).filter((d) => d.severity === 'error');
  if (errors.length) {
    throw new CliError(
      `the policy (${policy.description}) has ${errors.length} error${errors.length === 1 ? '' : 's'}, first: ${formatDiagnostic(errors[0]!)}; the server rejects every push while its policy is broken (see git acl lint)`,
    );
  }
  const parsed = parsePolicy(policy.files);
  const compiled = compilePolicy(parsed);
  let decisions = evaluate(compiled, { userId, ownerId: ownerId ?? '' }, operations, { trace });
  if (!ownerId && parsed.rules.some((r) => r.subject.kind === 'owner')) {
    // Unknown owner (a policy from before owners were recorded): never report a denial the server would not make.
    const asOwner = decisions.every((d) => d.allowed) ? null : evaluate(compiled, { userId, ownerId: userId }, operations, { trace });
    if (asOwner?.every((d) => d.allowed)) {
      decisions = asOwner;
      notes.push(
        `warning: the owner is unknown (the policy records none; no --owner or git config acl.owner): allowed only if ${userId} is the owner`,
      );
    } else {
      notes.push(
        'warning: the owner is unknown (the policy records none; no --owner or git config acl.owner): judged as a user who is not the owner',
      );
    }
  }
  const allowed = decisions.every((d) => d.allowed);

  if (json) {
    printJson({ source: policy.source, user: userId, owner: ownerId, allowed, decisions });
    return allowed ? ExitCode.ok : ExitCode.fail;
  }
  const out = makeOut(false);
  for (const n of notes) out.err(n);
  out.line(`policy: ${policy.description}`);
  out.line(`user:   ${userId}${ownerId === userId ? ' (the owner)' : ''}`);
  for (const d of decisions) printDecision(out, d);
  return allowed ? ExitCode.ok : ExitCode.fail;
}

/**
 * One decision: the core's reason line (it starts with `allowed:` or `denied:`
 * and is the one explanation), the deciding rule, and for a denial the
 * nearest rules as data.
 */
function printDecision(out: Out, d: Decision): void {
  const verdict = /^(allowed|denied)(?=:)/.exec(d.reason)?.[1];
  out.line(verdict ? [verdict === 'allowed' ? out.green(verdict) : out.red(verdict), d.reason.slice(verdict.length)] : d.reason);
  if (d.rule) out.line(`  rule: ${ruleText(d.rule)}`);
  if (!d.allowed) for (const c of d.candidates) out.line(`  nearest: ${ruleText(c)}`);
  if (d.trace === undefined) return;
  const kind = d.operation.type;
  const n = d.trace.length;
  out.line(n === 0 ? `  trace: no ${kind} rules` : `  trace: ${n} ${kind} rule${n === 1 ? '' : 's'}, in canonical order:`);
  for (const step of d.trace) out.line(`    ${formatTraceStep(step)}`);
}

function ruleText(r: { file: string; line: number; text: string }): string {
  return `${r.file}:${r.line}: ${r.text}`;
}

function buildOperations(opName: string, target: string, branchArg: string | undefined): Operation[] {
  const refOps = expandRefOp(opName);
  const treeOps = expandTreeOp(opName);
  if (!refOps && !treeOps) {
    const hint = suggestOp(opName);
    throw new UsageError(
      `unknown operation '${opName}'${hint ? `; did you mean '${hint}'?` : ''} (ref operations: ${[...REF_OPS, 'create'].join(', ')}; tree operations, with --branch: ${[...TREE_OPS, 'delete'].join(', ')})`,
      'check',
    );
  }
  if (target === '') throw new UsageError(`empty ${branchArg !== undefined ? 'path' : 'ref name'}`, 'check');
  // `delete` is both a ref op and a tree alias: --branch decides.
  if (treeOps && (branchArg !== undefined || !refOps)) {
    if (branchArg === undefined)
      throw new UsageError(`${opName} is a tree operation: it needs --branch <ref> (the branch whose content changes)`, 'check');
    if (branchArg === '') throw new UsageError('empty --branch', 'check');
    const branch = toFullRefName(branchArg, 'create-branch');
    const path = toPolicyPath(target);
    if (path === '') throw new UsageError(`${target}: not a path inside the branch`, 'check');
    return treeOps.map((op) => ({ type: 'tree', op, branch, path }));
  }
  if (branchArg !== undefined) throw new UsageError(`--branch is for tree operations; ${opName} is a ref operation`, 'check');
  return refOps!.map((op) => ({ type: 'ref', op, ref: toFullRefName(target, op) }));
}
