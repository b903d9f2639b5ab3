/**
 * compileSource sends every yes-or-no match to re2js's DFA (not its one-pass engine): the answers must be
 * exactly re2js's own, for the shapes rules take and for names with the characters that trip engines up.
 */
import { describe, expect, test } from 'vitest';
import fc from 'fast-check';
import { RE2JS } from 're2js';
import { compileSource } from '../../src/core/pattern.js';

const ID = '0123456789ABCDEF0123456789ABCDEF01234567';
const PATTERNS = [
  '^.*$',
  '^shared$',
  '^shared/[^/]+$',
  '^shared/[0-9A-F]{40}$',
  `^shared/(?:${ID})(/.+)?$`,
  '^heads/main$',
  '^heads/(?:alice|bob)/.*$',
  '^docs/[^/]*\\.md$',
  '^(?:a|ab)(?:c|bcd)(?:d*)$',
  '^\\x{2e}git(/.*)?$',
  '^[^\\n]*$',
  '^.+/\\x{2e}[^/]*$',
  '^é+/.?$',
  '^(a+)+b$',
  '^(?i)readme(\\.md)?$',
];
const piece = fc.constantFrom(
  'shared',
  '/',
  ID,
  'a',
  'b',
  'c',
  'd',
  '.',
  'git',
  'main',
  'heads',
  'docs',
  'x.md',
  'é',
  '😀',
  '\n',
  '\r',
  '\u0000',
  '\u202e',
  'README',
  '\uFFFD',
);
const name = fc.array(piece, { maxLength: 8 }).map((xs) => xs.join(''));

describe('compileSource', () => {
  test('is the one-pass engine no longer (the speed-up this file guards)', () => {
    const re = compileSource('^shared/[^/]+$') as unknown as { re2Input: { onepass: unknown } };
    expect(re.re2Input.onepass).toBeNull();
    expect((RE2JS.compile('^shared/[^/]+$') as unknown as { re2Input: { onepass: unknown } }).re2Input.onepass).not.toBeNull();
  });

  test.each(PATTERNS)('answers exactly as re2js does: %s', (pattern) => {
    const ours = compileSource(pattern);
    const theirs = RE2JS.compile(pattern);
    fc.assert(
      fc.property(name, (n) => ours.testExact(n) === theirs.testExact(n)),
      { numRuns: 400 },
    );
    for (const n of [
      'shared',
      `shared/${ID}`,
      `shared/${ID}/a/b.txt`,
      'shared/x',
      'shared/x/y',
      '.git',
      '.git/config',
      'a\nb',
      '',
      'README.md',
      'readme',
    ])
      expect(ours.testExact(n)).toBe(theirs.testExact(n));
  });
});
