/**
 * Watching the warm judges of a test server (src/hook/warm.ts): which wait, which run, and waiting for either.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { run } from './forge.js';

/** Where the judges of the repository `bare` wait. */
export const warmDirOf = (bare: string): string => path.join(bare, 'git-acl', 'warm');

/** The pids of the judges waiting for a push to `bare` (their requests FIFOs). */
export function judgesIn(bare: string): number[] {
  const dir = warmDirOf(bare);
  return (fs.existsSync(dir) ? fs.readdirSync(dir) : []).flatMap((f) => {
    const m = /^[0-9a-f]{16}-([0-9]+)\.rq$/.exec(f);
    return m ? [Number(m[1])] : [];
  });
}

/** The judge processes of `bare`, waiting or still starting. */
export function judgeProcesses(bare: string): number[] {
  return run('pgrep', ['-f', `start\\.cjs judge ${bare} `], {})
    .stdout.split('\n')
    .filter(Boolean)
    .map(Number);
}

export function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

/** Waits (polling, generously) until `ok()`; fails naming `what` after `ms`. */
export async function until(what: string, ok: () => boolean, ms = 20_000): Promise<void> {
  const end = Date.now() + ms;
  while (!ok()) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

/** Ends every judge of `bare` (one still starting too) and removes what they leave. */
export async function noJudges(bare: string): Promise<void> {
  await until('no judge', () => {
    const pids = judgeProcesses(bare);
    for (const pid of pids) process.kill(pid, 'SIGKILL');
    return pids.length === 0;
  });
  const dir = warmDirOf(bare);
  for (const f of fs.existsSync(dir) ? fs.readdirSync(dir) : []) fs.rmSync(path.join(dir, f));
}
