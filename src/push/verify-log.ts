/**
 * Replaying a push log (docs/push-log.md): any peer holding the log branch
 * and the objects it references can re-check, offline, that every change to
 * every ref since logging began was made by someone the policy of that
 * moment allowed. Runs over any ObjectStore (git processes in the CLI,
 * isomorphic-git in a browser) and judges every push with the hook's own code
 * (`judgePush`, `identifyPusher`), so a peer and the server
 * cannot disagree about a decision.
 *
 * From the starting state, for each entry in order:
 * - push: the certificate parses and its signature verifies with the key files
 *   of the policy in force (keys checked at the moment the server judged the
 *   push, see docs/push-log.md "Time"); it covers every update of the entry;
 *   each update's old value is the replayed value; the certificate (its signed
 *   payload) was never used before; the entry names the policy in force and the
 *   owner the log says; every operation is allowed by that policy and owner.
 * - owner: the policy branch moves to a child that changes only the `owner`
 *   file (and adds the new owner's key file); reported as a notice.
 * Finally the replayed state must equal the remote's refs: any difference is
 * an update made outside the log.
 */
import { errorMessage, oneLine } from '../core/messages.js';
import { isZeroOid } from '../git/objects.js';
import { parseTag } from '../git/headers.js';
import type { RefUpdate } from '../git/ref-updates.js';
import type { ObjectStore, ObjectType, ReadLimit, TreeEntry } from '../git/store.js';
import type { DiffOptions } from '../git/tree-diff.js';
import { POLICY_REF, policyOwner, readPolicyTree, type PolicyTree } from '../git/policy-files.js';
import type { CompiledPolicy, Operation } from '../core/index.js';
import { OWNER_FILE } from '../core/owner.js';
import { compileServerPolicy, judgePush } from './judge.js';
import { parsePushCert, signedBytes } from '../identity/push-cert.js';
import type { PushCertificate } from '../identity/types.js';
import { gitObjectId, hashAlgorithmOf, LOG_REF, nonceTime, type EntryMeta } from './log-format.js';
import { readEntry, readEntryCertificate, readEntryObjects, readEntryRefs, readEntryUpdates, type LogEntry } from './log-entries.js';
import { identifyPusher } from './registration.js';

/** What a peer remembers after a successful verify, to verify only new entries next time. JSON-serialisable. */
export interface LogCheckpoint {
  version: 1;
  /** The last verified entry. */
  tip: string;
  /** The start entry: the trusted starting state this peer accepted. */
  start: { commit: string; time: number };
  /** How many entries the log had up to it (the start entry is entry 1). */
  entries: number;
  /** Every ref's value after that entry. */
  state: Record<string, string>;
  owner: string;
  /** The time of the last entry (entries never go back in time). */
  time: number;
  /** SHA-256 of every logged certificate's signed payload → the entry that used it. */
  certificates: Record<string, number>;
  /** When the checkpoint was written (ms), for people. */
  verifiedAt: number;
}

export interface LogProblem {
  /** The entry's position (the start entry is 1); null when the log could not be read far enough to count. */
  entry: number | null;
  commit: string;
  /** The refs the problem is about (every ref of the entry when it concerns the whole entry). */
  refs: string[];
  reason: string;
}

export interface LogNotice {
  entry: number;
  commit: string;
  message: string;
}

export interface VerifyLogOptions {
  store: ObjectStore;
  /** The log tip to verify (the remote's refs/heads/apps/push-log). */
  tip: string;
  /** The remote's refs now; the replay must end in exactly these (the log ref itself is ignored). Omit to skip. */
  refs?: ReadonlyMap<string, string> | Readonly<Record<string, string>>;
  /** What this peer verified before: the log must descend from it; only newer entries are checked (unless `full`). */
  since?: LogCheckpoint | null;
  /** Check every entry again, still requiring descent from `since`. */
  full?: boolean;
  /** "Now", for entries dated in the future. Default: the current time. */
  now?: Date;
  /** Largest accepted age of a certificate's nonce at judgement (default one hour: git accepts a nonce for receive.certNonceSlop seconds). */
  maxNonceAgeMs?: number;
  /** Progress: called as each push entry's signature and judgement are done. */
  onProgress?(done: number, of: number): void;
}

