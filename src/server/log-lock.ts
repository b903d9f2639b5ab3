/**
 * The push log's lock: the in-flight record file itself (inflight.ts).
 *
 * Why a lock from pre-receive to post-receive: git applies a push's ref
 * updates after pre-receive exits and runs post-receive after that, with no
 * lock of its own between pushes. If each post-receive appended on its own,
 * two pushes to one branch could be logged in the opposite order of their ref
 * updates (a log whose old values do not chain). Holding this lock from
 * admission (end of pre-receive) until the entry is in the log makes the log's
 * order the order in which refs moved, and lets pre-receive check, under the
 * lock, that the policy it judged by is still the policy in force and that
 * the certificate was never used before.
 *
 * Taking the lock is an atomic `link()` of a complete file (never a half-written
 * record). It is free again when
 * - its holder removes it (admin commands, post-receive's slow path, a push
 *   refused after admission), or
 * - the holder's prepared entry is the log tip (post-receive's usual path only
 *   moves the log ref; the next taker removes the file), or
 * - its holder is no longer running (killed, crashed, or git applied nothing
 *   and ran no post-receive): the taker first brings the log up to date with
 *   whatever of that push git applied (`recover`), or
 * - its holder is running but git has written every ref the push was judged
 *   for (`complete`): a client that stops reading its report keeps
 *   receive-pack, and so the lock, from reaching post-receive for as long as
 *   it stays connected, while all that is left of the push is to move the log
 *   ref to the prepared entry. The taker does that move (compare-and-swap, as
 *   post-receive would) and takes the lock.
 * Taking over and releasing go through a short second lock (`in-flight.break`)
 * so that two waiters never both remove one record.
 */
// Synchronous file calls: each is a few microseconds, and this runs on every push's critical path.
import { existsSync, linkSync, mkdirSync, readFileSync, renameSync, statSync, unlinkSync, writeFileSync } from 'node:fs';
import { randomBytes } from 'node:crypto';
import { isAlive, recordPath, serialiseRecord, stateDir, readRecord, type InflightRecord } from './inflight.js';

export const LOCK_TIMEOUT_MS = 60_000;
/** A breaker or unreadable record older than this, whose holder cannot be checked, is stale. */
const BREAKER_STALE_MS = 30_000;

export class LogBusyError extends Error {}

export interface LogLock {
  readonly path: string;
  record: InflightRecord;
  /** Rewrites the record (the lock stays held). */
  update(record: InflightRecord): Promise<void>;
  /** Removes the record if it is still this one. */
  release(): Promise<void>;
}

