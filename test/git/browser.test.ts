/** The browser-safe entry of the git adapter bundles for a browser (given the `buffer` polyfill isomorphic-git documents). */
import { build } from 'esbuild';
import * as path from 'node:path';
import { expect, test } from 'vitest';
import { REPO_ROOT } from '../support/env.js';

const root = REPO_ROOT;

test('src/git/index.ts bundles for the browser with no Node built-in but `buffer`', async () => {
  const result = await build({
    entryPoints: [path.join(root, 'src/git/index.ts')],
    bundle: true,
    platform: 'browser',
    format: 'esm',
    write: false,
    external: ['buffer'],
    logLevel: 'silent',
    metafile: true,
  });
  expect(result.errors).toEqual([]);
  const inputs = Object.keys(result.metafile!.inputs);
  expect(inputs.some((i) => i.includes('isomorphic-git'))).toBe(true);
  expect(inputs.filter((i) => i.startsWith('src/')).sort()).toEqual([
    'src/core/messages.ts',
    'src/git/errors.ts',
    'src/git/headers.ts',
    'src/git/index.ts',
    'src/git/iso-store.ts',
    'src/git/limits.ts',
    'src/git/location.ts',
    'src/git/modes.ts',
    'src/git/names.ts',
    'src/git/objects.ts',
    'src/git/operations.ts',
    'src/git/overlay-fs.ts',
    'src/git/ref-updates.ts',
    'src/git/tree-diff.ts',
  ]);
});
