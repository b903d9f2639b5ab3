/**
 * re2js compiled apart (dist/hook/re2js.cjs, required by the bundle's stub as `git-acl-re2js` on the first pattern
 * that is not a shape, answered by src/hook/start.ts with a code cache of its own), attacked:
 * - patterns re2js decides in ways a mistake would show: case folding outside ASCII (`(?i)` with the Kelvin sign and
 *   the long s, which re2js.cjs's lazy fold table patch touches and the package does not), alternations, globs, and
 *   a case-folding deny rule, alone and in unions, judged the same on every start path;
 * - a re2js.cjs whose exports throw when read (cut at a statement boundary: esbuild's export getters then name a
 *   class never defined): unusable, so the package judges, with the same lines, as for a missing or uncompilable
 *   one; one that throws as it runs: the package judges too, with the same lines;
 * - caches swapped between the bundle's, openpgp's and re2js's names, and a same-length edit of re2js.cjs under a
 *   FULL cache: never stale code.
 *
 * Every test works on a private copy of git-acl's built files, so it never touches the dist/ other test files use.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { Forge, type Clone } from '../../support/forge.js';
import { cleanupTempDirs } from '../../support/env.js';
import { forgeOnPrivateInstall, START_PATHS, withStartPath, type StartPath } from '../../support/install.js';

const MODES = START_PATHS;
type Mode = StartPath;

const KELVIN = 'shared/k/\u212Aelvin'; // KELVIN SIGN: in the case-fold orbit of k and K
const LONG_S = 'shared/s/\u017F'; // LATIN SMALL LETTER LONG S: in the orbit of s and S
const EXTRA = [
  'branch ^heads/main$',
  'anyone modify (?i)^shared/k/kelvin$',
  'anyone modify (?i)^shared/s/s$',
  'anyone modify ^shared/(alpha|beta)/[0-9]+\\.txt$',
  'anyone modify glob:shared/{x,y}/**/*.md',
  'anyone modify ^shared/d/.*$',
  'deny anyone modify (?i)^shared/d/.*SECRET.*$',
  // More rules than one group is tested rule by rule (core/bind.ts SMALL_GROUP), among those with a prefix and those
  // without (a case-folding pattern claims none): the rules above are also matched as re2js unions.
  ...Array.from({ length: 9 }, (_, i) => `anyone modify (?i)^shared/f${i}/[a-z]+$`),
  ...Array.from({ length: 9 }, (_, i) => `anyone modify ^shared/g${i}/(x|y)[0-9]*$`),
  '',
].join('\n');

let forge: Forge;
let alice: Clone;
let install: string;
let apart: string;
let cacheDir: string;
let tip: string;
let n = 0;
let reference: unknown[];

const files = (k: number | string): Record<string, string> => ({
  README: 'shared\n',
  [KELVIN]: `${k}\n`,
  [LONG_S]: `${k}\n`,
  'shared/alpha/1.txt': `${k}\n`,
  'shared/gamma/1.txt': '0\n',
  'shared/x/a/b.md': `${k}\n`,
  'shared/z/a.md': '0\n',
  'shared/d/open.txt': `${k}\n`,
  'shared/d/the-Secret.txt': '0\n',
  'shared/k/kelvinx': '0\n',
});

beforeAll(() => {
  ({ install, forge } = forgeOnPrivateInstall({ presets: ['shared-directory'], users: ['alice'] }));
  forge.setPolicy({ ...Forge.presetFiles('shared-directory'), 'branches/patterns.conf': EXTRA });
  const owner = forge.clone(forge.owner);
  tip = owner.commitTree(files(0));
  expect(owner.push(`${tip}:refs/heads/main`).code).toBe(0);
  alice = forge.clone('alice');
  alice.ok(['fetch', '-q', 'origin']);
  apart = path.join(install, 'dist/hook/re2js.cjs');
  cacheDir = path.join(install, 'dist/hook/cache');
});
afterAll(() => {
  forge?.cleanup();
  cleanupTempDirs();
});

