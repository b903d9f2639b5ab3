/**
 * re2js is a script of its own in the hook's start path (scripts/bundle.mjs, src/hook/start.ts), like openpgp: the
 * bundle every push reads holds only a stub whose RE2JS.compile loads dist/hook/re2js.cjs on the first pattern that
 * is not a shape. A policy of shapes never loads it; a policy with other patterns judges exactly as on the plain
 * path (the re2js package itself), with re2js compiled from its own cache; and a re2js.cjs that is missing, broken or
 * exports nothing leaves the package to judge, with the same lines.
 */
import { createHash } from 'node:crypto';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { Forge, REPO_ROOT, type Clone, type PushResult } from '../support/forge.js';
import { cleanupTempDirs } from '../support/env.js';
import { forgeOnPrivateInstall, withStartPath, type StartPath } from '../support/install.js';

afterAll(() => cleanupTempDirs());

/** A message of re2js's parser: in re2js's code, never in git-acl's. */
const RE2JS_ONLY = 'missing closing ]';
const sha256 = (b: Uint8Array) => createHash('sha256').update(b).digest();
const MAGIC_LENGTH = 'git-acl v8cache2'.length;

test('src/ uses nothing of re2js at run time but RE2JS.compile, the one member the bundle stub forwards', () => {
  const uses = new Set<string>();
  const walk = (dir: string): void => {
    for (const e of fs.readdirSync(dir, { withFileTypes: true })) {
      const p = path.join(dir, e.name);
      if (e.isDirectory()) walk(p);
      else if (p.endsWith('.ts')) {
        const text = fs.readFileSync(p, 'utf8');
        for (const m of text.matchAll(/^import (?!type )(.*) from 're2js';$/gm)) uses.add(`import ${m[1]}`);
        if (/from 're2js'/.test(text)) for (const m of text.matchAll(/\bRE2JS\.(\w+)/g)) uses.add(`RE2JS.${m[1]}`);
      }
    }
  };
  walk(path.join(REPO_ROOT, 'src'));
  expect([...uses].sort()).toEqual(['RE2JS.compile', 'import { RE2JS }']);
  expect(fs.readFileSync(path.join(REPO_ROOT, 'dist/hook/bundle.cjs'), 'latin1')).not.toContain(RE2JS_ONLY);
  expect(fs.readFileSync(path.join(REPO_ROOT, 'dist/hook/re2js.cjs'), 'latin1')).toContain(RE2JS_ONLY);
});

