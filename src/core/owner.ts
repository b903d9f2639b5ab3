/**
 * The owner as the policy branch records it: a root file `owner` holding the
 * owner's user ID. The server's `acl.owner` is what the hook trusts; this file
 * is how every clone learns the same value (so `owner` rules evaluate alike
 * everywhere), and the hook refuses a pushed policy whose file disagrees.
 */
import type { Diagnostic, PolicyFile } from './model.js';
import { isUserId } from './ids.js';

/** The path of the owner file on the policy branch. */
export const OWNER_FILE = 'owner';

export type OwnerFileParse = { ok: true; ownerId: string } | { ok: false; line: number; message: string };

/**
 * One user ID on one line; `#` comments and blank lines allowed around it (a
 * person may annotate the file), nothing else.
 */
export function parseOwnerFile(content: string): OwnerFileParse {
  let found: { id: string; line: number } | undefined;
  const lines = content.split('\n');
  for (let i = 0; i < lines.length; i++) {
    const text = lines[i]!.replace(/#.*$/, '').trim();
    if (text === '') continue;
    if (found) return { ok: false, line: i + 1, message: 'the owner file holds one user ID; found a second line' };
    if (!isUserId(text)) {
      return {
        ok: false,
        line: i + 1,
        message: `not a user ID: ${JSON.stringify(text.slice(0, 60))} (the owner's key fingerprint, 40 upper-case hex digits)`,
      };
    }
    found = { id: text, line: i + 1 };
  }
  if (!found) return { ok: false, line: 1, message: "the owner file is empty: it holds the owner's user ID" };
  return { ok: true, ownerId: found.id };
}

/** The owner a policy's files record, or null when there is no (valid) owner file. */
export function recordedOwner(files: readonly PolicyFile[]): string | null {
  const f = files.find((x) => x.path === OWNER_FILE);
  if (!f || (f.kind !== undefined && f.kind !== 'file')) return null;
  const r = parseOwnerFile(f.content);
  return r.ok ? r.ownerId : null;
}

/** Lint findings for the owner file: a user ID, and that user's key file on the branch. */
export function ownerDiagnostics(file: PolicyFile, all: readonly PolicyFile[]): Diagnostic[] {
  const r = parseOwnerFile(file.content);
  if (!r.ok) return [{ file: file.path, line: r.line, col: 1, severity: 'error', code: 'bad-owner', message: r.message }];
  const keyPath = `keys/${r.ownerId}.asc`;
  if (!all.some((f) => f.path === keyPath)) {
    return [
      {
        file: file.path,
        line: 1,
        col: 1,
        severity: 'error',
        code: 'owner-key-missing',
        message: `the owner ${r.ownerId} has no key file ${keyPath}: the owner could not sign a push`,
      },
    ];
  }
  return [];
}
