/**
 * The warm judge's protocol (docs/performance.md, "The warm judge"): what hooks/pre-receive and a waiting judge
 * (src/hook/warm.ts) agree on, and how a judge is started.
 *
 * A warm judge is a pre-receive hook process started ahead of the push it will judge: Node up, the bundle compiled,
 * the modules initialised, waiting in `<GIT_DIR>/git-acl/warm/` on two FIFOs, `<tag>-<pid>.rq` (requests) and
 * `<tag>-<pid>.st` (its answers; it holds it open for writing, so its readers see end-of-file when it dies). The
 * script claims one (`<tag>-<pid>.claim`, created exclusively), sends its own pid and receive-pack's, and the judge
 * takes the push's environment and working directory from /proc/<pid>, and its stdin and stderr there as fds 3 and 4, says `taken`, judges exactly
 * as the hook does, and says `exit <status>` before it ends. Each judge takes one push and ends; the one that
 * judged starts the next. A judge nobody took within `acl.warmSeconds` ends by itself.
 *
 * It never judges with code other than what the hook would load: it compares the files it was compiled from (and
 * the Node binary) with the ones on disk before taking a push, and the script only looks for judges of its own tag.
 */
import { createHash } from 'node:crypto';
import { realpathSync, statSync } from 'node:fs';
import { join, resolve } from 'node:path';

/** Where the judges wait, under the repository's git-acl/. */
export function warmDir(gitDir: string): string {
  return resolve(gitDir, 'git-acl', 'warm');
}

/**
 * Names the protocol and the install: filled into hooks/pre-receive by `git acl init`; a script with another tag never
 * finds this code's judges, and this code never takes a request that names another. `start` (the install's
 * dist/hook/start.cjs) and `node` (the Node binary) are part of it, by their real paths: a judge checks only its own
 * files (codeIdentity), so without them a judge of an install the hook no longer names (git-acl or Node installed
 * elsewhere, `git acl init` run from there) would go on taking pushes, and starting judges of its own code.
 */
export function warmTag(start: string, node: string): string {
  const what = JSON.stringify([
    'warm judge 2',
    'rq: "<pid> <receive-pack pid> <tag>\\n"',
    'st: "taken\\n" then "exit <n>\\n"; stdin /proc/<pid>/fd/3; lines /proc/<pid>/fd/4; env /proc/<pid>/environ',
    realOr(start),
    realOr(node),
  ]);
  return createHash('sha256').update(what).digest('hex').slice(0, 16);
}

function realOr(path: string): string {
  try {
    return realpathSync(path);
  } catch {
    return resolve(path);
  }
}

/** `acl.warmSeconds`: how long a judge waits for a push (default 60; 0 starts none; at most an hour). */
export const WARM_SECONDS_DEFAULT = 60;
export const WARM_SECONDS_MAX = 3600;

export function warmSeconds(value: string | undefined): number {
  if (value === undefined) return WARM_SECONDS_DEFAULT;
  if (!/^(0|[1-9][0-9]{0,6})$/.test(value.trim())) return WARM_SECONDS_DEFAULT;
  return Math.min(Number(value), WARM_SECONDS_MAX);
}

// Shared through globalThis: the bundle (runPreReceive) reads the setting, the loader (hook/start.ts) starts the
// next judge at exit; each holds a copy of this module.
const NOTED = Symbol.for('git-acl.warm-seconds');

/** Records the judged push's `acl.warmSeconds` for the loader (see above). */
export function noteWarmSeconds(seconds: number): void {
  (globalThis as Record<symbol, unknown>)[NOTED] = seconds;
}

/** The setting the push's config gave, or undefined when the hook did not get that far (then no judge is started). */
export function notedWarmSeconds(): number | undefined {
  const n = (globalThis as Record<symbol, unknown>)[NOTED];
  return typeof n === 'number' ? n : undefined;
}

/**
 * What identifies the code a judge runs: each file's device, inode, size, modification and change time. Any
 * rebuild or reinstall changes one of them (a change time cannot be set back), so a judge that finds another
 * identity than the one it started with refuses the push it was offered, and the hook runs from disk.
 */
export function codeIdentity(files: readonly string[]): string {
  const parts: string[] = [];
  for (const f of files) {
    try {
      const s = statSync(f, { bigint: true });
      parts.push(`${f}:${s.dev}:${s.ino}:${s.size}:${s.mtimeNs}:${s.ctimeNs}`);
    } catch {
      parts.push(`${f}:-`);
    }
  }
  return parts.join('\n');
}

/** What a judge's starter passes it: its code's identity (codeIdentity) as the starter saw it, hashed. */
export function identityHash(code: string): string {
  return createHash('sha256').update(code).digest('hex');
}

/** The files a judge's code comes from, in the install's dist/hook/ (`here`), with the Node binary. */
export function codeFiles(here: string): string[] {
  return [process.execPath, ...['start.cjs', 'bundle.cjs', 'openpgp.cjs', 're2js.cjs'].map((f) => join(here, f))];
}

/**
 * The environment a judge starts with: this process's, without the push's own variables (git's, which the judge
 * replaces with the next push's) and without what the hook script clears for any hook Node. GIT_ACL_HOOK_START stays:
 * a judge takes only pushes that ask for the start path it took (hook/warm.ts sameStart).
 */
export function judgeStartEnv(env: NodeJS.ProcessEnv): NodeJS.ProcessEnv {
  const out: NodeJS.ProcessEnv = {};
  for (const [k, v] of Object.entries(env)) {
    if ((k.startsWith('GIT_') && k !== 'GIT_ACL_HOOK_START') || HOOK_CLEARED.includes(k)) continue;
    out[k] = v;
  }
  return out;
}

/** What hooks/pre-receive unsets before it starts Node (a test holds the script to it). */
export const HOOK_CLEARED: readonly string[] = [
  'NODE_EXTRA_CA_CERTS',
  'NODE_V8_COVERAGE',
  'NODE_DEBUG',
  'NODE_DEBUG_NATIVE',
  'NODE_REDIRECT_WARNINGS',
  'NODE_PENDING_DEPRECATION',
  'NODE_TLS_REJECT_UNAUTHORIZED',
  'NODE_COMPILE_CACHE',
  'NODE_PATH',
];

/**
 * The environment a judge runs the push with: the script's, as git gave it (/proc/<pid>/environ), changed as the
 * script changes it for the Node it starts (hooks/pre-receive).
 */
export function pushEnv(environ: Buffer, receivePack: number): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {};
  for (const item of environ.toString('utf8').split('\0')) {
    if (!item) continue;
    const eq = item.indexOf('=');
    if (eq <= 0) continue;
    env[item.slice(0, eq)] = item.slice(eq + 1);
  }
  for (const k of [...HOOK_CLEARED, 'GIT_ACL_HOOK_CHILDREN', 'GIT_ACL_WARM']) delete env[k];
  env.GIT_ACL_RECEIVE_PACK = String(receivePack);
  env.NODE_NO_WARNINGS = '1';
  return env;
}
