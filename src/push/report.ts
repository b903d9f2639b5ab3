/**
 * Turns a verdict into the lines a pusher reads (git shows them prefixed with
 * `remote: `). The hook, `git acl preview` and the pre-push hook all print
 * these lines, so they are made here and nowhere else; and every line is
 * escaped here (core's escapeControls, newlines included), because much of
 * it comes from the push or the repository (ref names, paths, rule text,
 * git's stderr) and git relays it to every pusher's terminal as it is.
 */
import type { Decision } from '../core/index.js';
import { escapeControls } from '../core/text.js';
import type { Verdict } from './judge.js';

export const PREFIX = 'git-acl: ';

/** A denied 100,000-file branch must not print 100,000 lines: this many reasons, then a summary by operation and directory. */
export const MAX_DENIED_LINES = 20;

/** At most this many lines of the summary's groups; the rest is counted in one line. */
export const MAX_SUMMARY_GROUPS = 10;

/** One line as the pusher reads it: prefixed, and nothing in it that a terminal would act on. */
export function hookLine(text: string): string {
  return PREFIX + escapeControls(text);
}

export function formatVerdict(v: Verdict, maxDenied = MAX_DENIED_LINES): string[] {
  if (v.accepted) return [];
  const denied = v.decisions.filter((d) => !d.allowed);
  const lines = [
    `push rejected for user ${v.actor.userId}; no ref was changed`,
    ...v.problems,
    ...denied.slice(0, maxDenied).map((d) => d.reason),
  ];
  if (denied.length > maxDenied) lines.push(...summarise(denied.slice(maxDenied)));
  return lines.map(hookLine);
}

/** The single line for a push rejected before any rule was consulted (no signature, broken policy, an error). */
export function formatFailure(reason: string): string[] {
  return [hookLine(`push rejected: ${reason}`)];
}

/** A note for the pusher (the push goes on). */
export function formatNote(text: string): string {
  return hookLine(`note: ${text}`);
}

/** A warning for the pusher (after the push, from post-receive). */
export function formatWarning(text: string): string {
  return hookLine(`warning: ${text}`);
}

/**
 * The denials past the listed ones, counted per operation and directory (per
 * operation and ref namespace for refs), largest first. When the directories
 * are too many to list, they are counted per top-level directory instead.
 */
function summarise(rest: Decision[]): string[] {
  let groups = group(rest, false);
  if (groups.length > MAX_SUMMARY_GROUPS) groups = group(rest, true);
  const n = rest.length;
  const lines = [`... and ${n} more denied operation${n === 1 ? '' : 's'} (all of them: git acl preview --all):`];
  for (const g of groups.slice(0, MAX_SUMMARY_GROUPS)) lines.push(`  ${g.count} ${g.label}`);
  const left = groups.slice(MAX_SUMMARY_GROUPS);
  if (left.length) {
    const count = left.reduce((a, g) => a + g.count, 0);
    lines.push(`  ${count} more in ${left.length} other group${left.length === 1 ? '' : 's'}`);
  }
  return lines;
}

function group(decisions: Decision[], topLevel: boolean): Array<{ label: string; count: number }> {
  const counts = new Map<string, number>();
  for (const { operation: o } of decisions) {
    const label =
      o.type === 'tree'
        ? `${o.op} in ${directory(o.path, topLevel)} on ${o.branch.replace(/^refs\//, '')}`
        : `${o.op} of ${directory(o.ref.replace(/^refs\//, ''), topLevel)}*`;
    counts.set(label, (counts.get(label) ?? 0) + 1);
  }
  return [...counts]
    .map(([label, count]) => ({ label: escapeControls(label), count }))
    .sort((a, b) => b.count - a.count || (a.label < b.label ? -1 : a.label > b.label ? 1 : 0));
}

/** `a/b/c.txt` → `a/b/` (or `a/` at the top level); a name without a `/` → `./`. */
function directory(path: string, topLevel: boolean): string {
  const cut = topLevel ? path.indexOf('/') : path.lastIndexOf('/');
  return cut < 0 ? './' : path.slice(0, cut + 1);
}
