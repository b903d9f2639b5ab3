/**
 * The first code a git-acl hook's Node process runs (dist/hook/start.cjs, CommonJS: Node starts a CommonJS
 * entry faster than an ES module). `node start.cjs pre-receive|post-receive` runs that hook; `node start.cjs
 * warm` (from `git acl init`) only writes the code cache. The hook scripts in hooks/ call it.
 *
 * What it saves: a plain start (`node dist/hook/main.js`) resolves and compiles ~40 ES modules and openpgp's
 * 1.2 MB on every push. Here the hooks come as one bundle (dist/hook/bundle.cjs) compiled through `vm.Script`
 * with a V8 code cache: the bytecode V8 made on an earlier run, so this run skips most parsing and compiling.
 * openpgp and re2js come apart (below).
 *
 * Never running stale code:
 * - A cache file is named after the Node version, the CPU architecture and the options Node was started with
 *   (its command line and NODE_OPTIONS: what changes V8's flags), so runs that V8 would refuse each other's cache
 *   do not take turns rewriting one file. (V8's cachedDataVersionTag says the same, but needs node:v8 loaded at
 *   every start; V8 still checks the flags itself.) It starts with a header holding the SHA-256 of the exact bundle bytes it was made
 *   from and of its own payload. Any difference (another bundle, a truncated or altered file) is a
 *   miss: V8 itself only checks the source's length, so this check is what keeps an old bundle's bytecode out.
 * - V8 then checks the payload against its own version and flags and may still reject it (`cachedDataRejected`):
 *   also a miss. A miss compiles the bundle from source, exactly as without a cache, and writes a new cache at
 *   exit (a temporary file renamed into place, so readers see an old file or a whole new one, never half).
 * - What a cache holds: V8 caches the functions compiled when the cache is made, so a cache made after a push
 *   was judged to the end also holds the judging code (policy, signature, diff, rules), which would otherwise be
 *   compiled on every push: ~35 ms of CPU at 10 files. `git acl init` can only warm the modules, so its cache is
 *   marked not FULL, and so is one written after a rejected push; the first accepted push replaces it, once.
 * - openpgp and re2js are scripts of their own, dist/hook/openpgp.cjs and re2js.cjs, which the bundle requires by
 *   names this loader answers (hookRequire): compiled, each with a cache of its own made and checked exactly as the
 *   bundle's, only when a push needs them (openpgp: a certificate the fast path cannot vouch for, a policy push with
 *   key files; re2js: a pattern that is not a shape, core/pattern.ts). So the bundle's cache, which every push
 *   reads, holds none of their code, whichever push wrote it. Without a usable script the package itself is
 *   loaded: the same library, compiled each time.
 * - A cache file is only read if it is owned by this user or root and writable by nobody else, not through a
 *   symbolic link, in a directory of the same kind (server/cache-file.ts).
 * - Where: `dist/hook/cache/` next to the bundle, else `<GIT_DIR>/git-acl/cache/` (the install may be read-only
 *   to the user running the hook, e.g. a system-wide npm install). If neither can be written the hook runs from
 *   source each time: slower, never wrong.
 * - No bundle (or one V8 cannot compile): the plain ES-module hook, `dist/hook/main.js`. `GIT_ACL_HOOK_START`
 *   selects a path on purpose: `plain` (ES modules), `bundle` (the bundle without any cache); the tests run the
 *   same pushes through each and compare every line.
 *
 * Any failure here becomes the hook's one line (a rejected push for pre-receive, a warning for post-receive).
 */
import { createHash } from 'node:crypto';
import { closeSync, readFileSync, writeSync } from 'node:fs';
import { createRequire } from 'node:module';
import { basename, dirname, join, resolve } from 'node:path';
import { foreignFile, readCacheFile, writeCacheFile } from '../server/cache-file.js';
import { inheritHookChildren, startHookChildren } from '../server/early-children.js';
import { codeFiles, codeIdentity, identityHash, judgeStartEnv, notedWarmSeconds, warmTag } from '../server/warm-judge.js';
import { waitingJudges, waitForPush, warmDirReady, type TakenPush } from './warm.js';
import { hookIo, writeAllSync } from './io.js';
import { childProcess } from '../git/lazy-child-process.js';
import { killChildren } from '../git/exec.js';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { Script } from 'node:vm';

type Which = 'pre-receive' | 'post-receive' | 'warm' | 'judge';
type Bundle = {
  preReceive(): Promise<unknown>;
  postReceive(): Promise<unknown>;
  warm(): Promise<void>;
};

