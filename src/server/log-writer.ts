/**
 * Writing the push log on the server: preparing an entry, appending it with
 * compare-and-swap on the log ref, starting a log, and bringing the log up to
 * date after a push whose post-receive never finished.
 *
 * Every write happens under the log lock (log-lock.ts); the compare-and-swap
 * is a second wall against anything else that moves the log ref.
 */
import { isZeroOid, MAX_TAG_DEPTH } from '../git/objects.js';
import { parseTag } from '../git/headers.js';
import { runGit, succeeded } from '../git/exec.js';
import type { ObjectStore } from '../git/store.js';
import { POLICY_REF } from '../git/policy-files.js';
import {
  buildEntry,
  hashAlgorithmOf,
  LOG_FORMAT_VERSION,
  LOG_REF,
  parseUpdateLines,
  type EntryMeta,
  type GitObject,
  type HashAlgorithm,
  type TreeItem,
} from '../push/log-format.js';
import { readEntry } from '../push/log-entries.js';
import {
  compareAndSwapRef,
  hashObject,
  objectDirectory,
  ownQuarantine,
  readAllRefs,
  readRefs,
  readTagObject,
  writeLooseObjects,
} from './objects.js';
import type { InflightRecord } from './inflight.js';

export { LOG_REF };

type Env = NodeJS.ProcessEnv;

/** Commits to add as parents and `objects/` entries, so that a clone of the log holds every object these values need. */
export interface Reach {
  parents: string[];
  objects: TreeItem[];
  /** Tag copies: blobs to write. */
  blobs: GitObject[];
}

export async function reachabilityOf(
  store: ObjectStore,
  values: Iterable<string>,
  readTag: (oid: string) => Promise<Uint8Array>,
  algo: HashAlgorithm,
): Promise<Reach> {
  const reach: Reach = { parents: [], objects: [], blobs: [] };
  const seen = new Set<string>();
  for (const v of values) {
    let cur = v;
    for (let depth = 0; !seen.has(cur); depth++) {
      if (depth > MAX_TAG_DEPTH) throw new Error(`tag chain too deep at ${v}`);
      seen.add(cur);
      const type = await store.readType(cur);
      if (type === 'commit') reach.parents.push(cur);
      else if (type === 'tree') reach.objects.push({ name: cur, mode: '40000', oid: cur });
      else if (type === 'blob') reach.objects.push({ name: cur, mode: '100644', oid: cur });
      else {
        // An annotated tag: no commit or tree can carry it, so the entry keeps its bytes.
        const raw = await readTag(cur);
        const blob = hashObject('blob', raw, algo);
        reach.blobs.push({ oid: blob, type: 'blob', body: raw });
        reach.objects.push({ name: `${cur}.tag`, mode: '100644', oid: blob });
        cur = parseTag(raw, { hashBytes: cur.length === 64 ? 32 : 20 }).object;
      }
    }
  }
  return reach;
}

export interface PushEntryInput {
  store: ObjectStore;
  gitDir: string;
  env: Env;
  /** The log tip this entry follows. */
  previous: string;
  certificate: string;
  /** `<old> <new> <ref>` lines. */
  updates: Uint8Array;
  policy: string;
  owner: string;
  pusher: string;
  nonce: string;
  /** When the push was admitted to the log. */
  time: number;
  judgedAt: number;
}

/** Builds a push entry and writes its objects (into the quarantine during pre-receive). Returns its commit id. */
export async function writePushEntry(p: PushEntryInput): Promise<string> {
  return (await writePushEntryObjects(p)).commit;
}

/** writePushEntry, with the entry's objects as written (admission reads the entry back from them: replay-record.ts). */
export async function writePushEntryObjects(p: PushEntryInput): Promise<{ commit: string; objects: GitObject[] }> {
  const updates = parseUpdateLines(p.updates);
  const algo = hashAlgorithmOf(updates[0]!.oldOid);
  const reach = await reachabilityOf(
    p.store,
    updates.filter((u) => !isZeroOid(u.newOid)).map((u) => u.newOid),
    (oid) => readTagObject(p.gitDir, p.env, oid),
    algo,
  );
  const meta: EntryMeta = {
    version: LOG_FORMAT_VERSION,
    kind: 'push',
    previous: p.previous,
    time: p.time,
    judgedAt: p.judgedAt,
    policy: p.policy,
    owner: p.owner,
    pusher: p.pusher,
    nonce: p.nonce,
  };
  const { commit, objects } = await buildEntry({
    meta,
    certificate: p.certificate,
    updates: p.updates,
    objects: reach.objects,
    extraParents: reach.parents,
    summary: summary(
      `push by ${p.pusher}`,
      updates.map((u) => u.ref),
    ),
    algo,
    hash: hashObject,
  });
  const written = [...reach.blobs, ...objects];
  const dir = objectDirectory(p.gitDir, p.env);
  await writeLooseObjects(dir, written, ownQuarantine(p.gitDir, p.env) === dir);
  return { commit, objects: written };
}

function summary(what: string, refs: string[]): string {
  const safe = (s: string) => s.replace(/[\x00-\x1f\x7f]/g, '?');
  const shown = refs.slice(0, 20).map((r) => `  ${safe(r)}`);
  if (refs.length > 20) shown.push(`  ... and ${refs.length - 20} more`);
  return `${what}: ${refs.length} ref update${refs.length === 1 ? '' : 's'}\n\n${shown.join('\n')}\n`;
}

/** The current log tip, or null when logging is off. */
export async function logTip(gitDir: string, env: Env): Promise<string | null> {
  return (await readRefs(gitDir, env, [LOG_REF])).get(LOG_REF) ?? null;
}

