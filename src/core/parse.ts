/**
 * Reading policy files into rules and groups. Never throws: anything that
 * cannot be understood becomes a diagnostic, so `git acl lint` can report every
 * problem of a policy in one run.
 */
import type { Diagnostic, DiagnosticCode, Group, Policy, PolicyFile, RefOp, Rule, RuleKind, Subject, TreeOp } from './model.js';
import { checkGroups, groupNameFromPath, hasGroup, parseGroupFile, type MemberBudget } from './groups.js';
import { isGroupNameSyntax, isUserId, KEY_FILE_PATH, looksLikeKeyId, malformedUserIdMessage } from './ids.js';
import { expandOp, suggestOp, wrongKindHint } from './ops.js';
import { analysePattern, type PatternAnalysis, type PatternInfo } from './pattern.js';
import { LIMITS, formatCount, utf8Length } from './limits.js';
import { programLowerBound } from './regex-size.js';
import { fileLines, tokeniseLine, type Token } from './tokens.js';
import { checkRules, scopeWarnings, type RuleSite } from './checks.js';
import { compareDiagnostics, compareCodeUnits } from './order.js';
import { escapeControls } from './text.js';
import { OWNER_FILE, ownerDiagnostics } from './owner.js';

type FileRole =
  | { role: 'rules'; kind: RuleKind }
  | { role: 'group'; name: string }
  | { role: 'key' }
  | { role: 'warn'; code: DiagnosticCode; message: string }
  | { role: 'error'; code: DiagnosticCode; message: string }
  | { role: 'owner' }
  | { role: 'ignore' };

function classify(file: PolicyFile): FileRole {
  const role = classifyPath(file.path);
  if (file.kind !== undefined && file.kind !== 'file' && role.role !== 'warn' && role.role !== 'ignore') {
    return {
      role: 'error',
      code: 'not-a-file',
      message: `is a ${file.kind}, not a regular file: policy files are read only as regular files (a symlink's target is never followed)`,
    };
  }
  return role;
}

function classifyPath(path: string): FileRole {
  const top = path.split('/')[0];
  if (top === 'refs' || top === 'branches') {
    if (path.endsWith('.conf')) return { role: 'rules', kind: top === 'refs' ? 'ref' : 'tree' };
    return { role: 'warn', code: 'ignored-file', message: `ignored: only *.conf files are read in ${top}/` };
  }
  if (top === 'groups') {
    const name = groupNameFromPath(path);
    if (name !== undefined) return { role: 'group', name };
    return {
      role: 'warn',
      code: 'ignored-file',
      message: 'ignored: a group is a file groups/<name>.conf (no subfolders, .conf suffix)',
    };
  }
  if (path === OWNER_FILE) return { role: 'owner' };
  if (top === 'keys') {
    if (KEY_FILE_PATH.test(path)) return { role: 'key' };
    return {
      role: 'warn',
      code: 'bad-key-file',
      message: "ignored: key files are named keys/<USER_ID>.asc, the key's fingerprint in 40 upper-case hex digits",
    };
  }
  return { role: 'ignore' };
}

function parseSubject(
  tok: Token,
  groups: Record<string, Group>,
  at: Omit<Diagnostic, 'severity' | 'code' | 'message'>,
  diags: Diagnostic[],
): Subject | undefined {
  const s = tok.text;
  if (s === 'anyone') return { kind: 'anyone' };
  if (s === 'owner') return { kind: 'owner' };
  if (isUserId(s)) return { kind: 'user', id: s };
  if (hasGroup(groups, s)) return { kind: 'group', name: s };
  if (s === 'deny' || s === 'branch') {
    diags.push({ ...at, severity: 'error', code: 'reserved-subject', message: `'${s}' is reserved and cannot be a subject` });
  } else if (looksLikeKeyId(s)) {
    diags.push({ ...at, severity: 'error', code: 'malformed-user-id', message: malformedUserIdMessage(s) });
  } else if (isGroupNameSyntax(s)) {
    diags.push({ ...at, severity: 'error', code: 'undefined-group', message: `undefined group '${s}' (no file groups/${s}.conf)` });
  } else {
    diags.push({
      ...at,
      severity: 'error',
      code: 'invalid-subject',
      message: `invalid subject '${s}': expected anyone, owner, a group name or a user ID (40 upper-case hex digits)`,
    });
  }
  return undefined;
}

