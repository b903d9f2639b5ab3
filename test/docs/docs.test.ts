/**
 * The docs stay true: the library reference lists every runtime export, its
 * code snippets are the example files the tests run, what they print is what
 * the docs say, local links lead somewhere, the client setup is written the
 * same everywhere, and the repository stands on its own.
 */
import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { beforeAll, describe, expect, test } from 'vitest';
import { REPO_ROOT, ensureBuilt } from '../support/env.js';

const read = (p: string): string => fs.readFileSync(path.join(REPO_ROOT, p), 'utf8');
const LIBRARY = 'docs/library.md';

beforeAll(() => ensureBuilt(), 120_000);

/** The part of a Markdown text from the heading `from` to the next heading of the same level (or the end). */
function section(text: string, from: string): string {
  const start = text.indexOf(`\n${from}\n`);
  expect(start, `heading ${from}`).toBeGreaterThanOrEqual(0);
  const level = /^#+/.exec(from)![0];
  const rest = text.slice(start + from.length + 2);
  const next = rest.search(new RegExp(`^${level} `, 'm'));
  return next < 0 ? rest : rest.slice(0, next);
}

const mentions = (text: string, name: string): boolean => new RegExp(`\\b${name}\\b`).test(text);

describe('docs/library.md lists every runtime export', () => {
  test('of git-acl/core, in its API section', async () => {
    const core = await import(path.join(REPO_ROOT, 'dist/core/index.js'));
    const doc = read(LIBRARY);
    const coreSection = doc.slice(0, doc.indexOf('\n## The Node entry'));
    expect(Object.keys(core).filter((k) => !mentions(coreSection, k))).toEqual([]);
  });

  test('of the Node entry beyond the core, in its table, with the arguments they take', async () => {
    const core = await import(path.join(REPO_ROOT, 'dist/core/index.js'));
    const node = await import(path.join(REPO_ROOT, 'dist/index.js'));
    const table = section(read(LIBRARY), '## The Node entry: `git-acl`');
    expect(
      Object.keys(node)
        .filter((k) => !(k in core))
        .filter((k) => !new RegExp('`' + k + '\\b').test(table)),
    ).toEqual([]);
    // judgePush takes the compiled policy as a second argument: the table says so.
    expect(table).toContain('`judgePush(input, compiled?)`');
  });

  test('of the browser entry: what it leaves out of the Node entry is what the docs say it leaves out', async () => {
    const node = await import(path.join(REPO_ROOT, 'dist/index.js'));
    const browser = await import(path.join(REPO_ROOT, 'dist/browser.js'));
    expect(Object.keys(browser).filter((k) => !(k in node))).toEqual([]);
    const leftOut = section(read(LIBRARY), '## The browser entry');
    const said = /Left out: ([^.]*)\./s.exec(leftOut)![1]!;
    const names = [...said.matchAll(/`(\w+)`/g)].map((m) => m[1]!).sort();
    expect(names).toEqual(
      Object.keys(node)
        .filter((k) => !(k in browser))
        .sort(),
    );
  });
});

describe('code in the docs is code that runs', () => {
  test('each snippet marked <!-- snippet: FILE --> is FILE from its first import on', () => {
    const docs = ['README.md', ...fs.readdirSync(path.join(REPO_ROOT, 'docs')).map((f) => `docs/${f}`)];
    let found = 0;
    for (const d of docs) {
      for (const m of read(d).matchAll(/<!-- snippet: (\S+) -->\n```\w*\n([\s\S]*?)\n```/g)) {
        const file = read(m[1]!);
        expect(m[2], `${d}: snippet of ${m[1]}`).toBe(file.slice(file.indexOf('import ')).trimEnd());
        found++;
      }
    }
    expect(found).toBeGreaterThanOrEqual(2);
  });

  test('examples/library/evaluate.mjs prints what docs/library.md shows (IDs shortened there)', () => {
    const out = execFileSync(process.execPath, ['examples/library/evaluate.mjs'], { cwd: REPO_ROOT, encoding: 'utf8' });
    const shown = /<!-- output: examples\/library\/evaluate\.mjs -->\n```\n([\s\S]*?)\n```/.exec(read(LIBRARY))![1]!;
    expect(out.trimEnd().replace(/\b([0-9A-F]{4})[0-9A-F]{36}\b/g, '$1…')).toBe(shown);
  });

  test("the build command the docs name is the package's", () => {
    const scripts = JSON.parse(read('package.json')).scripts as Record<string, string>;
    expect(scripts.build).toBeDefined();
    for (const d of ['README.md', LIBRARY, 'examples/library/evaluate.mjs']) expect(read(d), d).not.toMatch(/npx tsc/);
    expect(read(LIBRARY)).toContain('npm run build');
  });
});

