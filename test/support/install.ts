/**
 * A private copy of git-acl's built files, for tests that alter the hook's install or its caches
 * (test/e2e/hook-start.test.ts, test/e2e/attacks/openpgp-apart.test.ts): they never touch the dist/ other test
 * files run from.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { REPO_ROOT } from './forge.js';
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