const SELF = fileURLToPath(import.meta.url);
const HERE = dirname(SELF);
const ROOT = resolve(HERE, '../..');
const BUNDLE = join(HERE, 'bundle.cjs');
type Apart = 'openpgp' | 're2js';
type Stem = 'bundle' | Apart;
const PLAIN: Record<Exclude<Which, 'warm'>, string> = {
  'pre-receive': join(HERE, 'main.js'),
  judge: join(HERE, 'main.js'),
  'post-receive': join(HERE, 'post-receive.js'),
};

const MAGIC = Buffer.from('git-acl v8cache2', 'latin1');
const HEADER = MAGIC.length + 32 + 4 + 32 + 4; // magic, sha256(bundle), payload length, sha256(payload), flags
/**
 * Flag: made after a push was judged to the end (an accepted pre-receive), so it holds the compiled code of
 * everything a push runs. A cache without it (written by `git acl init`, or after a rejection) holds the
 * modules but not the judging code that compiles lazily: the next accepted push replaces it, once.
 */
const FULL = 1;
/** Far above a real cache (~2 MB): a bigger file is not one of ours. */
const MAX_CACHE = 64 << 20;

/** CommonJS's own wrapper, so the bundle sees `require`, `module` and friends as if Node had loaded it. */
const WRAP_HEAD = '(function (exports, require, module, __filename, __dirname) { ';
const WRAP_TAIL = '\n})';

/** The cache file's name: what V8's cache depends on besides the source. */
export function cacheName(env: NodeJS.ProcessEnv = process.env, stem: Stem = 'bundle'): string {
  const options = createHash('sha256')
    .update(JSON.stringify([process.execArgv, env.NODE_OPTIONS ?? '']))
    .digest('hex')
    .slice(0, 8);
  return `${stem}-${process.version}-${process.arch}-${options}.v8cache`;
}

/**
 * The name this user reads and writes in a directory where the shared name belongs to another user (a
 * repository pushed to by several accounts): each keeps its own file instead of replacing the other's.
 */
function ownName(name: string): string {
  return name.replace(/\.v8cache$/, `.u${process.getuid?.() ?? 0}.v8cache`);
}

/** Where caches are looked for and written, in order. */
export function cacheDirs(env: NodeJS.ProcessEnv = process.env): string[] {
  const dirs = [join(HERE, 'cache')];
  if (env.GIT_DIR) dirs.push(resolve(env.GIT_DIR, 'git-acl', 'cache'));
  return dirs;
}

function sha256(b: Uint8Array): Buffer {
  return createHash('sha256').update(b).digest();
}

export interface CacheFile {
  payload: Buffer;
  full: boolean;
}

/** A valid cache file made from `bundleHash`, or null. Never throws. */
export function readCache(file: string, bundleHash: Buffer): CacheFile | null {
  try {
    // Believed only where nobody else could have put it (server/cache-file.ts): this is code the hook runs.
    const data = readCacheFile(dirname(file), basename(file), MAX_CACHE);
    if (!data || data.length < HEADER) return null;
    let at = 0;
    if (!data.subarray(at, (at += MAGIC.length)).equals(MAGIC)) return null;
    if (!data.subarray(at, (at += 32)).equals(bundleHash)) return null;
    const length = data.readUInt32LE(at);
    at += 4;
    const payloadHash = data.subarray(at, (at += 32));
    const flags = data.readUInt32LE(at);
    const payload = data.subarray(HEADER);
    if (payload.length !== length || !sha256(payload).equals(payloadHash)) return null;
    return { payload, full: (flags & FULL) !== 0 };
  } catch {
    return null;
  }
}

/** Writes a cache file atomically into the first directory that takes it; returns its path, or null. */
export function writeCache(dirs: string[], name: string, bundleHash: Buffer, payload: Buffer, full: boolean): string | null {
  const length = Buffer.alloc(4);
  length.writeUInt32LE(payload.length);
  const flags = Buffer.alloc(4);
  flags.writeUInt32LE(full ? FULL : 0);
  const data = Buffer.concat([MAGIC, bundleHash, length, sha256(payload), flags, payload]);
  for (const dir of dirs) {
    const written = writeCacheFile(dir, name, ownName(name), data);
    if (written) return written;
  }
  return null;
}

interface Loaded<T = Bundle> {
  /** What the script's top level put in `module.exports`. */
  exports: T;
  /** True when no cache was used: this run compiles everything from source. */
  miss: boolean;
  /** Set when a cache should be written at exit (a miss, or a cache that is not FULL). */
  produce?: (full: boolean) => string | null;
}

