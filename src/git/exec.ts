/**
 * Runs a program (git, or gpg for the front ends) to completion: the one
 * wrapper around short-lived children, used by the git store (diff-tree,
 * merge-base, for-each-ref), config reads, init and the CLI. The git store's
 * long-lived `cat-file --batch-command` is in cat-file.ts.
 */
import type { ChildProcess } from 'node:child_process';
import { childProcess } from './lazy-child-process.js';
import { oneLine } from '../core/messages.js';
import { GitProcessError, type ProcessOutcome } from './errors.js';
import type { InheritedChild } from './inherited-child.js';

/**
 * Every child process this room started (runCommand, the cat-file and
 * diff-tree batch processes) that has not exited yet. A process that must
 * stop at once (the hook at its timeout, or on a signal) kills them first:
 * a wedged git would otherwise outlive it, orphaned, holding files open and
 * the CPU busy. Children are killed by pid: git's commands here start no
 * processes of their own.
 */
// Shared through globalThis: the hook's loader (src/hook/start.ts) and the hook's bundle each hold a copy of this
// module, and the bundle's killChildren must also end the children the loader started (see prestartCommand).
const running: Set<ChildProcess> = ((globalThis as Record<symbol, unknown>)[Symbol.for('git-acl.children')] ??=
  new Set<ChildProcess>()) as Set<ChildProcess>;

/**
 * Children started before the code that uses them had loaded: the hook's loader starts the `git config` and `git
 * cat-file` children every pre-receive needs (src/server/early-children.ts), so that git starts them while Node
 * reads and compiles the hook. The code that would start such a child takes the early one instead (adoptChild),
 * but only when it would start exactly the same child: the same program, arguments, stdio and environment,
 * compared whole (childKey). Anything else starts its own, as without an early start, and the early one is killed
 * with the other children when the process ends. So an early start can change when a child starts, never what it
 * runs or what its answer means.
 */
export interface EarlyChild {
  key: string;
  /** Absent for a `git config` the hook's script ran (server/early-children.ts): only its outcome is here. */
  child?: ChildProcess | InheritedChild;
  /**
   * For a short-lived child (prestartCommand): its outcome, collected from the start as runCommand collects it.
   * Null when the outcome could not be read whole (then runCommand runs the command itself).
   */
  result?: Promise<RunResult | null>;
  /** The child could not be started ('error'): never adopted. */
  failed?: boolean;
}

const early: EarlyChild[] = ((globalThis as Record<symbol, unknown>)[Symbol.for('git-acl.early-children')] ??= []) as EarlyChild[];

/** What makes two spawns the same child: program, arguments, stdin, working directory and every variable of the environment. */
export function childKey(cmd: string, args: readonly string[], stdin: 'ignore' | 'pipe', env: NodeJS.ProcessEnv, cwd?: string): string {
  const vars = Object.entries(env)
    .filter(([, v]) => v !== undefined)
    .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
  return JSON.stringify([cmd, args, stdin, cwd ?? null, vars]);
}

/**
 * Whether `child` (and its pipes) keep this process running. An early child is unreferenced until it is adopted:
 * a hook that ends before asking for it (a failure to load, a refusal) must not wait for a `cat-file` that waits
 * for its input. An adopted child is referenced again, as one started by its user: whoever awaits its answer
 * must never see the process end first.
 */
export function referChild(child: ChildProcess | InheritedChild, on: boolean): void {
  for (const h of [child, child.stdin, child.stdout, child.stderr] as Array<{ ref?(): void; unref?(): void } | null>) {
    if (on) h?.ref?.();
    else h?.unref?.();
  }
}

/** Registers a child started early, for adoptChild. */
export function registerEarlyChild(e: EarlyChild): void {
  early.push(e);
}

/** The early child started as `key`, taken out of the list (each is adopted once), or undefined. */
export function adoptChild(key: string): EarlyChild | undefined {
  const i = early.findIndex((e) => e.key === key);
  return i < 0 ? undefined : early.splice(i, 1)[0];
}

/** Registers `child` until it exits (see killChildren). */
export function trackChild(child: ChildProcess): void {
  running.add(child);
  const done = () => running.delete(child);
  child.once('exit', done);
  child.once('error', done);
}

/** How many tracked children are still running. */
export function runningChildren(): number {
  return running.size;
}

/**
 * Kills every tracked child still running (SIGKILL by default: a hung git
 * may ignore gentler signals) and forgets them. Synchronous, so it can run
 * in an 'exit' handler. Returns how many were signalled.
 */
export function killChildren(signal: NodeJS.Signals = 'SIGKILL'): number {
  let n = 0;
  for (const child of running) {
    if (child.exitCode === null && child.signalCode === null && child.pid !== undefined) {
      try {
        process.kill(child.pid, signal);
        n++;
      } catch {
        // exited meanwhile
      }
    }
  }
  running.clear();
  return n;
}

export interface RunResult {
  /** The exit status; null when a signal ended the process. */
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: Buffer;
  /** stderr, trimmed. */
  stderr: string;
}

export interface RunOptions {
  cwd?: string;
  env?: NodeJS.ProcessEnv;
  /** Written to the child's stdin; without it stdin is /dev/null. */
  input?: string | Uint8Array;
}

/**
 * Exit statuses with a meaning. Some git commands answer "no" with status 1
 * rather than failing: `config --get` (no such key), `merge-base
 * --is-ancestor` (not an ancestor), `rev-parse --verify --quiet` (no such
 * object), `symbolic-ref --quiet` (not a symbolic ref).
 */
export const GitExit = { ok: 0, no: 1 } as const;

export function succeeded(r: RunResult): boolean {
  return r.code === GitExit.ok;
}