export interface VerifyLogResult {
  ok: boolean;
  tip: string;
  /** Entries in the log (start entry included). */
  entries: number;
  /** Entries checked by this run. */
  checked: number;
  problems: LogProblem[];
  notices: LogNotice[];
  /** The replayed state after the tip. */
  state: Record<string, string>;
  owner: string | null;
  /** The start entry (the trusted starting state): note it the first time, compare it with other peers. */
  start: { commit: string; time: number } | null;
  /** The checkpoint to keep when `ok`. */
  checkpoint: LogCheckpoint | null;
}

const CLOCK_SKEW_MS = 5 * 60_000;
const JUDGE_CONCURRENCY = 4;
/**
 * The longest a push can take from its judgement to its admission to the log: the hook stops itself after
 * 10 minutes, waiting for the lock included; one more minute of margin. A judgement time further back is not
 * one the hook made.
 */
export const MAX_JUDGEMENT_MS = 11 * 60_000;
const DEFAULT_MAX_NONCE_AGE_MS = 60 * 60_000;

export async function verifyLog(opts: VerifyLogOptions): Promise<VerifyLogResult> {
  const problems: LogProblem[] = [];
  const notices: LogNotice[] = [];
  const store = new LogObjects(opts.store);
  const since = opts.since ?? null;
  const fail = (entry: number | null, commit: string, refs: string[], reason: string) => problems.push({ entry, commit, refs, reason });
  let start: { commit: string; time: number } | null = since?.start ?? null;
  const result = (
    entries: number,
    checked: number,
    state: Map<string, string>,
    owner: string | null,
    cp: LogCheckpoint | null,
  ): VerifyLogResult => ({
    ok: problems.length === 0,
    tip: opts.tip,
    entries,
    checked,
    problems,
    notices,
    state: Object.fromEntries(state),
    owner,
    start,
    checkpoint: problems.length === 0 ? cp : null,
  });

  // 1. The chain of entries, newest first, back to the start entry (or to the checkpoint).
  const chain: LogEntry[] = [];
  let reachedSince = false;
  for (let cur: string | undefined = opts.tip; cur; ) {
    if (since && cur === since.tip) {
      reachedSince = true;
      if (!opts.full) break;
    }
    let e: LogEntry;
    try {
      e = await store.entry(cur);
    } catch (err) {
      fail(null, cur, [], `cannot read this log entry (${chain.length} after the tip): ${message(err)}`);
      return result(chain.length, 0, new Map(), null, null);
    }
    chain.push(e);
    cur = e.meta.previous;
  }
  if (since && !reachedSince) {
    fail(
      null,
      opts.tip,
      [],
      `the log does not descend from entry ${since.entries} (${since.tip}) that this clone verified before: it was rewritten or rolled back (the log now has ${chain.length} entr${chain.length === 1 ? 'y' : 'ies'})`,
    );
    return result(chain.length, 0, new Map(), null, null);
  }
  chain.reverse();

  // 2. The starting state.
  let state: Map<string, string>;
  let owner: string;
  let lastTime: number;
  let index: number;
  const certificates = new Map<string, number>();
  let todo: LogEntry[];
  if (since && !opts.full) {
    state = new Map(Object.entries(since.state));
    owner = since.owner;
    lastTime = since.time;
    index = since.entries;
    for (const [d, n] of Object.entries(since.certificates)) certificates.set(d, n);
    todo = chain;
  } else {
    const first = chain[0]!;
    start = { commit: first.commit, time: first.meta.time };
    index = 1;
    if (first.meta.kind !== 'start') {
      fail(1, first.commit, [], `the first entry is a ${first.meta.kind} entry without a previous entry, not the starting state`);
      return result(chain.length, 0, new Map(), null, null);
    }
    try {
      state = await readEntryRefs(store, first);
    } catch (err) {
      fail(1, first.commit, [], `cannot read the starting state: ${message(err)}`);
      return result(chain.length, 0, new Map(), null, null);
    }
    owner = first.meta.owner;
    lastTime = first.meta.time;
    if (state.has(LOG_REF)) fail(1, first.commit, [LOG_REF], 'the starting state lists the log branch itself');
    if (state.get(POLICY_REF) !== first.meta.policy)
      fail(
        1,
        first.commit,
        [POLICY_REF],
        `the starting state's policy branch is ${state.get(POLICY_REF) ?? 'absent'}, but the entry names ${first.meta.policy}`,
      );
    else {
      const recorded = await readPolicyTree(store, first.meta.policy).then(policyOwner, () => undefined);
      if (recorded === undefined) fail(1, first.commit, [POLICY_REF], `cannot read the starting policy ${first.meta.policy}`);
      else if (recorded !== null && recorded !== owner)
        fail(1, first.commit, [POLICY_REF], `the starting policy records the owner ${recorded}, but the log's owner is ${owner}`);
    }
    if (first.meta.time > (opts.now ?? new Date()).getTime() + CLOCK_SKEW_MS)
      fail(1, first.commit, [], 'the starting state is dated in the future');
    todo = chain.slice(1);
  }
  const total = index + todo.length;

  // 3. Every entry in order; the costly part of each push (signature, judgement) needs nothing from the
  // entries after it, so those run afterwards, several at a time, while git and openpgp overlap.
  const ctx = new Context(store, opts);
  // Judgements run while the replay goes on, at most JUDGE_CONCURRENCY at a time and as many waiting: each holds
  // its certificate, so memory stays bounded however long the log is.
  const pushes = todo.filter((e) => e.meta.kind === 'push').length;
  let judged = 0;
  const running = new Set<Promise<void>>();
  const schedule = async (judge: (() => Promise<void>) | null) => {
    if (!judge) {
      opts.onProgress?.(++judged, pushes);
      return;
    }
    while (running.size >= JUDGE_CONCURRENCY) await Promise.race(running);
    const p: Promise<void> = judge().finally(() => {
      running.delete(p);
      opts.onProgress?.(++judged, pushes);
    });
    running.add(p);
  };
  for (const e of todo) {
    index++;
    const refsOf = (us: RefUpdate[]) => us.map((u) => u.ref);
    let updates: RefUpdate[] = [];
    try {
      updates = (await readEntryUpdates(store, e)).updates;
    } catch (err) {
      fail(index, e.commit, [], `cannot read the entry's updates: ${message(err)}`);
    }
    const at = index; // the judgements run after the loop: bind the entry's number now
    const entryProblem = (reason: string, refs = refsOf(updates)) => fail(at, e.commit, refs, reason);

    if (e.meta.kind === 'start') entryProblem('a second starting state in the middle of the log');
    if (e.meta.time < lastTime) entryProblem(`dated ${iso(e.meta.time)}, before the previous entry (${iso(lastTime)})`);
    if (e.meta.time > (opts.now ?? new Date()).getTime() + CLOCK_SKEW_MS) entryProblem(`dated ${iso(e.meta.time)}, in the future`);
    if (e.meta.judgedAt !== undefined && (e.meta.judgedAt > e.meta.time || e.meta.time - e.meta.judgedAt > MAX_JUDGEMENT_MS)) {
      entryProblem(
        `judged at ${iso(e.meta.judgedAt)}, which is not within ${MAX_JUDGEMENT_MS / 60_000} minutes before the entry's time ${iso(e.meta.time)}`,
      );
    }
    lastTime = Math.max(lastTime, e.meta.time);
    const policyCommit = state.get(POLICY_REF);
    if (e.meta.policy !== policyCommit)
      entryProblem(`judged by the policy ${e.meta.policy}, but the policy in force was ${policyCommit ?? 'absent'}`);

    const seen = new Set<string>();
    for (const u of updates) {
      if (seen.has(u.ref)) entryProblem(`${u.ref} is updated twice in one entry`, [u.ref]);
      seen.add(u.ref);
      const was = state.get(u.ref);
      const old = isZeroOid(u.oldOid) ? undefined : u.oldOid;
      if (was !== old) {
        entryProblem(
          `the update's old value is ${old ?? 'absent (a creation)'}, but the log's replay has ${was ?? 'no such ref'}: the log misses an update of this ref, or this entry replays an old certificate`,
          [u.ref],
        );
      }
    }

    if (e.meta.kind === 'push' && updates.length > 0) {
      await schedule(await ctx.checkPush(e, index, updates, owner, policyCommit, certificates, entryProblem));
    }
    if (e.meta.kind === 'owner' && updates.length > 0) {
      const changed = await ctx.checkOwnerChange(e, updates, owner, policyCommit, entryProblem);
      notices.push({
        entry: index,
        commit: e.commit,
        message: `the server admin changed the owner from ${e.meta.previousOwner} to ${e.meta.owner}${changed ? '' : ' (the entry does not verify)'}`,
      });
      owner = e.meta.owner;
    }

    for (const u of updates) {
      if (isZeroOid(u.newOid)) state.delete(u.ref);
      else state.set(u.ref, u.newOid);
    }
  }

  await Promise.all(running);
  // Problems in log order (the judgements added theirs as they finished).
  problems.sort((a, b) => (a.entry ?? 0) - (b.entry ?? 0));

  // 4. The remote's refs must be the replay's.
  if (opts.refs) {
    const remote = new Map(opts.refs instanceof Map ? opts.refs : Object.entries(opts.refs));
    remote.delete(LOG_REF);
    const last = chain.length ? chain[chain.length - 1]!.commit : opts.tip;
    for (const ref of [...new Set([...remote.keys(), ...state.keys()])].sort()) {
      const have = remote.get(ref);
      const want = state.get(ref);
      if (have === want) continue;
      fail(
        total,
        last,
        [ref],
        `unlogged update: the remote has ${have ?? 'no such ref'}, the log's replay ends at ${want ?? 'no such ref'} (the ref moved without a log entry after entry ${total}, or its entry is missing)`,
      );
    }
  }

  const checkpoint: LogCheckpoint = {
    version: 1,
    tip: opts.tip,
    start: start!,
    entries: total,
    state: Object.fromEntries(state),
    owner,
    time: lastTime,
    certificates: Object.fromEntries(certificates),
    verifiedAt: (opts.now ?? new Date()).getTime(),
  };
  return result(total, todo.length + (since && !opts.full ? 0 : 1), state, owner, checkpoint);
}

