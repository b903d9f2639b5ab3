/** Turns a verdict into the lines a pusher reads (git shows them prefixed with `remote:`). */
import type { Verdict } from './judge.js';

export const PREFIX = 'git-acl: ';

/** A denied 100,000-file branch must not print 100,000 lines; `git acl preview` shows them all. */
export const MAX_DENIED_LINES = 20;

export function formatVerdict(v: Verdict, maxDenied = MAX_DENIED_LINES): string[] {
  if (v.accepted) return [];
  const denied = v.decisions.filter((d) => !d.allowed);
  const lines = [
    `push rejected for user ${v.actor.userId}; no ref was changed`,
    ...v.problems,
    ...denied.slice(0, maxDenied).map((d) => d.reason),
  ];
  if (denied.length > maxDenied) {
    lines.push(`... and ${denied.length - maxDenied} more denied operations (see them all with: git acl preview)`);
  }
  return lines.map((l) => PREFIX + l);
}

/** The single line for a push rejected before any rule was consulted (no signature, broken policy, an error). */
export function formatFailure(reason: string): string[] {
  return [`${PREFIX}push rejected: ${reason}`];
}