/**
 * What the bundle uses of each script at run time. A script that compiles and runs without exporting it (empty, cut
 * after its first line) is as unusable as one V8 cannot compile: without this check every push openpgp must judge
 * would be refused as a "malformed push certificate", and every pattern that is not a shape as an invalid regex,
 * naming a minified function.
 */
const OPENPGP_API = ['readKeys', 'readSignature', 'createMessage', 'verify', 'SignaturePacket'];
const USABLE: Record<Apart, (exports: unknown) => boolean> = {
  openpgp: (exports) => {
    const api = exports as Record<string, unknown> | null;
    return (
      typeof api === 'object' &&
      api !== null &&
      OPENPGP_API.every((name) => typeof api[name] === 'function') &&
      typeof api.enums === 'object'
    );
  },
  re2js: (exports) => typeof (exports as { RE2JS?: { compile?: unknown } } | null)?.RE2JS?.compile === 'function',
};

/**
 * Whether a script's exports are what the bundle uses. Reading them may throw: a script cut at a statement boundary
 * compiles and runs, but esbuild's export getters then name classes never defined (ReferenceError); as unusable as
 * one cut anywhere else.
 */
function usable(apart: Apart, exports: unknown): boolean {
  try {
    return USABLE[apart](exports);
  } catch {
    return false;
  }
}

/** The names the bundle requires them by (scripts/bundle.mjs), and what each is. */
const APART: Record<string, Apart> = { 'git-acl-openpgp': 'openpgp', 'git-acl-re2js': 're2js' };

/** Each script once the bundle asked for it (null: not usable, the package in node_modules served). */
const apartLoaded: Partial<Record<Apart, Loaded<unknown> | null>> = {};

/**
 * The `require` the bundle runs with: Node's, except for openpgp and re2js, each compiled from its script in
 * dist/hook/ with its own cache on first use. Without a usable script, the package itself: the same library,
 * compiled each time.
 */
function hookRequire(useCache: boolean): NodeJS.Require {
  const node = createRequire(BUNDLE);
  const require = ((id: string) => {
    const apart = Object.hasOwn(APART, id) ? APART[id]! : undefined;
    if (apart === undefined) return node(id);
    if (apartLoaded[apart] === undefined) {
      const file = join(HERE, `${apart}.cjs`);
      // A script that throws as it runs is as unusable as one V8 cannot compile: the package judges. Its error would
      // otherwise reach the pusher where the script is first needed, and for re2js that is inside a pattern's
      // compilation, reported as the owner's policy being broken.
      let loaded: Loaded<unknown> | null = null;
      try {
        loaded = compileScript<unknown>(file, apart, useCache, false, createRequire(file));
      } catch {
        loaded = null;
      }
      apartLoaded[apart] = loaded && usable(apart, loaded.exports) ? loaded : null;
    }
    return apartLoaded[apart]?.exports ?? node(apart);
  }) as NodeJS.Require;
  return Object.assign(require, { resolve: node.resolve, cache: node.cache, main: node.main, extensions: node.extensions });
}

/** Compiles and runs the bundle's top level, with a cache when `useCache`; null when there is no usable bundle. */
function loadBundle(useCache: boolean, forceMiss = false): Loaded | null {
  return compileScript<Bundle>(BUNDLE, 'bundle', useCache, forceMiss, hookRequire(useCache));
}

/** Compiles and runs a CommonJS script of ours (the bundle, openpgp, re2js) with its cache when `useCache`; null when it cannot. */
function compileScript<T>(file: string, stem: Stem, useCache: boolean, forceMiss: boolean, require: NodeJS.Require): Loaded<T> | null {
  let bytes: Buffer;
  try {
    bytes = readFileSync(file);
  } catch {
    return null;
  }
  const source = WRAP_HEAD + bytes.toString('utf8') + WRAP_TAIL;
  const bundleHash = useCache ? sha256(bytes) : undefined;
  const name = useCache ? cacheName(process.env, stem) : '';
  const dirs = useCache ? cacheDirs() : [];
  let cache: CacheFile | null = null;
  if (bundleHash && !forceMiss) {
    for (const dir of dirs) {
      cache =
        readCache(join(dir, name), bundleHash) ?? (foreignFile(join(dir, name)) ? readCache(join(dir, ownName(name)), bundleHash) : null);
      if (cache) break;
    }
  }
  const cachedData = cache?.payload;
  let script: Script;
  try {
    script = new Script(source, { filename: file, ...(cachedData ? { cachedData } : {}) });
  } catch {
    return null; // a script V8 cannot compile ran nothing: the plain path (or the package) is still safe to take
  }
  const hit = cachedData !== undefined && !script.cachedDataRejected;
  const mod = { exports: {} as T };
  const fn = script.runInThisContext() as (...a: unknown[]) => void;
  fn.call(mod.exports, mod.exports, require, mod, file, HERE);
  const loaded: Loaded<T> = { exports: mod.exports, miss: !hit };
  if (bundleHash && !(hit && cache?.full)) loaded.produce = (full) => writeCache(dirs, name, bundleHash, script.createCachedData(), full);
  return loaded;
}