/** Per-run caches: the policy (files, compiled, owner) per policy commit. */
class Context {
  private readonly policies = new Map<string, Promise<{ tree: PolicyTree; compiled: CompiledPolicy | Error; owner: string | null }>>();

  constructor(
    private readonly store: LogObjects,
    private readonly opts: VerifyLogOptions,
  ) {}

  policy(commit: string) {
    let p = this.policies.get(commit);
    if (!p) {
      p = readPolicyTree(this.store, commit).then((tree) => {
        let compiled: CompiledPolicy | Error;
        try {
          compiled = compileServerPolicy(tree);
        } catch (e) {
          compiled = e instanceof Error ? e : new Error(String(e));
        }
        return { tree, compiled, owner: policyOwner(tree) };
      });
      this.policies.set(commit, p);
    }
    return p;
  }

  async checkPush(
    e: LogEntry,
    index: number,
    updates: RefUpdate[],
    owner: string,
    policyCommit: string | undefined,
    certificates: Map<string, number>,
    problem: (reason: string, refs?: string[]) => void,
  ): Promise<(() => Promise<void>) | null> {
    const meta = e.meta;
    const judgedAt = meta.judgedAt ?? meta.time;
    if (meta.owner !== owner) problem(`judged with the owner ${meta.owner}, but the log's owner is ${owner}`);
    let cert: PushCertificate;
    try {
      cert = parsePushCert(await readEntryCertificate(this.store, e));
    } catch (err) {
      problem(message(err));
      return null;
    }
    const signed = new Set(cert.updates.map((u) => `${u.oldOid} ${u.newOid} ${u.ref}`));
    for (const u of updates) {
      if (!signed.has(`${u.oldOid} ${u.newOid} ${u.ref}`))
        problem(`the update ${u.oldOid} ${u.newOid} is not in the entry's signed push certificate`, [u.ref]);
    }
    if (cert.nonce === undefined || cert.nonce !== meta.nonce)
      problem(`the certificate's nonce ${JSON.stringify(cert.nonce ?? '')} is not the entry's ${JSON.stringify(meta.nonce ?? '')}`);
    else {
      const t = nonceTime(cert.nonce);
      const maxAge = this.opts.maxNonceAgeMs ?? DEFAULT_MAX_NONCE_AGE_MS;
      if (t === null) problem(`the certificate's nonce ${JSON.stringify(cert.nonce)} is not a nonce git issues (<time>-<hmac>)`);
      else if (t * 1000 > judgedAt + CLOCK_SKEW_MS)
        problem(`the certificate's nonce was issued at ${iso(t * 1000)}, after the push was judged (${iso(judgedAt)})`);
      else if (judgedAt - t * 1000 > maxAge)
        problem(
          `the certificate's nonce was issued at ${iso(t * 1000)}, ${Math.round((judgedAt - t * 1000) / 1000)} s before the push was judged: an old certificate`,
        );
    }
    const digest = await sha256Hex(signedBytes(cert));
    const usedBy = certificates.get(digest);
    if (usedBy !== undefined) {
      // Not judged again: the entry fails already, and a log that names one certificate in many entries
      // must not cost a signature check and a judgement each.
      problem(`the certificate was already used by entry ${usedBy}: a replayed certificate`);
      return null;
    }
    certificates.set(digest, index);

    if (!policyCommit) return null; // reported by the caller
    return () => this.judge(meta, cert, updates, owner, policyCommit, problem);
  }

