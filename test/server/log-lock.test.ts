/**
 * The push log's lock (log-lock.ts): taken when its name is free, taken over from a holder whose push is logged,
 * waited for while its holder runs, never spun on when its name cannot be read. And the short lock that takeovers
 * and releases share (`in-flight.break`): a breaker left by a dead process is broken, one held by a live process
 * is not, however old.
 */
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { afterEach, expect, test } from 'vitest';
import { recordPath, serialiseRecord, stateDir, type InflightRecord } from '../../src/server/inflight.js';
import { acquireLogLock, releaseRecord } from '../../src/server/log-lock.js';
import { tempDir } from '../support/env.js';

const dirs: string[] = [];
afterEach(() => {
  for (const d of dirs.splice(0)) fs.rmSync(d, { recursive: true, force: true });
});

function repo(): { gitDir: string; record: string; breaker: string } {
  const gitDir = tempDir('acl-lock-');
  dirs.push(gitDir);
  fs.mkdirSync(stateDir(gitDir), { recursive: true });
  const record = recordPath(gitDir);
  fs.writeFileSync(record, 'held\n');
  return { gitDir, record, breaker: `${record}.break` };
}

test('a breaker whose holder is dead is broken, and the release goes on', async () => {
  const { gitDir, record, breaker } = repo();
  const dead = spawnSync('true').pid!; // exited and reaped
  fs.writeFileSync(breaker, `${dead} 0123456789abcdef\n`);
  await releaseRecord(gitDir, Buffer.from('held\n'));
  expect(fs.existsSync(record)).toBe(false);
  expect(fs.existsSync(breaker)).toBe(false);
  expect(fs.readdirSync(path.dirname(record))).toEqual([]);
});

test('a breaker held by a live process is left alone however old it is; the release waits for it', async () => {
  const { gitDir, record, breaker } = repo();
  const mine = `${process.pid} fedcba9876543210\n`;
  fs.writeFileSync(breaker, mine);
  const hourAgo = new Date(Date.now() - 3600_000);
  fs.utimesSync(breaker, hourAgo, hourAgo);
  let done = false;
  const release = releaseRecord(gitDir, Buffer.from('held\n')).then(() => {
    done = true;
  });
  await new Promise((r) => setTimeout(r, 300));
  expect(done).toBe(false);
  expect(fs.readFileSync(breaker, 'utf8')).toBe(mine);
  expect(fs.existsSync(record)).toBe(true);
  fs.unlinkSync(breaker); // its holder is done
  await release;
  expect(fs.existsSync(record)).toBe(false);
});

const ENTRY = 'e'.repeat(40);
const push = (entry?: string): InflightRecord => ({
  holder: { pid: process.pid, start: null }, // running: this process
  kind: 'push',
  certificate: 'c'.repeat(40),
  ...(entry ? { entry, logParent: 'f'.repeat(40) } : {}),
});
/** Takes the lock in `gitDir` as a push of this process would, the previous holder's push logged when its entry is ENTRY. */
const acquire = (gitDir: string, timeoutMs = 60_000) =>
  acquireLogLock({
    gitDir,
    record: push(),
    timeoutMs,
    finished: async (r) => r.entry === ENTRY,
    recover: async () => {
      throw new Error('no holder here is stale');
    },
  });
const names = (gitDir: string) => fs.readdirSync(stateDir(gitDir)).sort();

test('the lock is taken when its name is free, and taken over from a holder whose push is logged', async () => {
  const { gitDir, record } = repo();
  fs.unlinkSync(record);
  const first = await acquire(gitDir);
  expect(fs.readFileSync(record)).toEqual(Buffer.from(serialiseRecord(push())));
  await first.update(push(ENTRY)); // admitted, its entry the log tip: post-receive's usual path leaves the record
  const second = await acquire(gitDir);
  expect(fs.readFileSync(record)).toEqual(Buffer.from(serialiseRecord(push())));
  expect(names(gitDir)).toEqual(['in-flight']); // no attempt, no breaker left behind
  await second.release();
  expect(names(gitDir)).toEqual([]);
});

test('a running holder whose push is not logged is waited for, and the wait ends with one line at its bound', async () => {
  const { gitDir, record } = repo();
  const held = serialiseRecord(push('d'.repeat(40)));
  fs.writeFileSync(record, held);
  await expect(acquire(gitDir, 300)).rejects.toThrow(
    `the push log is busy: process ${process.pid} has held ${record} for more than 0 s (acl.logWaitSeconds); push again`,
  );
  expect(fs.readFileSync(record)).toEqual(Buffer.from(held));
  expect(names(gitDir)).toEqual(['in-flight']);
});

test('a name that is taken but cannot be read (a dangling link) is not spun on: the wait ends at its bound', async () => {
  const { gitDir, record } = repo();
  fs.unlinkSync(record);
  fs.symlinkSync(path.join(gitDir, 'nowhere'), record);
  await expect(acquire(gitDir, 300)).rejects.toThrow(`the push log is busy (${record} cannot be read); push again`);
  expect(fs.readlinkSync(record)).toBe(path.join(gitDir, 'nowhere'));
  expect(names(gitDir)).toEqual(['in-flight']);
});