function fail(which: Which, reason: string): void {
  const line =
    which === 'pre-receive' || which === 'judge'
      ? `git-acl: push rejected: ${reason}`
      : which === 'post-receive'
        ? `git-acl: warning: post-receive failed: ${reason}`
        : `git-acl: ${reason}`;
  hookIo.write(`${line.replace(/[\r\n]+/g, ' ')}\n`);
  process.exitCode = which === 'post-receive' ? 0 : 1;
}

function message(e: unknown): string {
  return e instanceof Error ? e.message : String(e);
}

async function start(which: Which): Promise<void> {
  const mode = process.env.GIT_ACL_HOOK_START;
  if (which === 'warm') {
    const loaded = loadBundle(true, true);
    if (!loaded) return fail(which, `no usable hook bundle at ${BUNDLE}; run npm run build`);
    await loaded.exports.warm();
    process.stdout.write(`${JSON.stringify({ cache: loaded.produce?.(false) ?? null })}\n`);
    return;
  }
  if (which === 'judge') return judge();
  // git's children first: they start while the hook's code is read and compiled (server/early-children.ts).
  if (which === 'pre-receive') {
    // Started by a script that looks for warm judges: one is started for the next push when this one ends.
    if (process.env.GIT_ACL_WARM === ownWarmTag()) nextJudgeAtExit();
    const gitDir = process.env.GIT_DIR ?? '.';
    if (!inheritHookChildren(gitDir, process.env)) startHookChildren(gitDir, process.env);
    process.once('exit', () => killChildren()); // also when the hook's code never loads
  }
  const loaded = mode === 'plain' ? null : loadBundle(mode !== 'bundle');
  await run(which, loaded);
}

/** Runs a hook from the bundle, or from the ES modules when there is none. */
async function run(which: Exclude<Which, 'warm'>, loaded: Loaded | null): Promise<void> {
  if (!loaded) {
    try {
      await import(pathToFileURL(PLAIN[which]).href);
    } catch (e) {
      const code = (e as { code?: string }).code;
      fail(
        which,
        code === 'ERR_MODULE_NOT_FOUND' ? `git-acl is not installed at ${ROOT}; run git acl init again` : `internal error: ${message(e)}`,
      );
    }
    return;
  }
  // Compiled from source: load what a push needs first, so that even a cache written after an early rejection holds
  // the modules' code (a module that fails to load fails where the hook needs it).
  if (loaded.miss && loaded.produce) await loaded.exports.warm().catch(() => undefined);
  // The hook's own exit paths all end here. A push accepted by pre-receive ran everything a push runs: its caches
  // are FULL. Otherwise a miss still leaves a cache (not FULL), and a cache that is not FULL stays as it is. The
  // scripts apart follow the same rule, when the push loaded them.
  process.once('exit', (code) => {
    const full = which !== 'post-receive' && code === 0;
    for (const script of [loaded, apartLoaded.openpgp, apartLoaded.re2js]) {
      if (!script?.produce || (!full && !script.miss)) continue;
      try {
        script.produce(full);
      } catch {
        // A cache is only ever an optimisation: whatever happens here must not touch the hook's answer.
      }
    }
  });
  await (which === 'post-receive' ? loaded.exports.postReceive() : loaded.exports.preReceive());
}

/**
 * `node start.cjs judge <git dir> <seconds>`: a warm judge (server/warm-judge.ts). Compiles and initialises the hook
 * as a push would, waits for one, then runs the pre-receive hook on it exactly as a started hook does, with the
 * push's environment, working directory, stdin and stderr.
 */