  /** What pre-receive did: the pusher from the keys of the policy in force (and registration), then judgePush. */
  private async judge(
    meta: EntryMeta,
    cert: PushCertificate,
    updates: RefUpdate[],
    owner: string,
    policyCommit: string,
    problem: (reason: string, refs?: string[]) => void,
  ): Promise<void> {
    const judgedAt = meta.judgedAt ?? meta.time;
    let policy: { tree: PolicyTree; compiled: CompiledPolicy | Error; owner: string | null };
    try {
      policy = await this.policy(policyCommit);
    } catch (err) {
      problem(`cannot read the policy in force ${policyCommit}: ${message(err)}`);
      return;
    }
    if (policy.compiled instanceof Error) {
      problem(policy.compiled.message);
      return;
    }
    const recorded = policy.owner;
    if (recorded !== null && recorded !== owner)
      problem(`the policy in force records the owner ${recorded}, but the log's owner is ${owner}`);

    let userId: string;
    try {
      const tree = policy.tree;
      // The hook's own identification (registration.ts): the same keys, the same one registration candidate.
      const pusher = await identifyPusher({ store: this.store, policy: tree, updates, cert, date: new Date(judgedAt) });
      userId = pusher.userId;
      if (meta.pusher !== userId) problem(`the entry names the pusher ${meta.pusher}, but the certificate is signed by ${userId}`);
      const verdict = await judgePush({ store: this.store, updates, policy: tree, actor: { userId, ownerId: owner } }, policy.compiled);
      for (const p of verdict.problems) problem(p);
      for (const d of verdict.decisions) if (!d.allowed) problem(d.reason, [opRef(d.operation)]);
    } catch (err) {
      problem(message(err));
    }
  }

