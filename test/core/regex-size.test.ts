/**
 * The lower bound on a pattern's RE2 program (src/core/regex-size.ts) must
 * never exceed what re2js compiles: checked on generated patterns (groups of
 * every kind, alternations, classes, escapes, \Q...\E, anchors, every
 * quantifier), and on the patterns that matter: the ones built to be costly.
 */
import { describe, expect, test } from 'vitest';
import fc from 'fast-check';
import { RE2JS } from 're2js';
import { programLowerBound } from '../../src/core/regex-size.js';

/** A generator of RE2 pattern text, valid or not (the bound must hold for every pattern that compiles). */
const pattern: fc.Arbitrary<string> = fc.letrec((tie) => ({
  atom: fc.oneof(
    {
      weight: 4,
      arbitrary: fc.constantFrom(
        'a',
        'b',
        'é',
        '😀',
        '.',
        '\\d',
        '\\w',
        '\\pL',
        '\\p{Greek}',
        '\\x41',
        '\\x{10FFFF}',
        '\\n',
        '\\101',
        '\\.',
        '\\{',
        '{',
        '}',
        '\\b',
        '\\A',
        '\\z',
        '^',
        '$',
      ),
    },
    { weight: 2, arbitrary: fc.constantFrom('[ab]', '[^a-z]', '[]a]', '[[:alpha:]x]', '[\\]\\d]', '[a-c\\x{100}-\\x{200}]') },
    {
      weight: 1,
      arbitrary: fc
        .string({ unit: fc.constantFrom('a', 'b', '*', '{', '|', ')', '(', '\\', 'E'), maxLength: 6 })
        .map((t) => `\\Q${t.replace(/\\E/g, '')}\\E`),
    },
    {
      weight: 2,
      arbitrary: fc
        .tuple(fc.constantFrom('(', '(?:', '(?i)', '(?i:', '(?P<n>', '(?<m>', '(?s:'), tie('alt'))
        .map(([open, inner]) => (open === '(?i)' ? `(?i)${inner}` : `${open}${inner})`)),
    },
  ),
  quantified: fc
    .tuple(
      tie('atom'),
      fc.constantFrom(
        '',
        '',
        '',
        '*',
        '+',
        '?',
        '*?',
        '{0}',
        '{1}',
        '{3}',
        '{2,}',
        '{0,5}',
        '{2,7}',
        '{10}',
        '{30}',
        '{100,200}',
        '{1000}',
        '{,3}',
      ),
    )
    .map(([a, q]) => `${a}${q}`),
  seq: fc.array(tie('quantified'), { minLength: 0, maxLength: 4 }).map((xs) => (xs as string[]).join('')),
  alt: fc.array(tie('seq'), { minLength: 1, maxLength: 3 }).map((xs) => (xs as string[]).join('|')),
})).alt as fc.Arbitrary<string>;

function compiledSize(p: string): number | null {
  try {
    return RE2JS.compile(p).programSize();
  } catch {
    return null;
  }
}

describe('programLowerBound', () => {
  test('never more than the program re2js compiles (generated patterns)', () => {
    let compiled = 0;
    fc.assert(
      fc.property(pattern, (p) => {
        const size = compiledSize(p);
        if (size === null) return;
        compiled++;
        expect(programLowerBound(p)).toBeLessThanOrEqual(size);
      }),
      { numRuns: 4000, seed: 42 },
    );
    // The generator must make mostly patterns that compile, or the property says little.
    expect(compiled).toBeGreaterThan(2000);
  });

  test('close to it where it matters: counted repetition, in sequence and nested', () => {
    for (const p of ['[ab]{1000}'.repeat(9), '^x(?:[a-z]{10}){10}y$', 'a{1000}b|a{1000}c', '\\Qabc\\E{1000}', '(?i:ab){500}']) {
      const size = compiledSize(p)!;
      const lb = programLowerBound(p);
      expect(lb).toBeLessThanOrEqual(size);
      expect(lb).toBeGreaterThan(size / 4);
    }
  });

  test('0 where re2js refuses the pattern itself, so its own message is kept', () => {
    for (const p of ['a{1001}', '(?:a{100}){11}', 'a{5,2}', 'a)']) {
      expect(compiledSize(p)).toBeNull();
      expect(programLowerBound(p)).toBe(0);
    }
  });
});
