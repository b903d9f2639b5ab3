/**
 * The data model shared by every stage of the core (parse → lint → compile →
 * evaluate) and by the adapters and front ends that feed it.
 *
 * Everything here is plain data: no classes, no I/O, so a policy, an operation
 * or a decision can be logged, serialised to JSON or sent to a browser as is.
 */

/** Operations on a ref, from one `old new ref` line of the hook's stdin (docs/reference.md#operations). */
export type RefOp = 'create-branch' | 'create-tag' | 'fast-forward' | 'force' | 'delete';

/** Operations on a tree entry inside a branch (docs/reference.md#operations). */
export type TreeOp =
  | 'create-directory'
  | 'create-file'
  | 'create-symlink'
  | 'create-submodule'
  | 'modify'
  | 'delete-file'
  | 'delete-symlink'
  | 'delete-submodule'
  | 'delete-directory';

export const REF_OPS: readonly RefOp[] = ['create-branch', 'create-tag', 'fast-forward', 'force', 'delete'];
export const TREE_OPS: readonly TreeOp[] = [
  'create-directory',
  'create-file',
  'create-symlink',
  'create-submodule',
  'modify',
  'delete-file',
  'delete-symlink',
  'delete-submodule',
  'delete-directory',
];

/** The folders of the policy branch: rules for refs, rules for trees, groups, public keys. Anything else is not policy. */
export const POLICY_DIRS = ['refs', 'branches', 'groups', 'keys'] as const;

/** Which kind of policy file a rule comes from: `refs/**.conf` or `branches/**.conf`. */
export type RuleKind = 'ref' | 'tree';

/** A file of the policy branch, as read from git or from a directory. Paths are relative to the branch root, `/`-separated. */
export interface PolicyFile {
  path: string;
  content: string;
  /**
   * What git (or the file system) holds at the path; absent means a regular
   * file. A symlink's content is its target, never the file it points to, so
   * the linter refuses a policy file that is not a regular file rather than
   * silently reading it as empty (which would drop its deny rules or empty
   * its group).
   */
  kind?: 'file' | 'symlink' | 'submodule' | 'other';
  /**
   * Set only when the reader did not read the content (`content` is empty)
   * because the file is past a bound of LIMITS (`fileBytes`, `policyBytes`):
   * its size in bytes, as stored. The parser reports it like a file it read
   * and found too large; a reader never hands over a file it did not read as
   * if it were empty.
   */
  size?: number;
}

export type Severity = 'error' | 'warning';

/** Every finding the parser and linter can report, by its stable name (docs/policy-language.md explains each). */
export type DiagnosticCode =
  // files
  | 'ignored-file'
  | 'bad-key-file'
  | 'unusable-key-file'
  | 'not-a-file'
  | 'bad-owner'
  | 'owner-key-missing'
  // rule syntax
  | 'missing-field'
  | 'extra-field'
  | 'branch-in-refs'
  | 'empty-op'
  | 'unknown-op'
  | 'wrong-op-kind'
  // subjects and groups
  | 'reserved-subject'
  | 'invalid-subject'
  | 'undefined-group'
  | 'malformed-user-id'
  | 'invalid-group-name'
  | 'reserved-group-name'
  | 'invalid-member'
  | 'empty-group'
  | 'group-cycle'
  // patterns
  | 'invalid-regex'
  | 'invalid-glob'
  | 'unsupported-regex'
  | 'user-id-in-class'
  | 'pattern-too-large'
  | 'pattern-too-long'
  | 'unterminated-quote'
  | 'glob-double-star'
  // bounds on policy input (limits.ts)
  | 'file-too-large'
  | 'policy-too-large'
  | 'too-many-rules'
  | 'too-many-groups'
  | 'too-many-members'
  | 'policy-too-costly'
  // warnings across rules
  | 'never-matches'
  | 'unknown-namespace'
  | 'duplicate-rule'
  | 'policy-branch-grant';

/** One finding of the parser or linter. Printed as `file:line:col: severity: message`. */
export interface Diagnostic {
  file: string;
  /** 1-based. */
  line: number;
  /** 1-based, in UTF-16 code units of the line. */
  col: number;
  severity: Severity;
  /** A stable machine-readable name, e.g. `unknown-op`, `undefined-group`. */
  code: DiagnosticCode;
  message: string;
}

