/**
 * The dependency rule of docs/architecture.md: the rooms of src/ are layered
 * core → git → identity → push → server, and the front ends (hook, cli, demo)
 * sit on top. A room imports only from itself and the rooms below it; the
 * library entry (src/index.ts) imports no front end. Every static import and
 * export, and every dynamic import() of a literal path, is checked.
 */
import { expect, test } from 'vitest';
import * as fs from 'node:fs';
import * as path from 'node:path';

const SRC = path.resolve(path.dirname(new URL(import.meta.url).pathname), '../../src');

/** What each room may import from src/ (itself included). */
const ALLOWED: Record<string, readonly string[]> = {
  core: ['core'],
  git: ['core', 'git'],
  identity: ['core', 'git', 'identity'],
  push: ['core', 'git', 'identity', 'push'],
  server: ['core', 'git', 'identity', 'push', 'server', 'package-root.ts'],
  hook: ['core', 'git', 'identity', 'push', 'server', 'hook'],
  cli: ['core', 'git', 'identity', 'push', 'server', 'cli', 'package-root.ts'],
  demo: ['core', 'demo', 'package-root.ts'],
  // The Node entry is the browser entry plus what needs Node.
  'index.ts': ['core', 'git', 'identity', 'push', 'server', 'browser.ts'],
  // The browser entry: no server (Node-only), and nothing of git/ or push/ that loads node:* (a test bundles it for a browser).
  'browser.ts': ['core', 'git', 'identity', 'push'],
  'package-root.ts': [],
};

/** The room of a path under src/: its first directory, or the file itself at the top. */
function roomOf(file: string): string {
  return path.relative(SRC, file).split(path.sep)[0]!;
}

/** Relative specifiers of every import, export ... from, and import('...') in a module's text. */
function specifiers(text: string): string[] {
  const out: string[] = [];
  for (const m of text.matchAll(/(?:^|[;\s])(?:import|export)\s[^'"]*?\bfrom\s*['"]([^'"]+)['"]/g)) out.push(m[1]!);
  for (const m of text.matchAll(/(?:^|[;\s])import\s*['"]([^'"]+)['"]/g)) out.push(m[1]!);
  for (const m of text.matchAll(/\bimport\(\s*['"]([^'"]+)['"]\s*\)/g)) out.push(m[1]!);
  return out;
}

/** `file imports target` lines that break the rule, for a module at `file` with `text`. */
function violations(file: string, text: string): string[] {
  const from = roomOf(file);
  const allowed = ALLOWED[from];
  if (allowed === undefined) return [`${path.relative(SRC, file)}: room ${from} is not in the dependency rule`];
  const bad: string[] = [];
  for (const s of specifiers(text)) {
    if (!s.startsWith('.')) continue;
    const to = roomOf(path.resolve(path.dirname(file), s.replace(/\.js$/, '.ts')));
    if (!allowed.includes(to)) bad.push(`${path.relative(SRC, file)} imports ${s} (${from} may not import ${to})`);
  }
  return bad;
}

function sources(dir: string): string[] {
  return fs.readdirSync(dir, { withFileTypes: true }).flatMap((e) => {
    const p = path.join(dir, e.name);
    return e.isDirectory() ? sources(p) : e.name.endsWith('.ts') ? [p] : [];
  });
}

test('every module of src/ imports only from its own room and the rooms below it', () => {
  const files = sources(SRC);
  expect(files.length).toBeGreaterThan(40);
  expect(files.flatMap((f) => violations(f, fs.readFileSync(f, 'utf8')))).toEqual([]);
});

test('the library entry and the adapters reach neither the hook process nor the CLI', () => {
  for (const room of ['index.ts', 'core', 'git', 'identity', 'push', 'server']) {
    expect(ALLOWED[room]).not.toContain('hook');
    expect(ALLOWED[room]).not.toContain('cli');
  }
});

test('the check sees static, re-exported and dynamic imports that go the wrong way', () => {
  const file = path.join(SRC, 'git', 'example.ts');
  const text = [
    "import { a } from '../push/judge.js';",
    "import type { B } from '../cli/args.js';",
    "export { c } from '../hook/main.js';",
    "const { d } = await import('../server/init.js');",
    "import './names.js';",
    "import { e } from '../core/index.js';",
    "import { f } from 'isomorphic-git';",
  ].join('\n');
  expect(violations(file, text)).toEqual([
    'git/example.ts imports ../push/judge.js (git may not import push)',
    'git/example.ts imports ../cli/args.js (git may not import cli)',
    'git/example.ts imports ../hook/main.js (git may not import hook)',
    'git/example.ts imports ../server/init.js (git may not import server)',
  ]);
  expect(violations(path.join(SRC, 'index.ts'), "export * from './cli/main.js';")).toEqual([
    'index.ts imports ./cli/main.js (index.ts may not import cli)',
  ]);
});