function parseOps(
  tok: Token,
  kind: RuleKind,
  file: string,
  line: number,
  diags: Diagnostic[],
): { written: string[]; ops: Array<RefOp | TreeOp>; ok: boolean } {
  const written = tok.text.split(',');
  const ops: Array<RefOp | TreeOp> = [];
  let ok = true;
  let offset = 0;
  for (const name of written) {
    const at = { file, line, col: tok.col + offset };
    offset += name.length + 1;
    if (name === '') {
      diags.push({ ...at, severity: 'error', code: 'empty-op', message: 'empty operation name in the list (stray comma?)' });
      ok = false;
      continue;
    }
    const expanded = expandOp(name, kind);
    if (expanded) {
      for (const op of expanded) if (!ops.includes(op)) ops.push(op);
      continue;
    }
    ok = false;
    const hint = wrongKindHint(name, kind);
    if (hint !== undefined) {
      diags.push({ ...at, severity: 'error', code: 'wrong-op-kind', message: hint });
      continue;
    }
    const guess = suggestOp(name, kind);
    diags.push({
      ...at,
      severity: 'error',
      code: 'unknown-op',
      message: `unknown operation '${name}'` + (guess !== undefined ? `; did you mean '${guess}'?` : ''),
    });
  }
  return { written, ops, ok };
}

/**
 * What parsing has spent of the policy's bounds (LIMITS), and each pattern's
 * analysis by text: a pattern written on many lines is compiled once, counts
 * once towards the program budget, and compilePolicy reuses the analysis.
 */
interface Budget {
  ruleLines: number;
  program: number;
  /** Set once a bound on rules or on the program budget is passed: no further rule is read. */
  stopped: boolean;
  patterns: Map<string, PatternAnalysis>;
}

function checkPatternAt(
  text: string,
  file: string,
  line: number,
  col: number,
  budget: Budget,
  diags: Diagnostic[],
): PatternInfo | undefined {
  // Past the policy's program budget: no rule from here on is read.
  const tooCostly = (thisOne: string): undefined => {
    budget.stopped = true;
    diags.push({
      file,
      line,
      col,
      severity: 'error',
      code: 'policy-too-costly',
      message: `the policy's patterns compile to more than ${formatCount(LIMITS.policyProgram)} RE2 instructions in all (this one: ${thisOne}); rules from here on are not read`,
    });
    return undefined;
  };
  let analysis = budget.patterns.get(text);
  if (analysis === undefined) {
    // Before compiling (its cost is in proportion to the program): a pattern that certainly crosses the budget
    // stops here. Globs are read as globs, so only regexes are bounded from their text.
    const atLeast = text.startsWith('glob:') ? 0 : programLowerBound(text);
    if (budget.program + atLeast > LIMITS.policyProgram && atLeast <= LIMITS.patternProgram)
      return tooCostly(`at least ${formatCount(atLeast)}`);
    analysis = analysePattern(text);
    budget.patterns.set(text, analysis);
    const size = analysis.info?.programSize ?? 0;
    if (budget.program + size > LIMITS.policyProgram) return tooCostly(formatCount(size));
    budget.program += size;
  }
  for (const p of analysis.problems)
    diags.push({ file, line, col: col + p.offset, severity: p.severity, code: p.code, message: p.message });
  return analysis.info;
}