export interface AcquireOptions {
  gitDir: string;
  record: InflightRecord;
  timeoutMs?: number;
  /** Has this holder's push reached the log (its prepared entry is the log tip)? */
  finished(record: InflightRecord): Promise<boolean>;
  /** A holder stopped running with its record in place: log what its push applied. null: the record was unreadable. */
  recover(record: InflightRecord | null): Promise<void>;
  /**
   * A holder that is still running: has git written every ref of its push, so that only the log ref is left to
   * move? Then do that move (compare-and-swap) and return true; false leaves the holder to it. Called under the
   * breaker lock, with the record just read again. Absent: a running holder is always waited for.
   */
  complete?(record: InflightRecord): Promise<boolean>;
  /** A cheap test, outside the breaker lock, of whether `complete` could succeed (every judged ref at its new value). */
  applied?(record: InflightRecord): Promise<boolean>;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** This process's attempts (temporary records) and the locks it holds: for abandonLocks. */
const attempts = new Set<string>();
const held = new Map<LogLock, () => Uint8Array>();

/**
 * For a process that is being stopped before it could finish (the hook at its
 * timeout or on a signal; it exits with a refusal, so git applies nothing):
 * removes the temporary records of its attempts to take the lock and the
 * records of the locks it holds, if they are still its own. Synchronous, for
 * an 'exit' handler. Never call it on the way out of an accepted push: its
 * lock must outlive the hook, until git has written the refs.
 */
export function abandonLocks(): void {
  for (const tmp of attempts) {
    try {
      unlinkSync(tmp);
    } catch {
      // gone
    }
  }
  attempts.clear();
  for (const [lock, bytes] of held) {
    try {
      if (readFileSync(lock.path).equals(Buffer.from(bytes()))) unlinkSync(lock.path);
    } catch {
      // gone, or no longer ours
    }
  }
  held.clear();
}

export async function acquireLogLock(opts: AcquireOptions): Promise<LogLock> {
  const path = recordPath(opts.gitDir);
  mkdirSync(stateDir(opts.gitDir), { recursive: true });
  let mine = serialiseRecord(opts.record);
  const tmp = `${path}.tmp-${process.pid}-${randomBytes(6).toString('hex')}`;
  attempts.add(tmp);
  writeFileSync(tmp, mine);
  const deadline = Date.now() + (opts.timeoutMs ?? LOCK_TIMEOUT_MS);
  let delay = 2;
  try {
    for (;;) {
      // Usually the name is taken (the previous push's record stays for its next taker): no link bound to fail
      // then, whose exception costs more than the test in a cold hook. Taken meanwhile: the link fails as before.
      if (!existsSync(path)) {
        try {
          linkSync(tmp, path);
          break;
        } catch (e) {
          if ((e as NodeJS.ErrnoException).code !== 'EEXIST') throw e;
        }
      }
      const cur = readRecord(opts.gitDir);
      if (!cur) {
        // Released meanwhile: try again at once. A name that stays taken but cannot be read (a dangling link)
        // must not spin: the deadline still holds.
        if (Date.now() > deadline) throw new LogBusyError(`the push log is busy (${path} cannot be read); push again`);
        await sleep(1);
        continue;
      }
      let verdict: 'busy' | 'finished' | 'stale' | 'applied';
      if (cur.record === null) verdict = ageMs(path) > Math.max(BREAKER_STALE_MS, opts.timeoutMs ?? LOCK_TIMEOUT_MS) ? 'stale' : 'busy';
      else if (await opts.finished(cur.record)) verdict = 'finished';
      else if (!(await isAlive(cur.record.holder))) verdict = 'stale';
      else verdict = opts.applied && opts.complete && (await opts.applied(cur.record)) ? 'applied' : 'busy';
      if (verdict !== 'busy') {
        let done = true;
        await withBreaker(opts.gitDir, deadline, async () => {
          const again = readOrNull(path);
          if (!again || !again.equals(Buffer.from(cur.bytes))) return; // someone else dealt with it
          if (verdict === 'stale') await opts.recover(cur.record);
          // The log ref did not move as expected (the holder's post-receive got there first, or something else
          // moved it): leave the record to its holder.
          if (verdict === 'applied' && !(await opts.complete!(cur.record!))) done = false;
          else unlinkSync(path);
        });
        if (done) continue;
      }
      if (Date.now() > deadline) {
        const h = cur.record?.holder;
        throw new LogBusyError(
          `the push log is busy: ${h ? `process ${h.pid}` : 'another process'} has held ${path} for more than ${Math.round((opts.timeoutMs ?? LOCK_TIMEOUT_MS) / 1000)} s (acl.logWaitSeconds); push again`,
        );
      }
      await sleep(delay);
      delay = Math.min(delay * 2, 50);
    }
  } finally {
    try {
      unlinkSync(tmp);
    } catch {
      // linked and removed, or never written
    }
    attempts.delete(tmp);
  }
  const lock: LogLock = {
    path,
    record: opts.record,
    async update(record) {
      const next = serialiseRecord(record);
      const t = `${path}.tmp-${process.pid}-${randomBytes(6).toString('hex')}`;
      writeFileSync(t, next);
      renameSync(t, path);
      mine = next;
      lock.record = record;
    },
    async release() {
      held.delete(lock);
      await releaseRecord(opts.gitDir, mine);
    },
  };
  held.set(lock, () => mine);
  return lock;
}

/** Removes the record if its bytes are still `bytes` (a holder that finished releasing its own lock). */
export async function releaseRecord(gitDir: string, bytes: Uint8Array): Promise<void> {
  const path = recordPath(gitDir);
  await withBreaker(gitDir, Date.now() + LOCK_TIMEOUT_MS, async () => {
    const cur = readOrNull(path);
    if (cur && cur.equals(Buffer.from(bytes))) unlinkSync(path);
  });
}

/**
 * For a holder finishing its own push (post-receive's slow path): runs `fn` and removes the record, under the
 * breaker lock, only if the record is still `bytes`. False: it was taken over meanwhile (a waiter logged the push
 * and took the lock), and `fn` did not run: appending then could log the push a second time.
 */
export async function finishRecord(gitDir: string, bytes: Uint8Array, fn: () => Promise<void>): Promise<boolean> {
  const path = recordPath(gitDir);
  let mine = false;
  await withBreaker(gitDir, Date.now() + LOCK_TIMEOUT_MS, async () => {
    const cur = readOrNull(path);
    if (!cur || !cur.equals(Buffer.from(bytes))) return;
    mine = true;
    try {
      await fn();
    } finally {
      unlinkSync(path);
    }
  });
  return mine;
}

function ageMs(path: string): number {
  try {
    return Date.now() - statSync(path).mtimeMs;
  } catch {
    return 0;
  }
}

function readOrNull(path: string): Buffer | null {
  try {
    return readFileSync(path);
  } catch {
    return null;
  }
}

/**
 * Runs `fn` holding `in-flight.break`, a lock held only for the few milliseconds of a takeover or a release.
 * Each holder writes its pid and a token of its own. A breaker file is stale only when its holder is dead (or,
 * when the file names no pid, old): breaking it moves it aside first and puts back whatever was moved if it is
 * not the file judged stale, so that two waiters breaking the same stale file cannot remove a live one. A holder
 * removes the file only while it is still its own.
 */
async function withBreaker(gitDir: string, deadline: number, fn: () => Promise<void>): Promise<void> {
  const path = `${recordPath(gitDir)}.break`;
  const me = Buffer.from(`${process.pid} ${randomBytes(8).toString('hex')}\n`);
  let delay = 1;
  for (;;) {
    try {
      writeFileSync(path, me, { flag: 'wx' });
      break;
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'EEXIST') throw e;
    }
    const seen = readOrNull(path);
    const holder = Number((seen?.toString('utf8') ?? '').trim().split(' ')[0]);
    const known = Number.isInteger(holder) && holder > 0;
    const dead = known ? !(await isAlive({ pid: holder, start: null })) : false;
    if (seen && (dead || (!known && ageMs(path) > BREAKER_STALE_MS))) {
      const aside = `${path}.stale-${process.pid}-${randomBytes(6).toString('hex')}`;
      try {
        renameSync(path, aside);
      } catch {
        continue; // gone already
      }
      const moved = readOrNull(aside);
      if (moved && !moved.equals(seen)) {
        try {
          linkSync(aside, path); // someone else's live lock: put it back
        } catch {
          // taken again meanwhile
        }
      }
      try {
        unlinkSync(aside);
      } catch {
        // gone already
      }
      continue;
    }
    if (Date.now() > deadline) throw new LogBusyError(`the push log is busy (${path} is held); push again`);
    await sleep(delay);
    delay = Math.min(delay * 2, 20);
  }
  try {
    await fn();
  } finally {
    if (readOrNull(path)?.equals(me)) {
      try {
        unlinkSync(path);
      } catch {
        // gone already
      }
    }
  }
}
