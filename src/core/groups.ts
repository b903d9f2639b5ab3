/**
 * Groups: `groups/<name>.conf`, one member a line. Members are user IDs, other
 * groups, or the automatic groups `owner` and `anyone`.
 */
import type { Diagnostic, Group } from './model.js';
import { isGroupNameSyntax, isUserId, looksLikeKeyId, malformedUserIdMessage, RESERVED_NAMES } from './ids.js';
import { splitLine } from './tokens.js';

/** Who a group stands for once nested groups are flattened. */
export interface Membership {
  users: Set<string>;
  owner: boolean;
  anyone: boolean;
}

/** Own properties only: a group named `constructor` must not find Object.prototype's. */
export function hasGroup(groups: Record<string, Group>, name: string): boolean {
  return Object.prototype.hasOwnProperty.call(groups, name);
}

export function groupNameFromPath(path: string): string | undefined {
  const m = /^groups\/([^/]+)\.conf$/.exec(path);
  return m ? m[1] : undefined;
}

export function parseGroupFile(path: string, name: string, content: string, diags: Diagnostic[]): Group {
  const group: Group = { name, file: path, members: [] };
  if (!isGroupNameSyntax(name)) {
    diags.push({
      file: path, line: 1, col: 1, severity: 'error', code: 'invalid-group-name',
      message: `invalid group name '${name}': group names use only A-Z a-z 0-9 _ . -`,
    });
  } else if (RESERVED_NAMES.includes(name)) {
    diags.push({
      file: path, line: 1, col: 1, severity: 'error', code: 'reserved-group-name',
      message: `'${name}' is reserved and cannot be a group name (reserved: ${RESERVED_NAMES.join(', ')})`,
    });
  }
  const lines = splitLine(content);
  lines.forEach((tokens, idx) => {
    if (tokens.length === 0) return;
    const first = tokens[0]!;
    if (tokens.length > 1) {
      diags.push({
        file: path, line: idx + 1, col: tokens[1]!.col, severity: 'error', code: 'extra-field',
        message: `one member per line: unexpected '${tokens[1]!.text}' after '${first.text}'`,
      });
    }
    group.members.push({ name: first.text, line: idx + 1, col: first.col });
  });
  if (group.members.length === 0) {
    diags.push({
      file: path, line: 1, col: 1, severity: 'warning', code: 'empty-group',
      message: `group '${name}' has no members`,
    });
  }
  return group;
}

/** Checks every member of every group, and reports each cycle once. */
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
        diags.push({ ...at, severity: 'error', code: 'undefined-group', message: `undefined group '${m.name}' (no file groups/${m.name}.conf)` });
      } else {
        diags.push({
          ...at, severity: 'error', code: 'invalid-member',
          message: `'${m.name}' is neither a user ID (40 upper-case hex digits) nor a group name`,
        });
      }
    }
  }
  // Depth-first search; a back edge closes a cycle. Each cycle is reported once, at the member line that closes it.
  const state = new Map<string, 'active' | 'done'>();
  const seen = new Set<string>();
  const stack: string[] = [];
  const visit = (name: string): void => {
    state.set(name, 'active');
    stack.push(name);
    const g = groups[name]!;
    for (const m of g.members) {
      if (!hasGroup(groups, m.name)) continue;
      const s = state.get(m.name);
      if (s === 'active') {
        const cycle = stack.slice(stack.indexOf(m.name));
        const key = [...cycle].sort().join('\n');
        if (!seen.has(key)) {
          seen.add(key);
          diags.push({
            file: g.file, line: m.line, col: m.col, severity: 'error', code: 'group-cycle',
            message: `group cycle: ${[...cycle, m.name].join(' -> ')}`,
          });
        }
      } else if (s === undefined) visit(m.name);
    }
    stack.pop();
    state.set(name, 'done');
  };
  for (const name of names) if (!state.has(name)) visit(name);
}

/** Flattens nested groups. Cycles (already reported) simply stop the walk. */
export function resolveGroups(groups: Record<string, Group>): Map<string, Membership> {
  const out = new Map<string, Membership>();
  for (const name of Object.keys(groups)) {
    const mem: Membership = { users: new Set(), owner: false, anyone: false };
    const seen = new Set<string>([name]);
    const todo = [name];
    while (todo.length > 0) {
      const g = groups[todo.pop()!]!;
      for (const m of g.members) {
        if (m.name === 'owner') mem.owner = true;
        else if (m.name === 'anyone') mem.anyone = true;
        else if (isUserId(m.name)) mem.users.add(m.name);
        else if (hasGroup(groups, m.name) && !seen.has(m.name)) {
          seen.add(m.name);
          todo.push(m.name);
        }
      }
    }
    out.set(name, mem);
  }
  return out;
}
