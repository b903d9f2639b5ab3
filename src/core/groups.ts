/**
 * Groups: `groups/<name>.conf`, one member a line. Members are user IDs, other
 * groups, or the automatic groups `owner` and `anyone`.
 */
import type { Diagnostic, Group } from './model.js';
import { isGroupNameSyntax, isUserId, looksLikeKeyId, malformedUserIdMessage, RESERVED_NAMES } from './ids.js';
import { splitLine } from './tokens.js';
import { LIMITS, formatCount } from './limits.js';

/** Own properties only: a group named `constructor` must not find Object.prototype's. */
export function hasGroup(groups: Record<string, Group>, name: string): boolean {
  return Object.hasOwn(groups, name);
}

export function groupNameFromPath(path: string): string | undefined {
  const m = /^groups\/([^/]+)\.conf$/.exec(path);
  return m ? m[1] : undefined;
}

/** How many more member lines the policy may hold (LIMITS.members), and whether a file was cut short. */
export interface MemberBudget {
  room: number;
  cut: boolean;
}

/**
 * Reads one group file. Past the member budget: one `too-many-members` error,
 * and the rest of the file is not read.
 */
export function parseGroupFile(
  path: string,
  name: string,
  content: string,
  diags: Diagnostic[],
  budget: MemberBudget = { room: Infinity, cut: false },
): Group {
  const group: Group = { name, file: path, members: [] };
  if (!isGroupNameSyntax(name)) {
    diags.push({
      file: path,
      line: 1,
      col: 1,
      severity: 'error',
      code: 'invalid-group-name',
      message: `invalid group name '${name}': group names use only A-Z a-z 0-9 _ . -`,
    });
  } else if (RESERVED_NAMES.includes(name)) {
    diags.push({
      file: path,
      line: 1,
      col: 1,
      severity: 'error',
      code: 'reserved-group-name',
      message: `'${name}' is reserved and cannot be a group name (reserved: ${RESERVED_NAMES.join(', ')})`,
    });
  }
  const lines = splitLine(content);
  for (let idx = 0; idx < lines.length; idx++) {
    const tokens = lines[idx]!;
    if (tokens.length === 0) continue;
    const first = tokens[0]!;
    if (budget.room <= 0) {
      budget.cut = true;
      diags.push({
        file: path,
        line: idx + 1,
        col: first.col,
        severity: 'error',
        code: 'too-many-members',
        message: `too many group members: a policy's groups list at most ${formatCount(LIMITS.members)} members in all; this one and the rest are not read`,
      });
      break;
    }
    if (tokens.length > 1) {
      diags.push({
        file: path,
        line: idx + 1,
        col: tokens[1]!.col,
        severity: 'error',
        code: 'extra-field',
        message: `one member per line: unexpected '${tokens[1]!.text}' after '${first.text}'`,
      });
    }
    budget.room--;
    group.members.push({ name: first.text, line: idx + 1, col: first.col });
  }
  if (group.members.length === 0 && !budget.cut) {
    diags.push({
      file: path,
      line: 1,
      col: 1,
      severity: 'warning',
      code: 'empty-group',
      message: `group '${name}' has no members`,
    });
  }
  return group;
}

/** Cycles longer than this are shown by their ends: a message stays one readable line, and each costs O(1). */
const CYCLE_SHOWN = 8;

/** Checks every member of every group, and reports each cycle once. Linear in the number of member lines. */
export function checkGroups(groups: Record<string, Group>, diags: Diagnostic[]): void {
  const names = Object.keys(groups).sort();
  for (const name of names) {
    const g = groups[name]!;
    for (const m of g.members) {
      const at = { file: g.file, line: m.line, col: m.col };
      if (isUserId(m.name) || m.name === 'owner' || m.name === 'anyone' || hasGroup(groups, m.name)) continue;
      if (m.name === 'deny' || m.name === 'branch') {
        diags.push({ ...at, severity: 'error', code: 'invalid-member', message: `'${m.name}' is reserved and cannot be a group member` });
      } else if (looksLikeKeyId(m.name)) {
        diags.push({ ...at, severity: 'error', code: 'malformed-user-id', message: malformedUserIdMessage(m.name) });
      } else if (isGroupNameSyntax(m.name)) {
        diags.push({
          ...at,
          severity: 'error',
          code: 'undefined-group',
          message: `undefined group '${m.name}' (no file groups/${m.name}.conf)`,
        });
      } else {
        diags.push({
          ...at,
          severity: 'error',
          code: 'invalid-member',
          message: `'${m.name}' is neither a user ID (40 upper-case hex digits) nor a group name`,
        });
      }
    }
  }
  reportCycles(groups, names, diags);
}