export type Subject = { kind: 'anyone' } | { kind: 'owner' } | { kind: 'group'; name: string } | { kind: 'user'; id: string };

/** Where a rule, group or member was written. */
export interface SourceRef {
  file: string;
  line: number;
  /** The line as written, trimmed, without its comment. */
  text: string;
}

export interface Rule {
  kind: RuleKind;
  deny: boolean;
  subject: Subject;
  /** Operation names as written (aliases not expanded), in order. */
  opsWritten: string[];
  /** Operations after alias expansion, without duplicates. */
  ops: Array<RefOp | TreeOp>;
  /** The pattern as written: a regex, or `glob:<glob>`. May contain `$user_id`. */
  pattern: string;
  /** For tree rules under a `branch <pattern>` line: that pattern as written. Undefined means every branch. */
  scope?: string;
  source: SourceRef;
}

export interface GroupMember {
  /** A user ID (40 upper-case hex digits) or a group name. */
  name: string;
  line: number;
  col: number;
}

export interface Group {
  name: string;
  file: string;
  members: GroupMember[];
}

/** The result of parsing: everything that could be understood, plus what could not. */
export interface Policy {
  rules: Rule[];
  groups: Record<string, Group>;
  diagnostics: Diagnostic[];
}

/**
 * An operation to judge. Names are full ref names as git gives them
 * (`refs/heads/main`); the core strips `refs/` itself before matching.
 */
export type Operation = RefOperation | TreeOperation;

export interface RefOperation {
  type: 'ref';
  op: RefOp;
  /** Full ref name, e.g. `refs/heads/main`. */
  ref: string;
  /** True when the adapter could not decode the name as clean UTF-8 (see docs/reference.md#operations). */
  unsafeName?: boolean;
}

export interface TreeOperation {
  type: 'tree';
  op: TreeOp;
  /** Full ref name of the branch whose tree changes, e.g. `refs/heads/main`. */
  branch: string;
  /** Relative to the branch root, `/`-separated, no leading or trailing slash. */
  path: string;
  /** True when the path is not valid UTF-8 (decoded with U+FFFD) (docs/reference.md#operations). Control characters are detected by the core itself. */
  unsafeName?: boolean;
}

/** Who is pushing, and who owns the repository. Both are user IDs (40 upper-case hex digits). */
export interface Actor {
  userId: string;
  ownerId: string;
}

/** A rule as a decision refers to it. */
export interface RuleRef {
  file: string;
  line: number;
  text: string;
  deny: boolean;
}

export interface Decision {
  operation: Operation;
  allowed: boolean;
  /** The rule that decided: the matching deny rule, or the first matching allow rule. Undefined when nothing matched (default deny). */
  rule?: RuleRef;
  /** For a denial: rules that come closest to allowing it, best first (at most a few). */
  candidates: RuleRef[];
  /** One line a user can read: why this was allowed or denied, and for a denial what would allow it. */
  reason: string;
  /** Only with `evaluate(..., { trace: true })`: every rule of the operation's kind, in canonical order, as the deciding loop saw it. */
  trace?: TraceStep[];
}

export interface EvaluateOptions {
  /** Give every decision a `trace` (built when first read, like the reason). */
  trace?: boolean;
}

/**
 * One rule's part in a decision. A rule applies when it passes every test:
 * its subject includes the pusher, it lists the op, its pattern matches the
 * name, its branch scope (if any) matches the branch and, for an allow rule
 * on an unsafe name, it is a literal equal to the name.
 */
export interface TraceStep {
  rule: RuleRef;
  subject: boolean;
  op: boolean;
  pattern: boolean;
  /** Present for a rule under a `branch` line, on a tree operation. */
  scope?: boolean;
  /** Present for an allow rule whose pattern matches a name with a control character or invalid UTF-8: whether the pattern is a literal equal to the name (wildcards never grant such a name). */
  literal?: boolean;
  /** `deny` or `allow` when the rule applies, `skip` otherwise. */
  effect: 'deny' | 'allow' | 'skip';
  /** This rule decided (it is Decision.rule). */
  decisive: boolean;
  /** The failed tests in words, or what the rule did; control characters escaped. */
  note: string;
}
