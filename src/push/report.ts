/**
 * Turns a verdict into the lines a pusher reads (git shows them prefixed with
 * `remote:`). The one place where the server hooks' text is made: every line
 * is escaped here (core's escapeControls, newlines included), because much of
 * it comes from the push or the repository (ref names, paths, rule text,
 * git's stderr) and git relays it to every pusher's terminal as it is.
 */
import { escapeControls } from '../core/text.js';
import type { Verdict } from './judge.js';

export const PREFIX = 'git-acl: ';

/** A denied 100,000-file branch must not print 100,000 lines; `git acl preview` shows them all. */
export const MAX_DENIED_LINES = 20;

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
  if (denied.length > maxDenied) {
    lines.push(`... and ${denied.length - maxDenied} more denied operations (see them all with: git acl preview)`);
  }
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