/**
 * Depth-first search in name order, member order; a back edge (a member that
 * is on the current path) closes a cycle, reported at that member line. The
 * search is iterative (a chain of thousands of groups must not overflow the
 * call stack), each group is entered once and each member line looked at
 * once, and the path's positions are indexed, so the whole check is linear in
 * the size of the group graph.
 */
function reportCycles(groups: Record<string, Group>, names: string[], diags: Diagnostic[]): void {
  const done = new Set<string>();
  /** Group name -> its position on the current path. */
  const onPath = new Map<string, number>();
  const path: string[] = [];
  const next: number[] = [];
  const reported = new Set<string>();
  const enter = (name: string): void => {
    onPath.set(name, path.length);
    path.push(name);
    next.push(0);
  };
  for (const root of names) {
    if (done.has(root)) continue;
    enter(root);
    while (path.length > 0) {
      const top = path.length - 1;
      const g = groups[path[top]!]!;
      const k = next[top]!;
      if (k >= g.members.length) {
        onPath.delete(g.name);
        done.add(g.name);
        path.pop();
        next.pop();
        continue;
      }
      next[top] = k + 1;
      const m = g.members[k]!;
      // A member that looks like a user ID is a user, even if a group of that name exists (as in membership).
      if (isUserId(m.name) || !hasGroup(groups, m.name) || done.has(m.name)) continue;
      const at = onPath.get(m.name);
      if (at === undefined) {
        enter(m.name);
        continue;
      }
      const key = `${g.name}\n${m.name}`;
      if (reported.has(key)) continue;
      reported.add(key);
      diags.push({
        file: g.file,
        line: m.line,
        col: m.col,
        severity: 'error',
        code: 'group-cycle',
        message: `group cycle: ${cycleText(path, at, m.name)}`,
      });
    }
  }
}

function cycleText(path: string[], from: number, back: string): string {
  const length = path.length - from;
  if (length <= CYCLE_SHOWN) return [...path.slice(from), back].join(' -> ');
  const half = CYCLE_SHOWN / 2;
  const head = path.slice(from, from + half);
  const tail = path.slice(path.length - half);
  return [...head, `... (${length - CYCLE_SHOWN} more)`, ...tail, back].join(' -> ');
}

/**
 * Who includes whom, read upwards: for each user ID, for `owner` and for
 * `anyone`, the groups that list it, and for each group the groups that list
 * it. Built once per compiled policy in time linear in the member lines; a
 * pusher's groups are then one walk up from them (groupsIncluding), never a
 * flattening of every group.
 */
export interface GroupIndex {
  byUser: Map<string, string[]>;
  byOwner: string[];
  byAnyone: string[];
  byGroup: Map<string, string[]>;
}

export function indexGroups(groups: Record<string, Group>): GroupIndex {
  const index: GroupIndex = { byUser: new Map(), byOwner: [], byAnyone: [], byGroup: new Map() };
  const add = (map: Map<string, string[]>, key: string, group: string): void => {
    const l = map.get(key);
    if (l === undefined) map.set(key, [group]);
    else l.push(group);
  };
  for (const name of Object.keys(groups)) {
    for (const m of groups[name]!.members) {
      if (m.name === 'owner') index.byOwner.push(name);
      else if (m.name === 'anyone') index.byAnyone.push(name);
      else if (isUserId(m.name)) add(index.byUser, m.name, name);
      else if (hasGroup(groups, m.name)) add(index.byGroup, m.name, name);
    }
  }
  return index;
}

/**
 * The groups that include a pusher: those listing `anyone`, `owner` (for the
 * owner) or their user ID, and every group that includes one of those, found
 * by one breadth-first walk over the reverse edges. Cycles (reported by lint)
 * simply stop the walk. Linear in the part of the graph above the pusher.
 */
export function groupsIncluding(index: GroupIndex, userId: string, isOwner: boolean): Set<string> {
  const found = new Set<string>();
  const todo: string[] = [];
  const reach = (names: readonly string[] | undefined): void => {
    if (names === undefined) return;
    for (const n of names) {
      if (found.has(n)) continue;
      found.add(n);
      todo.push(n);
    }
  };
  reach(index.byAnyone);
  if (isOwner) reach(index.byOwner);
  reach(index.byUser.get(userId));
  for (let i = 0; i < todo.length; i++) reach(index.byGroup.get(todo[i]!));
  return found;
}