function parseRuleFile(
  file: PolicyFile,
  kind: RuleKind,
  groups: Record<string, Group>,
  budget: Budget,
  sites: RuleSite[],
  diags: Diagnostic[],
): void {
  let scope: string | undefined;
  const lines = fileLines(file.content);
  for (let idx = 0; idx < lines.length && !budget.stopped; idx++) parseRuleLine(lines[idx]!, idx + 1);
  function parseRuleLine(raw: string, lineNo: number): void {
    const { tokens, text, endCol } = tokeniseLine(raw);
    if (tokens.length === 0) return;
    const at = (col: number) => ({ file: file.path, line: lineNo, col });
    if (++budget.ruleLines > LIMITS.rules) {
      budget.stopped = true;
      diags.push({
        ...at(tokens[0]!.col),
        severity: 'error',
        code: 'too-many-rules',
        message: `too many rules: a policy holds at most ${formatCount(LIMITS.rules)} rule and branch lines; this one and the rest are not read`,
      });
      return;
    }
    const first = tokens[0]!;
    if (first.text === 'branch') {
      if (kind === 'ref') {
        diags.push({
          ...at(first.col),
          severity: 'error',
          code: 'branch-in-refs',
          message: "'branch' lines are only allowed in branches/*.conf; ref rules match the ref name itself",
        });
        return;
      }
      const pat = tokens[1];
      if (pat === undefined) {
        diags.push({ ...at(endCol + 1), severity: 'error', code: 'missing-field', message: "missing branch pattern after 'branch'" });
        return;
      }
      if (tokens[2] !== undefined) {
        diags.push({
          ...at(tokens[2].col),
          severity: 'error',
          code: 'extra-field',
          message: `unexpected '${tokens[2].text}' after the branch pattern (a pattern cannot contain spaces; write '\\ ' or \\x20)`,
        });
      }
      // Even a broken scope narrows the rules below it: an error fails the policy anyway, and widening would be worse.
      scope = pat.text;
      const info = checkPatternAt(pat.text, file.path, lineNo, pat.col, budget, diags);
      if (info !== undefined) {
        for (const w of scopeWarnings(pat.text, info)) diags.push({ ...at(pat.col), severity: 'warning', ...w });
      }
      return;
    }
    const deny = first.text === 'deny';
    const base = deny ? 1 : 0;
    const subjTok = tokens[base];
    const opsTok = tokens[base + 1];
    const patTok = tokens[base + 2];
    const missing = !subjTok
      ? "missing subject, operations and pattern after 'deny'"
      : !opsTok
        ? 'missing operations and pattern: a rule is [deny] <subject> <op>[,<op>...] <pattern>'
        : !patTok
          ? 'missing pattern: a rule is [deny] <subject> <op>[,<op>...] <pattern>'
          : undefined;
    if (missing !== undefined) {
      diags.push({ ...at(endCol + 1), severity: 'error', code: 'missing-field', message: missing });
      return;
    }
    const extra = tokens[base + 3];
    if (extra !== undefined) {
      diags.push({
        ...at(extra.col),
        severity: 'error',
        code: 'extra-field',
        message: `unexpected '${extra.text}' after the pattern (a pattern cannot contain spaces; write '\\ ' or \\x20)`,
      });
    }
    const subject = parseSubject(subjTok!, groups, at(subjTok!.col), diags);
    const ops = parseOps(opsTok!, kind, file.path, lineNo, diags);
    const info = checkPatternAt(patTok!.text, file.path, lineNo, patTok!.col, budget, diags);
    if (!info) return;
    const rule: Rule = {
      kind,
      deny,
      subject: subject ?? { kind: 'anyone' },
      opsWritten: ops.written,
      ops: ops.ops,
      pattern: patTok!.text,
      source: { file: file.path, line: lineNo, text },
    };
    if (scope !== undefined) rule.scope = scope;
    // A rule with errors is left out of the policy, but its pattern still gets its warnings.
    const rejected = !subject || !ops.ok || extra !== undefined;
    sites.push({ rule, patternCol: patTok!.col, info, rejected });
  }
}

/**
 * Parses the files of a policy branch. Order of `files` does not matter: they
 * are read sorted by path, so rules come out in canonical (file, line) order.
 */