const withMode = <T>(mode: Mode, fn: () => T): T => withStartPath(forge, mode, fn);

const caches = (stem: string) =>
  fs.existsSync(cacheDir) ? fs.readdirSync(cacheDir).filter((f) => f.startsWith(`${stem}-`) && f.endsWith('.v8cache')) : [];

/**
 * alice's pushes: one every allowed rule accepts (each file changed only a re2js pattern or a glob lets her change),
 * then one per file no rule lets her change, or a deny rule keeps from her.
 */
function pushes(): unknown[] {
  const seen: unknown[] = [];
  const k = ++n;
  const ok = alice.commitTree(files(k), [tip], `ok ${k}`);
  const r = alice.push(`${ok}:refs/heads/main`);
  if (r.code === 0) tip = ok;
  seen.push({ code: r.code, remote: r.remote });
  for (const file of ['shared/gamma/1.txt', 'shared/z/a.md', 'shared/d/the-Secret.txt', 'shared/k/kelvinx']) {
    const bad = alice.commitTree({ ...files(k), [file]: `${k} changed\n` }, [tip], `bad ${k}`);
    const b = alice.push(`${bad}:refs/heads/main`);
    seen.push({ file, code: b.code, remote: b.remote });
  }
  return seen;
}

describe('patterns re2js decides', () => {
  test('the same verdicts and lines on every start path, the cached one twice (cache written, then read)', () => {
    const seen = Object.fromEntries([...MODES, 'cached'].map((mode, i) => [`${mode}${i}`, withMode(mode as Mode, pushes)]));
    reference = seen.plain0 as unknown[];
    // What they should be, so that the comparison is not between broken answers...
    expect(reference[0]).toEqual({ code: 0, remote: [] });
    for (const r of reference.slice(1) as Array<{ file: string; code: number; remote: string[] }>) {
      expect(r.code).not.toBe(0);
      expect(r.remote[0]).toMatch(/^git-acl: push rejected for user [0-9A-F]{40}/);
      expect(r.remote.join('\n')).toContain(r.file);
    }
    // ...and identical on every path.
    for (const [mode, lines] of Object.entries(seen)) expect({ mode, lines }).toEqual({ mode, lines: reference });
    expect(caches('re2js')).toHaveLength(1);
  });
});

