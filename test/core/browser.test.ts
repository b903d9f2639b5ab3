/** src/core is the browser-safe `git-acl/core`: it bundles for the browser and imports nothing from Node. */
import { expect, test } from 'vitest';
import * as esbuild from 'esbuild';
import * as fs from 'node:fs';
import * as path from 'node:path';

const CORE = path.resolve(path.dirname(new URL(import.meta.url).pathname), '../../src/core');

test('bundles with esbuild for the browser, without errors or warnings', async () => {
  const result = await esbuild.build({
    entryPoints: [path.join(CORE, 'index.ts')],
    bundle: true,
    platform: 'browser',
    format: 'esm',
    write: false,
    logLevel: 'silent',
  });
  expect(result.errors).toEqual([]);
  expect(result.warnings).toEqual([]);
  const out = result.outputFiles[0]!.text;
  expect(out).toContain('parsePolicy');
  expect(out).not.toMatch(/from\s*["']node:/);
  expect(out).not.toMatch(/require\(["'](fs|path|util|node:[a-z]+)["']\)/);
}, 30_000);

test('no file in src/core imports a Node built-in or a package other than re2js', () => {
  for (const f of fs.readdirSync(CORE).filter((n) => n.endsWith('.ts'))) {
    const text = fs.readFileSync(path.join(CORE, f), 'utf8');
    const specifiers = [...text.matchAll(/(?:import|export)[^'"]*?from\s+['"]([^'"]+)['"]/g)].map((m) => m[1]!);
    for (const s of specifiers) {
      expect({ file: f, s, ok: s.startsWith('./') || s === 're2js' }).toEqual({ file: f, s, ok: true });
    }
    expect(text).not.toMatch(/['"]node:/);
    expect(text).not.toMatch(/\bprocess\.|\bBuffer\b|\brequire\(/);
  }
});