export function parsePolicy(files: PolicyFile[]): Policy {
  const diags: Diagnostic[] = [];
  const sorted = [...files].sort((a, b) => compareCodeUnits(a.path, b.path) || compareCodeUnits(a.content, b.content));
  const roles = sorted.map((f) => ({ file: f, role: classify(f), read: true }));
  checkSizes(roles, diags);
  const groups = Object.create(null) as Record<string, Group>;
  let groupCount = 0;
  const members: MemberBudget = { room: LIMITS.members, cut: false };
  for (const entry of roles) {
    const { file, role } = entry;
    if (role.role === 'group') {
      // Own-property map: a group named like an Object.prototype member must not alias it.
      if (hasGroup(groups, role.name)) continue;
      if (++groupCount === LIMITS.groups + 1) {
        diags.push({
          file: file.path,
          line: 1,
          col: 1,
          severity: 'error',
          code: 'too-many-groups',
          message: `too many groups: a policy has at most ${formatCount(LIMITS.groups)} group files; this one and the rest are not read`,
        });
      }
      // A group that is not read is still defined (empty), so that rules naming it do not add errors of their own.
      const read = entry.read && groupCount <= LIMITS.groups && !members.cut;
      groups[role.name] = read
        ? parseGroupFile(file.path, role.name, file.content, diags, members)
        : { name: role.name, file: file.path, members: [] };
    } else if (role.role === 'owner') {
      if (entry.read) diags.push(...ownerDiagnostics(file, sorted));
    } else if (role.role === 'warn' || role.role === 'error') {
      const severity = role.role === 'warn' ? 'warning' : 'error';
      diags.push({ file: file.path, line: 1, col: 1, severity, code: role.code, message: role.message });
    }
  }
  checkGroups(groups, diags);
  const sites: RuleSite[] = [];
  const budget: Budget = { ruleLines: 0, program: 0, stopped: false, patterns: new Map() };
  for (const { file, role, read } of roles) {
    if (role.role === 'rules' && read && !budget.stopped) parseRuleFile(file, role.kind, groups, budget, sites, diags);
  }
  checkRules(sites, diags);
  // Messages quote tokens, names and patterns from the files: escaped here, once, for every diagnostic.
  for (const d of diags) d.message = escapeControls(d.message);
  diags.sort(compareDiagnostics);
  const policy: Policy = { rules: sites.filter((s) => !s.rejected).map((s) => s.rule), groups, diagnostics: diags };
  const infos = new Map<string, PatternInfo>();
  for (const [text, a] of budget.patterns) if (a.info !== undefined) infos.set(text, a.info);
  ANALYSED.set(policy, infos);
  return policy;
}

/**
 * Pattern analyses made while parsing a policy, by pattern text, for
 * compilePolicy: a Policy is plain data that may also come from elsewhere,
 * so compile looks a text up here and analyses only what it does not find.
 */
const ANALYSED = new WeakMap<Policy, Map<string, PatternInfo>>();

export function analysedPatterns(policy: Policy): Map<string, PatternInfo> | undefined {
  return ANALYSED.get(policy);
}

/**
 * Bounds on bytes (LIMITS.fileBytes, LIMITS.policyBytes), before anything is
 * parsed: only rule and group files count, the files the core reads. A file
 * past a bound is not read.
 */
function checkSizes(roles: Array<{ file: PolicyFile; role: FileRole; read: boolean }>, diags: Diagnostic[]): void {
  let total = 0;
  let over = false;
  const tooLarge = (path: string, bytes: number) =>
    diags.push({
      file: path,
      line: 1,
      col: 1,
      severity: 'error',
      code: 'file-too-large',
      // Grouped digits, never "50 MiB bytes": formatCount names whole MiB.
      message: `file is too large (${String(bytes).replace(/\B(?=(\d{3})+(?!\d))/g, ',')} bytes, limit ${formatCount(LIMITS.fileBytes)}); it is not read`,
    });
  for (const entry of roles) {
    const { path, content, size } = entry.file;
    if (entry.role.role === 'owner' && size !== undefined) {
      // The reader left the owner file unread (past fileBytes): say so, instead of "the owner file is empty".
      entry.read = false;
      tooLarge(path, size);
      continue;
    }
    if (entry.role.role !== 'rules' && entry.role.role !== 'group') continue;
    // An unread file counts with its stored size (the reader stopped at the same bound, in the same order).
    const bytes = size ?? utf8Length(content);
    if (over) {
      entry.read = false;
    } else if (bytes > LIMITS.fileBytes) {
      entry.read = false;
      tooLarge(path, bytes);
    } else if ((total += bytes) > LIMITS.policyBytes || size !== undefined) {
      over = true;
      entry.read = false;
      diags.push({
        file: path,
        line: 1,
        col: 1,
        severity: 'error',
        code: 'policy-too-large',
        message: `the policy is too large: its rule and group files hold more than ${formatCount(LIMITS.policyBytes)} in all; this file and the ones after it are not read`,
      });
    }
  }
}
