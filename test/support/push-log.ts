/**
 * Test helpers for the push log: read a server's log, and act as a malicious
 * server that rewrites it (drop, change, append entries) with the library's
 * own entry builder, so that every forged entry is well-formed and only the
 * property under test is wrong.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { openCliStore } from '../../src/git/cli-store.js';
import { buildEntry, LOG_REF, parseUpdateLines, type EntryContent, type EntryMeta, type TreeItem } from '../../src/push/log-format.js';
import { readEntry, readEntryRefs } from '../../src/push/log-entries.js';
import { writeLooseObjects } from '../../src/server/objects.js';
import { run, type Forge } from './forge.js';

export interface LoggedEntry {
  commit: string;
  meta: EntryMeta;
  certificate?: string;
  updates?: Uint8Array;
  refs?: Map<string, string>;
  objects: TreeItem[];
  extraParents: string[];
  summary: string;
}

/** Every entry of the log of the repository at `gitDir`, oldest first. */
export async function readLog(gitDir: string, env: NodeJS.ProcessEnv): Promise<LoggedEntry[]> {
  const store = openCliStore(gitDir, { env });
  try {
    const out: LoggedEntry[] = [];
    let cur = (await store.resolveRef(LOG_REF)) ?? undefined;
    while (cur) {
      const e = await readEntry(store, cur);
      const parents = git(gitDir, env, ['show', '-s', '--format=%P', cur]).trim().split(' ').filter(Boolean);
      const summary = git(gitDir, env, ['show', '-s', '--format=%B', cur]);
      out.push({
        commit: cur,
        meta: e.meta,
        ...(e.certificate ? { certificate: e.certificate } : {}),
        ...(e.updates ? { updates: await store.readBlob(e.updates) } : {}),
        ...(e.refs ? { refs: await readEntryRefs(store, e) } : {}),
        objects: e.objects.map((o) => ({ name: o.name, mode: o.kind === 'directory' ? '40000' : '100644', oid: o.oid })),
        extraParents: e.meta.previous ? parents.slice(1) : parents,
        summary,
      });
      cur = e.meta.previous;
    }
    return out.reverse();
  } finally {
    await store.close();
  }
}

/** Writes `entries` as the log (each entry's `previous` re-pointed at the one before), and force-moves the log ref to the last. */
export async function writeLog(gitDir: string, env: NodeJS.ProcessEnv, entries: LoggedEntry[]): Promise<string[]> {
  const commits: string[] = [];
  let previous: string | undefined;
  for (const e of entries) {
    const meta: EntryMeta = { ...e.meta };
    if (meta.kind === 'start') delete meta.previous;
    else meta.previous = previous!;
    const content: EntryContent = {
      meta,
      ...(e.certificate ? { certificate: e.certificate } : {}),
      ...(e.updates ? { updates: e.updates } : {}),
      ...(e.refs ? { refs: e.refs } : {}),
      objects: e.objects,
      extraParents: e.extraParents,
      summary: e.summary,
      algo: 'sha1',
    };
    const { commit, objects } = await buildEntry(content);
    await writeLooseObjects(path.join(gitDir, 'objects'), objects);
    commits.push(commit);
    previous = commit;
  }
  git(gitDir, env, ['update-ref', LOG_REF, previous!]);
  return commits;
}

/** A copy of the forge's server (everything, hooks and in-flight record included), for a test that tampers with it. */
export function copyServer(forge: Forge, name: string): string {
  const dir = path.join(forge.root, `${name}.git`);
  // Not git-acl/warm/: the FIFOs a warm judge of the forge's server waits on belong to that server (and cannot be copied).
  fs.cpSync(forge.bare, dir, { recursive: true, filter: (src) => !src.startsWith(path.join(forge.bare, 'git-acl', 'warm')) });
  return dir;
}

/** A fresh clone of `server`, configured like the forge's clones. */
export function cloneOf(forge: Forge, server: string, name: string): string {
  const dir = path.join(forge.root, name);
  const r = run('git', ['clone', '-q', server, dir], { env: forge.env });
  if (r.code !== 0) throw new Error(`clone failed: ${r.stderr}`);
  return dir;
}

export function git(gitDir: string, env: NodeJS.ProcessEnv, args: string[], input?: string): string {
  const r = run('git', ['--git-dir', gitDir, ...args], { env, ...(input !== undefined ? { input } : {}) });
  if (r.code !== 0) throw new Error(`git ${args.join(' ')} failed: ${r.stderr}`);
  return r.stdout;
}

export function updateLines(e: LoggedEntry): string[] {
  return e.updates ? parseUpdateLines(e.updates).map((u) => `${u.oldOid} ${u.newOid} ${u.ref}`) : [];
}

/**
 * Resolves once `count` hooks wait for the log's lock in the repository at `gitDir` (each waiter keeps its
 * attempt, `in-flight.tmp-<pid>-…`, next to the lock until it gets it). Throws as soon as one of `pushes` ends
 * first, with that push's result, so a push that ended early fails the test with its own lines instead of a
 * timeout.
 */
export async function waitForLockWaiters(gitDir: string, pushes: Promise<unknown>[], count = 1): Promise<string[]> {
  let ended: { result: unknown } | undefined;
  for (const p of pushes) void p.then((result) => (ended ??= { result }));
  const dir = path.join(gitDir, 'git-acl');
  for (;;) {
    const waiting = fs.existsSync(dir) ? fs.readdirSync(dir).filter((f) => f.startsWith('in-flight.tmp-')) : [];
    if (waiting.length >= count) return waiting;
    if (ended) throw new Error(`a push ended before ${count} waited for the log's lock: ${JSON.stringify(ended.result)}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}
