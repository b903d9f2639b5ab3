/**
 * The hook scripts git-acl installs are the files in hooks/, with the Node
 * binary and git-acl's own entry points filled in as absolute, shell-quoted
 * paths. The first comment line marks a hook as git-acl's, so installing
 * again may replace it but a foreign hook is never overwritten.
 */
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { chmod, mkdir, readFile, writeFile } from 'node:fs/promises';
import { dirname, resolve } from 'node:path';
import { childrenTag } from './early-children.js';
import { warmTag } from './warm-judge.js';
import { CLI_ENTRY, HOOK_ENTRY, PACKAGE_ROOT, POST_RECEIVE_ENTRY, START_ENTRY } from '../package-root.js';

export type HookName = 'pre-receive' | 'post-receive' | 'pre-push';

/** The line that identifies a hook file as installed by git-acl. */
export function hookMark(name: HookName): string {
  return `# git-acl ${name} hook`;
}

export function hookScript(name: HookName, nodePath = process.execPath): string {
  const values: Record<string, string> = {
    NODE: nodePath,
    HOOK: HOOK_ENTRY,
    CLI: CLI_ENTRY,
    POSTRECEIVE: POST_RECEIVE_ENTRY,
    START: START_ENTRY,
    ROOT: PACKAGE_ROOT,
    CHILDREN: childrenTag(),
    WARM: warmTag(START_ENTRY, nodePath),
  };
  const template = readFileSync(resolve(PACKAGE_ROOT, 'hooks', name), 'utf8');
  return template.replace(/@([A-Z]+)@/g, (m, key: string) => (key in values ? shellQuote(values[key]!) : m));
}

/** What installHook did: wrote a new hook, replaced an older git-acl hook, found it current, or found someone else's. */
export type HookInstall = 'installed' | 'updated' | 'unchanged' | 'foreign';

/**
 * Makes `path` git-acl's `name` hook (executable), unless a hook git-acl did
 * not install is there: then nothing is written and the answer is `foreign`.
 */
export async function installHook(name: HookName, path: string): Promise<HookInstall> {
  const wanted = hookScript(name);
  const existing = await readFile(path, 'utf8').catch(() => null);
  if (existing !== null && !existing.includes(hookMark(name))) return 'foreign';
  let done: HookInstall = 'unchanged';
  if (existing !== wanted) {
    await mkdir(dirname(path), { recursive: true });
    await writeFile(path, wanted);
    done = existing === null ? 'installed' : 'updated';
  }
  await chmod(path, 0o755);
  return done;
}

function shellQuote(s: string): string {
  return `'${s.replace(/'/g, `'\\''`)}'`;
}

/**
 * Writes the hooks' V8 code cache for the Node running this (the one the hook scripts name), so the first push
 * does not pay for compiling: next to the bundle when the install is writable, else in the repository's
 * git-acl/cache/. Returns the line `git acl init` reports. A failure only costs the first push its speed.
 */
export function warmHookCache(gitDir: string): string {
  const env: NodeJS.ProcessEnv = { ...process.env, GIT_DIR: resolve(gitDir) };
  delete env.NODE_EXTRA_CA_CERTS;
  delete env.GIT_ACL_HOOK_START;
  const r = spawnSync(process.execPath, [START_ENTRY, 'warm'], { env, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
  let cache: string | null = null;
  try {
    cache = (JSON.parse(r.stdout.trim().split('\n').at(-1) ?? '') as { cache: string | null }).cache;
  } catch {
    // reported below
  }
  if (r.status === 0 && cache) return `hook code cache written: ${cache}`;
  const why = r.status === 0 ? 'no writable place for it' : (r.stderr.trim().split('\n')[0] ?? `exit ${r.status}`);
  return `hook code cache not written (${why}); the hook compiles from source until it can write one`;
}
