/**
 * The forge both replay-record test files work on (push-log/replay-record.test.ts and the red team's
 * attacks/replay-record.test.ts): bob pushes a branch (the push whose certificate is replayed), deletes it so that
 * git would apply that certificate again, then pushes `laterPushes` more so that the replayed entry is not the log's
 * tip and the record (src/server/replay-record.ts) holds several rows.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { expect } from 'vitest';
import { Forge, ZERO_OID, type Clone, type ForgeUser } from '../../support/forge.js';

export const LOG = 'refs/heads/apps/push-log';

export interface ReplayScenario {
  forge: Forge;
  bob: ForgeUser;
  c: Clone;
  cacheDir: string;
  recordFile: string;
  /** The replayed push: its certificate, its commit and its log entry. */
  cert: { oid: string; text: string };
  first: string;
  original: string;
  /** The record as admission left it after the scenario's pushes. */
  good: Buffer;
}

export function replayScenario(laterPushes: number): ReplayScenario {
  const forge = Forge.create({ users: ['bob'] });
  forge.setPolicy(Forge.presetFiles('per-user-branches'));
  const bob = forge.user('bob');
  const c = forge.clone(bob);
  const cacheDir = path.join(forge.bare, 'git-acl', 'cache');
  const recordFile = path.join(cacheDir, 'log-recent.json');
  const first = c.commitTree({ 'r.txt': 'r\n' }, [], 'r');
  expect(c.push(`${first}:refs/heads/${bob.id}/r`).code).toBe(0);
  const original = forge.ref(LOG)!;
  const cert = forge.certificates().find((x) => x.text.includes(` ${first} refs/heads/${bob.id}/r\n`))!;
  // The ref goes back to its old value (deleted), so that git would apply the certificate again.
  expect(c.push(`:refs/heads/${bob.id}/r`).code).toBe(0);
  for (let i = 0; i < laterPushes; i++) {
    const w = c.commitTree({ 'w.txt': `${i}\n` }, [], `w${i}`);
    expect(c.push(`${w}:refs/heads/${bob.id}/w${i}`).code).toBe(0);
  }
  return { forge, bob, c, cacheDir, recordFile, cert, first, original, good: fs.readFileSync(recordFile) };
}

/** The environment and stdin git gives pre-receive for the replayed certificate while its nonce is still good. */
export function replayInput(s: ReplayScenario): { env: NodeJS.ProcessEnv; stdin: string } {
  const nonce = /^nonce (.*)$/m.exec(s.cert.text)![1]!;
  return {
    env: { GIT_PUSH_CERT: s.cert.oid, GIT_PUSH_CERT_NONCE: nonce, GIT_PUSH_CERT_NONCE_STATUS: 'OK' },
    stdin: `${ZERO_OID} ${s.first} refs/heads/${s.bob.id}/r\n`,
  };
}

/** The line a replay of the certificate is refused with, naming the entry that holds it (by default the original). */
export function replayRefusal(s: ReplayScenario, entry = s.original): string {
  return `git-acl: push rejected: this push certificate was already accepted (push log entry ${entry.slice(0, 12)}); a certificate is good for one push: push again (user ${s.bob.id})\n`;
}

/** The log's entries, newest first (first parents from the tip). */
export function logChain(forge: Forge): string[] {
  return forge.server(['rev-list', '--first-parent', LOG]).stdout.trim().split('\n');
}

/** Writes the record file as admission would (this user's, mode 0644). */
export function writeRecordFile(s: ReplayScenario, data: string | Buffer): void {
  fs.rmSync(s.recordFile, { force: true });
  fs.writeFileSync(s.recordFile, data, { mode: 0o644 });
}