describe('a re2js.cjs that is spoiled, swapped or edited', () => {
  /** Runs `fn` with re2js.cjs replaced by `spoil(its text)`, its caches removed, then puts it back. */
  function withApart<T>(spoil: (text: string) => string, fn: () => T): T {
    const good = fs.readFileSync(apart, 'utf8');
    for (const f of caches('re2js')) fs.rmSync(path.join(cacheDir, f));
    fs.writeFileSync(apart, spoil(good));
    try {
      return fn();
    } finally {
      fs.writeFileSync(apart, good);
    }
  }

  test('a re2js.cjs cut at a statement boundary before its classes: unusable, the package judges, with the same lines', () => {
    expect(reference).toBeDefined();
    // esbuild's CommonJS output defines module.exports with getters first: cut before the classes are, the file
    // compiles and runs, and reading RE2JS throws a ReferenceError.
    const cut = (text: string) => {
      const exportsAt = text.indexOf('module.exports=');
      expect(exportsAt).toBeGreaterThan(0);
      return text.slice(0, text.indexOf(';var ', exportsAt) + 1);
    };
    for (const mode of ['bundle', 'cached'] as const) {
      const seen = withApart(cut, () => withMode(mode, pushes));
      expect({ mode, seen }).toEqual({ mode, seen: reference });
    }
  });

  test('a re2js.cjs that throws as it runs: the re2js package judges, with the same lines (never "the policy is broken")', () => {
    for (const mode of ['bundle', 'cached'] as const) {
      const seen = withApart(
        (text) => `throw new Error('re2js.cjs will not load');\n${text}`,
        () => withMode(mode, pushes),
      );
      expect({ mode, seen }).toEqual({ mode, seen: reference });
    }
  });

  test("caches swapped between the bundle's, openpgp's and re2js's names: all refused, same lines", () => {
    expect(withMode('cached', pushes)).toEqual(reference);
    // openpgp's cache, made by a push only openpgp can judge: a key's record forgotten.
    const repoCacheDir = path.join(forge.bare, 'git-acl/cache');
    for (const f of fs.readdirSync(repoCacheDir)) if (f.startsWith('key-')) fs.rmSync(path.join(repoCacheDir, f));
    expect(withMode('cached', pushes)).toEqual(reference);
    const [b, o, r] = ['bundle', 'openpgp', 're2js'].map((stem) => {
      const [file, ...more] = caches(stem);
      expect({ stem, more }).toEqual({ stem, more: [] });
      expect(file).toBeDefined();
      return path.join(cacheDir, file!);
    });
    const [bundleCache, openpgpCache, re2jsCache] = [b!, o!, r!].map((f) => fs.readFileSync(f));
    // Each name holds another script's cache: bundle <- re2js, re2js <- openpgp, openpgp <- bundle.
    fs.writeFileSync(b!, re2jsCache!);
    fs.writeFileSync(r!, openpgpCache!);
    fs.writeFileSync(o!, bundleCache!);
    expect(withMode('cached', pushes)).toEqual(reference);
    expect(fs.readFileSync(b!).equals(re2jsCache!)).toBe(false);
    expect(fs.readFileSync(r!).equals(openpgpCache!)).toBe(false);
    // And re2js's planted as the bundle's and the other way round.
    const [bundleNow, re2jsNow] = [b!, r!].map((f) => fs.readFileSync(f));
    fs.writeFileSync(b!, re2jsNow!);
    fs.writeFileSync(r!, bundleNow!);
    expect(withMode('cached', pushes)).toEqual(reference);
    expect(fs.readFileSync(b!).equals(re2jsNow!)).toBe(false);
    expect(fs.readFileSync(r!).equals(bundleNow!)).toBe(false);
  });

  test('an edit of the same length, with a FULL cache of the old one: the new code runs, never the old bytecode', () => {
    expect(withMode('cached', pushes)).toEqual(reference);
    const [cache] = caches('re2js');
    const full = fs.readFileSync(path.join(cacheDir, cache!));
    expect(full.readUInt32LE('git-acl v8cache2'.length + 68)).toBe(1);
    const good = fs.readFileSync(apart, 'utf8');
    // re2js's own message for an unclosed class, which the hook quotes when a policy push has one.
    const edited = good.replace('missing closing ]', 'MISSING closing ]');
    expect(edited).not.toBe(good);
    expect(edited.length).toBe(good.length);
    fs.writeFileSync(apart, edited);
    try {
      fs.writeFileSync(path.join(cacheDir, cache!), full); // the old bytecode, FULL, under the name it is looked for
      const owner = forge.clone(forge.owner);
      const policyTip = owner.fetchRef('refs/heads/apps/access-control')!;
      const broken = owner.commitTree(
        forge.policyFiles({ ...Forge.presetFiles('shared-directory'), 'branches/patterns.conf': `${EXTRA}anyone modify ^shared/[ab$\n` }),
        [policyTip],
        'unclosed class',
      );
      const r = owner.push(`${broken}:refs/heads/apps/access-control`);
      expect(r.code).not.toBe(0);
      expect(r.remote.join('\n')).toContain('MISSING closing ]');
      expect(forge.ref('refs/heads/apps/access-control')).toBe(policyTip);
    } finally {
      fs.writeFileSync(apart, good);
    }
    expect(withMode('cached', pushes)).toEqual(reference);
  });
});