  /** An owner entry: the policy branch moves to a child that changes only `owner` (and adds the new owner's key). */
  async checkOwnerChange(
    e: LogEntry,
    updates: RefUpdate[],
    owner: string,
    policyCommit: string | undefined,
    report: (reason: string, refs?: string[]) => void,
  ): Promise<boolean> {
    let found = 0;
    const problem = (reason: string, refs?: string[]) => {
      found++;
      report(reason, refs);
    };
    const meta = e.meta;
    if (meta.previousOwner !== owner) problem(`the entry says the owner was ${meta.previousOwner}, but the log's owner is ${owner}`);
    const u = updates[0]!;
    if (updates.length !== 1 || u.ref !== POLICY_REF || isZeroOid(u.newOid) || isZeroOid(u.oldOid)) {
      problem(`an owner change updates exactly the policy branch ${POLICY_REF}`);
      return false;
    }
    try {
      if (!(await this.store.isAncestor(u.oldOid, u.newOid)))
        problem('the new policy does not descend from the policy in force', [POLICY_REF]);
      const oldTree = await this.store.commitTree(u.oldOid);
      const newTree = await this.store.commitTree(u.newOid);
      const keyPath = `keys/${meta.owner}.asc`;
      for (const c of await this.store.diffTrees(oldTree, newTree)) {
        const ok =
          c.path === OWNER_FILE ||
          (c.path === 'keys' && c.old?.kind === 'directory' && c.new?.kind === 'directory') ||
          (c.path === keyPath && !c.old);
        if (!ok) problem(`an owner change may change only ${OWNER_FILE} (and add ${keyPath}); it changes ${c.path}`, [POLICY_REF]);
      }
      const next = await readPolicyTree(this.store, u.newOid);
      if (policyOwner(next) !== meta.owner) problem(`the new policy does not record the owner ${meta.owner}`, [POLICY_REF]);
      try {
        compileServerPolicy(next);
      } catch (err) {
        problem(message(err), [POLICY_REF]);
      }
      if (policyCommit !== undefined) {
        const { checkChangedKeyFiles } = await import('./key-files.js');
        for (const p of await checkChangedKeyFiles(this.store, (await this.policy(policyCommit)).tree, next)) problem(p, [POLICY_REF]);
      }
    } catch (err) {
      problem(message(err), [POLICY_REF]);
    }
    return found === 0;
  }
}

