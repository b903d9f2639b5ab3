/**
 * The git children every pre-receive starts: `git config` (the hook's settings) and the `git cat-file
 * --batch-command` the object store reads through, started before the hook's code is read and compiled, so that
 * they are ready when the hook first asks: docs/performance.md, "How the hook starts".
 *
 * Two ways, the first preferred:
 * - The hook's script starts them beside Node (hooks/pre-receive) and hands over their pipes: `git config`'s
 *   output, stderr and status on fd 3, cat-file's answers on fd 4 and its requests on fd 5, through two FIFOs the
 *   script made in git-acl/. Forking git from a small shell costs nothing here; from Node, each spawn held the hook
 *   ~2-5 ms and loading child_process more (inheritHookChildren).
 * - Otherwise Node's loader (src/hook/start.ts) starts them itself, from its still small process
 *   (startHookChildren).
 *
 * Either way the hook only takes an early child that is exactly the one it would start (git/exec.ts EarlyChild):
 * otherwise it starts its own, and the early ones are ended. So an early start can change when a child starts,
 * never what it runs or what its answer means. The script's children are taken only when the script says it runs
 * the commands this code would run (childrenTag, filled into the script by `git acl init`): a script installed by
 * another version of git-acl is never taken at its word.
 */
import { createHash } from 'node:crypto';
import { closeSync, fstatSync, lstatSync, unlinkSync } from 'node:fs';
import { Socket } from 'node:net';
import { childKey, hookConfigCommand, prestartCommand, referChild, registerEarlyChild, type RunResult } from '../git/exec.js';
import { prestartBatch } from '../git/cat-file.js';
import { InheritedChild } from '../git/inherited-child.js';
import { readPipe } from '../git/pipe-read.js';
import { locationFromEnv, storeEnv } from '../git/location.js';

/** Starts them for a pre-receive of `GIT_DIR=gitDir` with `env` (as hook/main.ts will call runPreReceive). Never throws. */
export function startHookChildren(gitDir: string, env: NodeJS.ProcessEnv): void {
  try {
    prestartCommand('git', ...hookConfigCommand(gitDir, env));
    prestartBatch('git', storeEnv(locationFromEnv(gitDir, env), env), 'command');
  } catch {
    // Only ever a head start: the hook starts what it needs itself.
  }
}

/** What hooks/pre-receive gives cat-file's environment beyond its own (the script's text must match: a test holds it). */
export const SCRIPT_CAT_FILE_ENV: Readonly<Record<string, string | undefined>> = {
  GIT_NO_REPLACE_OBJECTS: '1',
  GIT_TERMINAL_PROMPT: '0',
  GIT_PAGER: 'cat',
  GIT_EXTERNAL_DIFF: undefined,
};

/** The cat-file command hooks/pre-receive runs. */
export const SCRIPT_CAT_FILE_ARGS: readonly string[] = ['cat-file', '--batch-command'];

/**
 * Names what the script runs and how it hands it over: the config command, the cat-file command and environment,
 * and the fds. Filled into hooks/pre-receive by `git acl init`; a script whose tag differs is not taken at its word.
 */
export function childrenTag(): string {
  const [configArgs] = hookConfigCommand('.', {});
  const what = JSON.stringify(['fd3 config, fd4 answers, fd5 requests', configArgs, SCRIPT_CAT_FILE_ARGS, SCRIPT_CAT_FILE_ENV]);
  return createHash('sha256').update(what).digest('hex').slice(0, 16);
}

/**
 * `git config`'s outcome as the script writes it: its output (NUL-terminated items, never empty), a NUL, `exit <n>`
 * and a LF, then its stderr. Null when it is not whole (cut short, or not the script's): runCommand then runs it.
 */
export function parseScriptConfig(b: Buffer): RunResult | null {
  let i = 0;
  while (i < b.length && b[i] !== 0) {
    const z = b.indexOf(0, i);
    if (z < 0) return null;
    i = z + 1;
  }
  if (i >= b.length) return null;
  const nl = b.indexOf(0x0a, i);
  if (nl < 0) return null;
  const status = /^exit (0|[1-9][0-9]{0,2})$/.exec(b.toString('latin1', i + 1, nl));
  if (!status) return null;
  return { code: Number(status[1]), signal: null, stdout: b.subarray(0, i), stderr: b.toString('utf8', nl + 1).trim() };
}

/**
 * Takes the children hooks/pre-receive started (see above) when GIT_ACL_HOOK_CHILDREN names this code's tag and
 * the FIFOs, and fds 4 and 5 are those FIFOs; true when it did. The FIFOs are unlinked first thing: both ends are
 * open by the time Node runs. When the tag differs, the pipes are closed (the script's children end) and false says
 * to start them here. Never throws.
 */
export function inheritHookChildren(gitDir: string, env: NodeJS.ProcessEnv): boolean {
  const named = env.GIT_ACL_HOOK_CHILDREN;
  if (!named) return false;
  const colon = named.indexOf(':');
  const stem = named.slice(colon + 1);
  // The variable alone proves nothing (a script of an older install passes on whatever its environment held): only
  // fds that are the named FIFOs were given by the script. Else fds 3-5 are this process's own (libuv's epoll and
  // signal pipe) and the named files someone else's: none is closed, none unlinked.
  if (colon < 0 || !givenByScript(stem)) return false;
  for (const end of ['.in', '.out']) {
    try {
      unlinkSync(stem + end);
    } catch {
      // gone already
    }
  }
  try {
    if (named.slice(0, colon) !== childrenTag()) {
      for (const fd of [3, 4, 5]) closeQuietly(fd);
      return false;
    }
    // The script's `git config` ran with GIT_DIR as it found it; this code's sets it (to '.' when unset), and git
    // finds a repository by itself differently (safe.directory): then its answer is not this code's.
    if (env.GIT_DIR === gitDir) {
      const [configArgs, configOptions] = hookConfigCommand(gitDir, env);
      const result = readPipe(3, () => new Socket({ fd: 3, readable: true, writable: false }), true)
        .then(parseScriptConfig)
        .catch(() => null);
      registerEarlyChild({ key: childKey('git', configArgs, 'ignore', configOptions.env ?? env, configOptions.cwd), result });
    } else closeQuietly(3);
    const catEnv: NodeJS.ProcessEnv = { ...env };
    for (const [k, v] of Object.entries(SCRIPT_CAT_FILE_ENV)) {
      if (v === undefined) delete catEnv[k];
      else catEnv[k] = v;
    }
    const child = new InheritedChild(4, 5);
    referChild(child, false);
    registerEarlyChild({ key: childKey('git', [...SCRIPT_CAT_FILE_ARGS], 'pipe', catEnv), child });
    return true;
  } catch {
    return false;
  }
}

/** fd 5 is the requests FIFO `<stem>.in` opened for writing, fd 4 the answers FIFO `<stem>.out`, fd 3 a pipe. */
function givenByScript(stem: string): boolean {
  try {
    for (const [fd, path] of [
      [5, `${stem}.in`],
      [4, `${stem}.out`],
    ] as const) {
      const open = fstatSync(fd, { bigint: true });
      const named = lstatSync(path, { bigint: true });
      if (!open.isFIFO() || !named.isFIFO() || open.dev !== named.dev || open.ino !== named.ino) return false;
    }
    return fstatSync(3).isFIFO();
  } catch {
    return false;
  }
}

function closeQuietly(fd: number): void {
  try {
    closeSync(fd);
  } catch {
    // not open
  }
}