/** Status 1, the "no" of the commands above (never a signal: then `code` is null). */
export function answeredNo(r: RunResult): boolean {
  return r.code === GitExit.no;
}

/** `exit 128` or `killed by SIGKILL`. */
export function exitStatus(r: RunResult): string {
  return r.signal ? `killed by ${r.signal}` : `exit ${r.code}`;
}

/** Why a run failed, in one line: the last line git or gpg wrote on stderr, else the exit status. */
export function failureLine(r: RunResult): string {
  return r.stderr.split('\n').filter(Boolean).pop() ?? exitStatus(r);
}

export function outcomeOf(r: RunResult): ProcessOutcome {
  return { exitCode: r.code, signal: r.signal, stderr: r.stderr };
}

/** `env` (default: this process's) without the GIT_* variables that would point git at another repository. */
export function envWithoutGit(env: NodeJS.ProcessEnv = process.env): NodeJS.ProcessEnv {
  const out = { ...env };
  for (const k of Object.keys(out)) if (k.startsWith('GIT_')) delete out[k];
  return out;
}

export function runGit(args: string[], opts: RunOptions = {}): Promise<RunResult> {
  return runCommand('git', args, opts);
}

/** Rejects (GitProcessError) only when the program cannot be started; a non-zero exit is in `code`. */
export function runCommand(cmd: string, args: string[], opts: RunOptions = {}): Promise<RunResult> {
  if (opts.input === undefined) {
    const taken = adoptChild(childKey(cmd, args, 'ignore', opts.env ?? process.env, opts.cwd));
    if (taken?.result) {
      if (taken.child) referChild(taken.child, true);
      return taken.result.then((r) => r ?? collect(cmd, args, opts));
    }
  }
  return collect(cmd, args, opts);
}

/**
 * Starts what runCommand(cmd, args, opts) would run, now, for runCommand to take later (see EarlyChild). Only for
 * commands without input.
 */
export function prestartCommand(cmd: string, args: string[], opts: Omit<RunOptions, 'input'> = {}): void {
  let child: ChildProcess | undefined;
  const result = collect(cmd, args, opts, (c) => {
    child = c;
    referChild(c, false);
  });
  result.catch(() => undefined); // reported to whoever adopts it; an early child nobody takes fails silently
  registerEarlyChild({ key: childKey(cmd, args, 'ignore', opts.env ?? process.env, opts.cwd), child: child!, result });
}

function collect(cmd: string, args: string[], opts: RunOptions, started?: (child: ChildProcess) => void): Promise<RunResult> {
  return new Promise((resolve, reject) => {
    const child = childProcess().spawn(cmd, args, {
      cwd: opts.cwd,
      env: opts.env ?? process.env,
      stdio: [opts.input === undefined ? 'ignore' : 'pipe', 'pipe', 'pipe'],
    });
    trackChild(child);
    started?.(child);
    const out: Buffer[] = [];
    const err: Buffer[] = [];
    child.stdout!.on('data', (b: Buffer) => out.push(b));
    child.stderr!.on('data', (b: Buffer) => err.push(b));
    child.on('error', (e) => {
      // `git diff-tree`, but `gpg`: a git subcommand names what failed, an option does not.
      const what = args[0] !== undefined && !args[0].startsWith('-') ? `${cmd} ${args[0]}` : cmd;
      reject(new GitProcessError(`cannot run ${what}: ${oneLine(e.message)}`, args, undefined, cmd));
    });
    child.on('close', (code, signal) =>
      resolve({ code, signal, stdout: Buffer.concat(out), stderr: Buffer.concat(err).toString('utf8').trim() }),
    );
    if (child.stdin) {
      child.stdin.on('error', () => undefined); // the child may exit before reading its input; the exit code says why
      child.stdin.end(opts.input);
    }
  });
}

/** Runs git and returns stdout as text; throws (GitProcessError) with git's own message on failure. */
export async function gitText(args: string[], opts: RunOptions = {}): Promise<string> {
  const r = await runGit(args, opts);
  if (!succeeded(r)) throw new GitProcessError(`git ${args[0]} failed: ${failureLine(r)}`, args, outcomeOf(r));
  return r.stdout.toString('utf8');
}

/** The git command readHookConfig runs (also started early by the hook's loader: src/server/early-children.ts). */
export function hookConfigCommand(gitDir: string, env: NodeJS.ProcessEnv): [string[], RunOptions] {
  return [['config', '-z', '--get-regexp', '^(acl\\.|receive\\.denydelete)'], { env: { ...env, GIT_DIR: gitDir } }];
}

/**
 * Every value of the config keys the hook reads, in one git call: the server's `acl.*`, and git's own
 * `receive.denyDelete*` (deletions receive-pack would refuse after the hook). Keys are lower case; a key given
 * without a value reads as ''.
 */
export async function readHookConfig(gitDir: string, env: NodeJS.ProcessEnv = process.env): Promise<Map<string, string[]>> {
  const [args, opts] = hookConfigCommand(gitDir, env);
  const r = await runGit(args, opts);
  const map = new Map<string, string[]>();
  // No acl.* key at all, unless git could not access a config file: it reads such a file as empty, with a warning.
  if (answeredNo(r) && !/unable to access/.test(r.stderr)) return map;
  if (!succeeded(r)) throw new GitProcessError(`cannot read git config: ${failureLine(r)}`, args, outcomeOf(r));
  for (const item of r.stdout.toString('utf8').split('\0')) {
    if (!item) continue;
    const nl = item.indexOf('\n');
    const key = (nl < 0 ? item : item.slice(0, nl)).toLowerCase();
    const value = nl < 0 ? '' : item.slice(nl + 1);
    map.set(key, [...(map.get(key) ?? []), value]);
  }
  return map;
}
