/**
 * The short lock that takeovers and releases of the push log's lock share (`in-flight.break`, log-lock.ts):
 * a breaker left by a dead process is broken, one held by a live process is not, however old.
 */
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { afterEach, expect, test } from 'vitest';
import { recordPath, stateDir } from '../../src/server/inflight.js';
import { releaseRecord } from '../../src/server/log-lock.js';
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
