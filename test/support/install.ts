/**
 * A private copy of git-acl's built files, for tests that alter the hook's install or its caches
 * (test/e2e/hook-start.test.ts, test/e2e/attacks/openpgp-apart.test.ts): they never touch the dist/ other test
 * files run from.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { Forge, REPO_ROOT } from './forge.js';
import { tempDir } from './env.js';

/** A copy of git-acl as `npm install` leaves it: dist/ (without caches), hooks/, policies/, package.json; node_modules linked. */
export function privateInstall(): string {
  const dir = tempDir('git-acl-install-');
  fs.cpSync(path.join(REPO_ROOT, 'dist'), path.join(dir, 'dist'), {
    recursive: true,
    filter: (src) => !src.includes(`${path.sep}hook${path.sep}cache`),
  });
  for (const d of ['hooks', 'policies']) fs.cpSync(path.join(REPO_ROOT, d), path.join(dir, d), { recursive: true });
  fs.copyFileSync(path.join(REPO_ROOT, 'package.json'), path.join(dir, 'package.json'));
  fs.symlinkSync(path.join(REPO_ROOT, 'node_modules'), path.join(dir, 'node_modules'));
  return dir;
}

/**
 * A forge whose hooks and CLI run from a private install (privateInstall), on the shipped start whatever the suite
 * runs through (GIT_ACL_HOOK_START cleared): for tests that damage or inspect that install.
 */
export function forgeOnPrivateInstall(opts: { presets?: string[]; users?: string[] } = {}): { install: string; forge: Forge } {
  const install = privateInstall();
  const forge = Forge.create({ users: [], ...opts, cli: path.join(install, 'dist/cli/main.js') });
  delete forge.env.GIT_ACL_HOOK_START;
  return { install, forge };
}

/** The hook's start paths (src/hook/start.ts): ES modules, the bundle without a cache, the shipped bundle with its cache. */
export const START_PATHS = ['plain', 'bundle', 'cached'] as const;
export type StartPath = (typeof START_PATHS)[number];

/** Runs `fn` with the forge's hooks started on `path` (GIT_ACL_HOOK_START; `cached` is the default), then puts the setting back. */
export function withStartPath<T>(forge: Forge, path: StartPath, fn: () => T): T {
  const saved = forge.env.GIT_ACL_HOOK_START;
  if (path === 'cached') delete forge.env.GIT_ACL_HOOK_START;
  else forge.env.GIT_ACL_HOOK_START = path;
  try {
    return fn();
  } finally {
    if (saved === undefined) delete forge.env.GIT_ACL_HOOK_START;
    else forge.env.GIT_ACL_HOOK_START = saved;
  }
}