async function judge(): Promise<void> {
  const gitDir = process.argv[3] ?? '';
  const seconds = Number(process.argv[4]);
  if (!gitDir || !(seconds > 0) || typeof (process as unknown as { reallyExit?: unknown }).reallyExit !== 'function') return;
  // The identity its starter saw before starting it: Node read this very file before any line here ran, so an
  // identity taken only now could be that of a file replaced in between, and this process would judge with the code
  // it replaced. The starter's, taken before Node read anything, closes that gap (then each check below compares
  // with the files as they were before this process read them).
  const code = codeIdentity(codeFiles(HERE));
  if (process.argv[5] !== identityHash(code)) return;
  if (process.env.GIT_ACL_HOOK_START === 'plain') return;
  // The code caches are looked for and written where a hook of this repository looks (cacheDirs: next to the bundle,
  // else in the repository, for an install the hook cannot write to). The push's own environment replaces this.
  process.env.GIT_DIR = gitDir;
  const loaded = loadBundle(process.env.GIT_ACL_HOOK_START !== 'bundle');
  if (!loaded) return;
  await loaded.exports.warm();
  const taken = await waitForPush(gitDir, seconds, HERE, code);
  answerAtExit(taken);
  const pushGitDir = process.env.GIT_DIR ?? '.';
  startHookChildren(pushGitDir, process.env);
  process.once('exit', () => killChildren());
  await run('judge', loaded);
}

/**
 * A judge's last word: its status on the answers FIFO, once every exit handler ran (the children ended, a refused
 * push's lock given up, the caches written), then the next judge started. process.exit ends in reallyExit; a
 * process that ends any other way (killed) says nothing, which the script takes as a rejection.
 */
function answerAtExit(taken: TakenPush): void {
  hookIo.stdinFd = taken.stdinFd;
  let wrote = false;
  hookIo.write = (text) => {
    wrote = true;
    writeAllSync(taken.outFd, text);
  };
  const proc = process as unknown as { reallyExit: (code: number) => never };
  const reallyExit = proc.reallyExit;
  proc.reallyExit = (code: number) => {
    // Accepted only when the hook itself accepted (hook/main.ts marks it): any other way out with status 0 (a stray
    // process.exit(0), the wait's own exits) is a rejection.
    const accepted = code === 0 && (globalThis as Record<symbol, unknown>)[Symbol.for('git-acl.accepted')] === true;
    try {
      if (!accepted && !wrote) hookIo.write('git-acl: push rejected: the access check ended without a verdict\n');
      closeSync(taken.outFd);
      writeSync(taken.statusFd, `exit ${accepted ? 0 : 1}\n`);
      closeSync(taken.statusFd);
    } catch {
      // the script hears end-of-file: a rejection
    }
    startNextJudge();
    return reallyExit.call(process, code);
  };
}

let warmTagMemo: string | undefined;
/** This install's and Node's warm tag (real paths resolved and hashed once). */
function ownWarmTag(): string {
  warmTagMemo ??= warmTag(SELF, process.execPath);
  return warmTagMemo;
}

function nextJudgeAtExit(): void {
  process.once('exit', () => startNextJudge());
}

/**
 * Starts the judge for the next push, when the push's config allows it (acl.warmSeconds) and none waits already.
 * Detached, with no fd of this push: git waits for every holder of the hook's output to close it.
 */
function startNextJudge(): void {
  try {
    const seconds = notedWarmSeconds();
    const gitDir = resolve(process.env.GIT_DIR ?? '.');
    // The plain start (ES modules, for tests) has nothing a judge could load ahead; a judge takes its push through
    // /proc (Linux); it waits only in a directory of its own (warmDirReady).
    if (!seconds || process.env.GIT_ACL_HOOK_START === 'plain' || process.platform !== 'linux') return;
    if (!warmDirReady(gitDir) || waitingJudges(gitDir, ownWarmTag()).length > 0) return;
    childProcess()
      .spawn(process.execPath, [...process.execArgv, SELF, 'judge', gitDir, String(seconds), identityHash(codeIdentity(codeFiles(HERE)))], {
        detached: true,
        stdio: 'ignore',
        cwd: gitDir,
        env: judgeStartEnv(process.env),
      })
      .unref();
  } catch {
    // Only ever a head start for the next push.
  }
}

const which = process.argv[2] as Which;
if (process.argv[1] === SELF || process.argv[1] === SELF.replace(/\.cjs$/, '')) {
  if (which !== 'pre-receive' && which !== 'post-receive' && which !== 'warm' && which !== 'judge') {
    fail('warm', `usage: node ${SELF} pre-receive|post-receive|warm`);
  } else {
    start(which).catch((e: unknown) => fail(which, `internal error: ${message(e)}`));
  }
}