/** Keeps only the lines of `updates` whose ref git did move to the new value (what landed of a push). */
export function filterLines(updates: Uint8Array, keep: (u: { oldOid: string; newOid: string; ref: string }) => boolean): Uint8Array {
  const text = Buffer.from(updates);
  const out: Buffer[] = [];
  let start = 0;
  for (let i = text.indexOf(0x0a); i >= 0; i = text.indexOf(0x0a, start)) {
    const line = text.subarray(start, i + 1);
    start = i + 1;
    const [u] = parseUpdateLines(line);
    if (u && keep(u)) out.push(line);
  }
  return new Uint8Array(Buffer.concat(out));
}

/**
 * Appends an entry for `updates` of the push in `record` on top of the log
 * tip, retrying when the tip moved. Nothing is appended when the tip entry
 * already logs this certificate (a second attempt after a crash).
 */
export async function appendForRecord(opts: {
  store: ObjectStore;
  gitDir: string;
  env: Env;
  record: InflightRecord;
  updates: Uint8Array;
}): Promise<string | null> {
  const r = opts.record;
  if (opts.updates.length === 0) return null;
  for (let attempt = 0; attempt < 10; attempt++) {
    const tip = await logTip(opts.gitDir, opts.env);
    if (!tip) return null; // logging was turned off meanwhile
    if (tip === r.entry) return tip;
    const top = await readEntry(opts.store, tip).catch(() => null);
    if (top?.meta.kind === 'push' && top.certificate === r.certificate) return tip;
    let entry: string;
    if (
      tip === r.logParent &&
      r.entry &&
      Buffer.from(opts.updates).equals(Buffer.from(r.updates ?? [])) &&
      (await objectExists(opts.gitDir, opts.env, r.entry))
    ) {
      entry = r.entry;
    } else {
      entry = await writePushEntry({
        store: opts.store,
        gitDir: opts.gitDir,
        env: opts.env,
        previous: tip,
        certificate: r.certificate!,
        updates: opts.updates,
        policy: r.policy!,
        owner: r.owner!,
        pusher: r.pusher!,
        nonce: r.nonce!,
        time: r.time!,
        judgedAt: r.judgedAt!,
      });
    }
    if (await compareAndSwapRef(opts.gitDir, opts.env, LOG_REF, entry, tip)) return entry;
  }
  throw new Error(`the push log ${LOG_REF} kept moving; the push is not logged`);
}

async function objectExists(gitDir: string, env: Env, oid: string): Promise<boolean> {
  return succeeded(await runGit(['cat-file', '-e', oid], { env: { ...env, GIT_DIR: gitDir } }));
}

/**
 * A push whose holder stopped before its entry was written: log what of it
 * git applied. Its lock was held from its judgement until now, so no other
 * git-acl push moved a ref meanwhile: a ref at the update's new value was
 * moved by it, a ref still at the old value was not.
 */
export async function recoverRecord(opts: {
  store: ObjectStore;
  gitDir: string;
  env: Env;
  record: InflightRecord;
}): Promise<{ logged: string | null; landed: number; total: number }> {
  const r = opts.record;
  if (
    r.kind !== 'push' ||
    !r.updates ||
    !r.certificate ||
    !r.policy ||
    !r.owner ||
    !r.pusher ||
    !r.nonce ||
    r.judgedAt === undefined ||
    r.time === undefined
  )
    return { logged: null, landed: 0, total: 0 };
  const updates = parseUpdateLines(r.updates);
  const now = await readRefs(
    opts.gitDir,
    opts.env,
    updates.map((u) => u.ref),
  );
  const landed = filterLines(
    r.updates,
    (u) => (isZeroOid(u.newOid) ? !now.has(u.ref) : now.get(u.ref) === u.newOid) && u.oldOid !== u.newOid,
  );
  if (landed.length === 0) return { logged: null, landed: 0, total: updates.length };
  const logged = await appendForRecord({ ...opts, updates: landed });
  return { logged, landed: parseUpdateLines(landed).length, total: updates.length };
}

/** Starts the log: the first entry records every ref as the trusted starting state. Call under the log lock. */
export async function startLog(opts: {
  store: ObjectStore;
  gitDir: string;
  env: Env;
  owner: string;
  now?: number;
}): Promise<{ entry: string; refs: number } | null> {
  const refs = await readAllRefs(opts.gitDir, opts.env);
  if (refs.has(LOG_REF)) return null;
  const policy = refs.get(POLICY_REF);
  if (!policy) throw new Error(`no policy branch ${POLICY_REF}`);
  const algo = hashAlgorithmOf(policy);
  const values = [...refs.values()];
  const reach = await reachabilityOf(opts.store, values, (oid) => readTagObject(opts.gitDir, opts.env, oid), algo);
  const meta: EntryMeta = { version: LOG_FORMAT_VERSION, kind: 'start', time: opts.now ?? Date.now(), policy, owner: opts.owner };
  const { commit, objects } = await buildEntry({
    meta,
    refs,
    objects: reach.objects,
    extraParents: reach.parents,
    summary: `start of the push log: ${refs.size} ref${refs.size === 1 ? '' : 's'}, owner ${opts.owner}`,
    algo,
    hash: hashObject,
  });
  await writeLooseObjects(objectDirectory(opts.gitDir, opts.env), [...reach.blobs, ...objects]);
  if (!(await compareAndSwapRef(opts.gitDir, opts.env, LOG_REF, commit, '0'.repeat(policy.length)))) return null;
  return { entry: commit, refs: refs.size };
}

export { buildEntry };
