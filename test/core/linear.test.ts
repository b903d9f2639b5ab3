/**
 * No pattern may make matching slower than linear (docs/reference.md#rules). Each case would
 * hang a backtracking engine (exponential in the 10,000-character names: years,
 * not seconds), so the test's timeout is the only clock: generous, so that only
 * a hang fails, never a slow machine. How fast matching is, bench/ shows.
 */
import { describe, expect, test } from 'vitest';
import { compilePolicy, evaluate, parsePolicy } from '../../src/core/index.js';
import { ALICE, OWNER, files, tree } from './helpers.js';

const LONG = 10_000;
const names = ['a'.repeat(LONG) + '!', 'x'.repeat(LONG), 'a'.repeat(LONG), 'a/'.repeat(LONG / 2).slice(0, -1), 'a'.repeat(LONG) + 'c'];

describe('catastrophic patterns run in linear time', () => {
  test.each([
    ['(a+)+$'],
    ['^(x+x+)+y$'],
    ['(a|aa)+$'],
    ['^(a|a?)+b$'],
    ['(.*a){20}'],
    ['glob:**a**a**a**b'],
    ['glob:**/a/**/a/**/a/**/b'],
    ['glob:*a*a*a*a*a*a*b'],
  ])(
    '%s',
    (pattern) => {
      const c = compilePolicy(parsePolicy(files({ 'branches/a.conf': `anyone create-file ${pattern}\ndeny anyone modify ${pattern}\n` })));
      const ops = names.flatMap((n) => [tree('create-file', n), tree('modify', n)]);
      const ds = evaluate(c, { userId: ALICE, ownerId: OWNER }, ops);
      // The reasons quote the name: build them too, they are part of the work.
      for (const d of ds) expect(d.reason.length).toBeGreaterThan(0);
    },
    60_000,
  );
});