function opRef(op: Operation): string {
  return op.type === 'ref' ? op.ref : op.branch;
}

/** The store, plus the tag objects the log keeps copies of (a deleted tag's object is not fetched by clones). */
class LogObjects implements ObjectStore {
  private readonly tags = new Map<string, string>();
  private readonly entries = new Map<string, LogEntry>();

  constructor(private readonly base: ObjectStore) {}

  /** Each `objects/` tree is read once, however many entries name it, and not kept: only its tag copies are. */
  private readonly objectTrees = new Set<string>();

  async entry(commit: string): Promise<LogEntry> {
    const e = this.entries.get(commit) ?? (await readEntry(this.base, commit, { objects: false }));
    this.entries.set(commit, e);
    if (e.objectsTree && !this.objectTrees.has(e.objectsTree)) {
      this.objectTrees.add(e.objectsTree);
      for (const o of await readEntryObjects(this.base, e.objectsTree, e.meta.kind))
        if (o.name.endsWith('.tag')) this.tags.set(o.name.slice(0, -4), o.oid);
    }
    return e;
  }

  resolveRef(ref: string) {
    return this.base.resolveRef(ref);
  }
  async readType(oid: string): Promise<ObjectType> {
    try {
      return await this.base.readType(oid);
    } catch (e) {
      if (this.tags.has(oid)) return 'tag';
      throw e;
    }
  }
  async peel(oid: string, depth = 0): Promise<{ oid: string; type: ObjectType }> {
    try {
      return await this.base.peel(oid);
    } catch (e) {
      const copy = this.tags.get(oid);
      if (!copy || depth > 64) throw e;
      const raw = await this.base.readBlob(copy);
      if ((await gitObjectId('tag', raw, hashAlgorithmOf(oid))) !== oid) throw new Error(`the log's copy of tag ${oid} is not that tag`);
      return this.peel(parseTag(raw, { hashBytes: oid.length === 64 ? 32 : 20 }).object, depth + 1);
    }
  }
  // The bounds callers ask for (the log's, the policy reader's) must reach the store: a hostile log chooses sizes.
  commitTree(oid: string, limit?: ReadLimit) {
    return this.base.commitTree(oid, limit);
  }
  readBlob(oid: string, limit?: ReadLimit) {
    return this.base.readBlob(oid, limit);
  }
  readObject(oid: string) {
    return this.base.readObject(oid);
  }
  readTree(oid: string, limit?: ReadLimit): Promise<TreeEntry[]> {
    return this.base.readTree(oid, limit);
  }
  diffTrees(a: string | null, b: string, options?: DiffOptions) {
    return this.base.diffTrees(a, b, options);
  }
  isAncestor(a: string, b: string) {
    return this.base.isAncestor(a, b);
  }
  close() {
    return this.base.close();
  }
}

async function sha256Hex(bytes: Uint8Array): Promise<string> {
  const d = new Uint8Array(await crypto.subtle.digest('SHA-256', bytes as Uint8Array<ArrayBuffer>));
  let s = '';
  for (const b of d) s += b.toString(16).padStart(2, '0');
  return s;
}

/** A time from the log, for people; one past what a Date holds (a hostile entry's) is printed as its number. */
function iso(ms: number): string {
  const d = new Date(ms);
  return Number.isNaN(d.getTime()) ? `${ms} ms after 1970` : d.toISOString();
}

function message(e: unknown): string {
  return oneLine(errorMessage(e), Infinity);
}

export type { EntryMeta };
