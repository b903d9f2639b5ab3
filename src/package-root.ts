/** Where git-acl's own files live (dist/, hooks/, policies/), whatever the caller's working directory. */
import { fileURLToPath } from 'node:url';
import { dirname, resolve } from 'node:path';

/** dist/package-root.js sits one level below the package root. */
export const PACKAGE_ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..');
export const HOOK_ENTRY = resolve(PACKAGE_ROOT, 'dist/hook/main.js');
export const CLI_ENTRY = resolve(PACKAGE_ROOT, 'dist/cli/main.js');
export const POST_RECEIVE_ENTRY = resolve(PACKAGE_ROOT, 'dist/hook/post-receive.js');
/** What the hook scripts run: the loader that starts either hook from the bundle and its code cache (src/hook/start.ts). */
export const START_ENTRY = resolve(PACKAGE_ROOT, 'dist/hook/start.cjs');
export const POLICIES_DIR = resolve(PACKAGE_ROOT, 'policies');