describe('the docs agree with each other and with the repository', () => {
  test('clients sign pushes the same way in the README and in docs/server.md', () => {
    const setting = (text: string) => [...text.matchAll(/git config push\.gpgSign (\S+)/g)].map((m) => m[1]);
    expect(setting(read('README.md'))).toEqual(['if-asked']);
    expect(setting(read('docs/server.md'))).toEqual(['if-asked']);
  });

  test('every relative link in README.md and docs/ leads to a file, and every #anchor into reference.md to a heading', () => {
    const reference = read('docs/reference.md');
    const anchors = new Set(
      [...reference.matchAll(/^#+ (.*)$/gm)].map((m) =>
        m[1]!
          .toLowerCase()
          .replace(/[`().,:]/g, '')
          .replace(/\s+/g, '-'),
      ),
    );
    const broken: string[] = [];
    for (const d of ['README.md', ...fs.readdirSync(path.join(REPO_ROOT, 'docs')).map((f) => `docs/${f}`)]) {
      for (const m of read(d).matchAll(/\]\(([^)\s]+)\)/g)) {
        const [target, anchor] = m[1]!.split('#') as [string, string | undefined];
        if (/^[a-z]+:/.test(target)) continue;
        const file = target === '' ? d : path.join(path.dirname(d), target);
        if (!fs.existsSync(path.join(REPO_ROOT, file))) broken.push(`${d}: ${m[1]}`);
        else if (anchor && file === 'docs/reference.md' && !anchors.has(anchor)) broken.push(`${d}: ${m[1]} (no such heading)`);
      }
    }
    expect(broken).toEqual([]);
  });

  test('the package ships what the docs point to: LICENSE, examples/, docs/; it builds on pack, not on install', () => {
    const pkg = JSON.parse(read('package.json')) as { files: string[]; license: string; scripts: Record<string, string> };
    expect(pkg.license).toBe('MIT');
    expect(read('LICENSE')).toMatch(/^MIT License\n/);
    for (const f of ['LICENSE', 'examples', 'docs', 'README.md', 'policies', 'hooks', 'dist']) expect(pkg.files).toContain(f);
    expect(pkg.scripts.prepare).toBeUndefined();
    expect(pkg.scripts.prepack).toBe('npm run build');
  });

  test('the repository stands alone: no reference to a contract or notes that are not in it', () => {
    const found: string[] = [];
    const walk = (dir: string): void => {
      for (const e of fs.readdirSync(path.join(REPO_ROOT, dir), { withFileTypes: true })) {
        const p = `${dir}/${e.name}`;
        if (e.isDirectory()) walk(p);
        else if (/\.(ts|mjs|js|md|conf|sh)$/.test(e.name) || dir === 'hooks') {
          read(p)
            .split('\n')
            .forEach((line, i) => {
              if (/\bSPEC(\.md)?\b(?!_)|\bFACTS\b|\.\.\/shared\b/.test(line)) found.push(`${p}:${i + 1}: ${line.trim()}`);
            });
        }
      }
    };
    for (const d of ['src', 'test', 'docs', 'policies', 'examples', 'hooks', 'bench']) if (fs.existsSync(path.join(REPO_ROOT, d))) walk(d);
    for (const f of ['README.md']) if (/\bSPEC\b|\bFACTS\b/.test(read(f))) found.push(f);
    expect(found).toEqual([]);
  });
});