describe('a policy with a pattern that is not a shape', () => {
  let install: string;
  let forge: Forge;
  let alice: Clone;
  let tip: string;
  let n = 0;
  const cacheDir = () => path.join(install, 'dist/hook/cache');
  const caches = (stem: string) =>
    fs.existsSync(cacheDir()) ? fs.readdirSync(cacheDir()).filter((f) => f.startsWith(`${stem}-`) && f.endsWith('.v8cache')) : [];
  const apart = () => path.join(install, 'dist/hook/re2js.cjs');
  const withMode = <T>(mode: StartPath, fn: () => T): T => withStartPath(forge, mode, fn);
  /** alice's pushes: `shared/n<digits>` is hers to modify by the numbered rule (re2js decides it), `shared/nx<digits>` is not. */
  const pushes = (): Array<{ code: number; remote: string[] }> => {
    const out: PushResult[] = [];
    const ok = alice.commitTree({ README: 'shared\n', 'shared/n7': `${++n}\n`, 'shared/nx7': 'x\n' }, [tip], `ok ${n}`);
    const r = alice.push(`${ok}:refs/heads/main`);
    if (r.code === 0) tip = ok;
    out.push(r);
    const bad = alice.commitTree({ README: 'shared\n', 'shared/n7': `${n}\n`, 'shared/nx7': `${++n}\n` }, [tip], `bad ${n}`);
    out.push(alice.push(`${bad}:refs/heads/main`));
    return out.map((x) => ({ code: x.code, remote: x.remote }));
  };

  beforeAll(() => {
    ({ install, forge } = forgeOnPrivateInstall({ presets: ['shared-directory'], users: ['alice'] }));
    forge.setPolicy(Forge.presetFiles('shared-directory'));
    const owner = forge.clone(forge.owner);
    tip = owner.commitTree({ README: 'shared\n', 'shared/n7': '0\n', 'shared/nx7': 'x\n' });
    expect(owner.push(`${tip}:refs/heads/main`).code).toBe(0);
    alice = forge.clone('alice');
    alice.ok(['fetch', '-q', 'origin']);
  });
  afterAll(() => forge?.cleanup());

  test('a policy of shapes never loads re2js: no cache of it after accepted pushes', () => {
    const A = forge.user('alice').id;
    const commit = alice.commitTree(
      { README: 'shared\n', 'shared/n7': '0\n', 'shared/nx7': 'x\n', [`shared/${A}/a`]: 'a\n' },
      [tip],
      'hers',
    );
    expect(alice.push(`${commit}:refs/heads/main`)).toMatchObject({ code: 0, remote: [] });
    tip = commit;
    expect(caches('bundle')).toHaveLength(1);
    expect(caches('re2js')).toEqual([]);
  });

  test('the same lines on every path; re2js compiled apart with its own cache, the bundle cache holding none of it', () => {
    forge.setPolicy({
      ...Forge.presetFiles('shared-directory'),
      'branches/numbered.conf': 'branch ^heads/main$\nanyone modify ^shared/n[0-9]+$\n',
    });
    const seen: Record<string, unknown[]> = {};
    for (const mode of ['plain', 'bundle', 'cached', 'cached'] as const) (seen[mode] ??= []).push(...withMode(mode, pushes));
    const plain = seen.plain as Array<{ code: number; remote: string[] }>;
    expect(plain[0]).toEqual({ code: 0, remote: [] });
    expect(plain[1]!.code).not.toBe(0);
    expect(plain[1]!.remote.join('\n')).toMatch(/^git-acl: push rejected for user [0-9A-F]{40}/);
    expect(plain[1]!.remote.join('\n')).toContain('shared/nx7');
    expect(seen.bundle).toEqual(plain);
    expect(seen.cached).toEqual([...plain, ...plain]);
    const [file, ...more] = caches('re2js');
    expect(more).toEqual([]);
    expect(file).toMatch(new RegExp(`^re2js-${process.version.replace(/\./g, '\\.')}-${process.arch}-[0-9a-f]+\\.v8cache$`));
    const data = fs.readFileSync(path.join(cacheDir(), file!));
    expect(data.subarray(MAGIC_LENGTH, MAGIC_LENGTH + 32).equals(sha256(fs.readFileSync(apart())))).toBe(true);
    expect(data.readUInt32LE(MAGIC_LENGTH + 68)).toBe(1); // FULL: written after an accepted push
    const [bundleCache] = caches('bundle');
    expect(fs.readFileSync(path.join(cacheDir(), bundleCache!)).toString('latin1')).not.toContain(RE2JS_ONLY);
  });

  test('a re2js.cjs missing, exporting nothing or failing to compile: the re2js package judges, with the same lines', () => {
    const expected = withMode('plain', pushes);
    expect(expected[0]!.code).toBe(0);
    const good = fs.readFileSync(apart());
    try {
      for (const spoil of [null, '', 'module.exports = {};', 'this is not javascript (']) {
        for (const f of caches('re2js')) fs.rmSync(path.join(cacheDir(), f));
        if (spoil === null) fs.rmSync(apart());
        else fs.writeFileSync(apart(), spoil);
        expect({ spoil, seen: pushes() }).toEqual({ spoil, seen: expected });
      }
    } finally {
      fs.writeFileSync(apart(), good);
    }
  });
});
