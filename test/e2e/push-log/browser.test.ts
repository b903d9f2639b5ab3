/** verifyLog is what a browser peer runs on a repository it fetched: it bundles for the browser with nothing from Node. */
import * as path from 'node:path';
import { expect, test } from 'vitest';
import * as esbuild from 'esbuild';

const SRC = path.resolve(path.dirname(new URL(import.meta.url).pathname), '../../../src');

test('src/push/verify-log.ts bundles for the browser without a Node built-in', async () => {
  const result = await esbuild.build({
    entryPoints: [path.join(SRC, 'push/verify-log.ts')],
    bundle: true,
    platform: 'browser',
    format: 'esm',
    write: false,
    logLevel: 'silent',
    // esbuild would inline the dynamic imports anyway; say so, so a Node-only module anywhere in the graph fails the build.
    splitting: false,
  });
  expect(result.errors).toEqual([]);
  const out = result.outputFiles[0]!.text;
  expect(out).toContain('verifyLog');
  expect(out).not.toMatch(/from\s*["']node:/);
  expect(out).not.toMatch(/require\(["'](fs|path|util|child_process|crypto|node:[a-z_]+)["']\)/);
}, 60_000);
