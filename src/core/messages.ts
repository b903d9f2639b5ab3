/**
 * Errors become one line: the hook's report, the CLI's error line and every
 * adapter error quote messages that may come from git, openpgp or a file
 * system, and git-acl promises one line per reason.
 */

/** The message of anything thrown: an Error's message, else its string form. */
export function errorMessage(e: unknown): string {
  return e instanceof Error ? e.message : String(e);
}

/** `text` on one line: every run of white space (line breaks included) becomes one space; at most `max` characters. */
export function oneLine(text: string, max = 300): string {
  return text.replace(/\s+/g, ' ').trim().slice(0, max);
}
