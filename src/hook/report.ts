/** Turns a verdict into the lines a pusher reads (git shows them prefixed with `remote:`). */
import type { Verdict } from './judge.js';

export const PREFIX = 'git-acl: ';

export function formatVerdict(v: Verdict): string[] {
  if (v.accepted) return [];
  const denied = v.decisions.filter((d) => !d.allowed);
  const lines = [
    `push rejected for user ${v.actor.userId}: ${denied.length + v.problems.length} problem${denied.length + v.problems.length === 1 ? '' : 's'}; no ref was changed`,
    ...v.problems,
    ...denied.map((d) => d.reason),
  ];
  return lines.map((l) => PREFIX + l);
}

/** The single line for a push rejected before any rule was consulted (no signature, broken policy, an error). */
export function formatFailure(reason: string): string[] {
  return [`${PREFIX}push rejected: ${reason}`];
}
