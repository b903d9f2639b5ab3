/**
 * The hook bundle's edit of re2js (scripts/re2js-patch.mjs): the patched engine compiles the same programs and
 * gives the same answers as re2js itself, and decodes its case-folding table only for a pattern that folds case.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { createRequire } from 'node:module';
import { pathToFileURL } from 'node:url';
import { afterAll, describe, expect, test } from 'vitest';
import fc from 'fast-check';
import { RE2JS } from 're2js';
import { cleanupTempDirs, tempDir } from '../support/env.js';
import { patchRe2js } from '../../scripts/re2js-patch.mjs';

const source = path.join(path.dirname(createRequire(import.meta.url).resolve('re2js')), 'index.js');
const original = fs.readFileSync(source, 'utf8');

/** The patched module, with its table holder exported so the test can see what was decoded. */
async function patched(): Promise<{ RE2JS: typeof RE2JS; UnicodeTables: { _CASE_ORBIT: unknown } }> {
  const file = path.join(tempDir('re2js-patch-'), 'index.mjs');
  fs.writeFileSync(file, `${(patchRe2js as (t: string, f: string) => string)(original, source)}\nexport { UnicodeTables };\n`);
  return import(pathToFileURL(file).href);
}

afterAll(cleanupTempDirs);

const PATTERNS = [
  '^shared/[0-9A-F]{40}$',
  '^merge-reqs/[0-9A-F]{40}/[0-9]+/comments$',
  '^labels/[a-z0-9][a-z0-9-]*$',
  '^docs/[^/]*\\.md$',
  '^(merge-reqs|labels)$',
  '^\\x{2e}git(/.*)?$',
  '^é+/.?$',
  '^Kk$',
  '^(?i)readme(\\.md)?$',
  '(?i)k',
  '(?i)[a-k]s',
  '^(?i:é)ß$',
];
const name = fc
  .array(fc.constantFrom('k', 'K', '\u212a', 's', 'S', '\u017f', 'é', 'É', 'readme', 'README', '.md', '/', 'labels', 'ß', 'x'), {
    maxLength: 6,
  })
  .map((xs) => xs.join(''));

describe('re2js as the hook bundle has it', () => {
  test("is re2js's source with the one line changed: the build fails on any other version of that line", () => {
    const out = (patchRe2js as (t: string, f: string) => string)(original, source);
    expect(out.length - original.length).toBe('(flags & RE2Flags.FOLD_CASE) === 0 || '.length);
    expect(() => (patchRe2js as (t: string, f: string) => string)(out, source)).toThrow(/review scripts\/re2js-patch\.mjs/);
  });

  test('compiles the same programs and answers as re2js; decodes the case-folding table only for (?i)', async () => {
    const { RE2JS: Patched, UnicodeTables } = await patched();
    const sensitive = PATTERNS.filter((p) => !p.includes('(?i'));
    for (const p of sensitive) Patched.compile(p).testExact('labels/x');
    expect(UnicodeTables._CASE_ORBIT).toBeNull();
    for (const p of PATTERNS) {
      const a = RE2JS.compile(p);
      const b = Patched.compile(p);
      expect(b.programSize(), p).toBe(a.programSize());
      expect(String((b as unknown as { re2Input: { prog: unknown } }).re2Input.prog), p).toBe(
        String((a as unknown as { re2Input: { prog: unknown } }).re2Input.prog),
      );
      fc.assert(
        fc.property(name, (n) => b.testExact(n) === a.testExact(n) && b.matches(n) === a.matches(n)),
        { numRuns: 200 },
      );
    }
    expect(UnicodeTables._CASE_ORBIT).not.toBeNull();
  });
});
