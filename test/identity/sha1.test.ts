import { createHash, randomBytes } from 'node:crypto';
import { expect, test } from 'vitest';
import { sha1 } from '../../src/identity/sha1.js';

test('sha1 matches node:crypto on every length 0..300 and on large input', () => {
  const hex = (b: Uint8Array) => Buffer.from(b).toString('hex');
  for (let n = 0; n <= 300; n++) {
    const d = randomBytes(n);
    expect(hex(sha1(d))).toBe(createHash('sha1').update(d).digest('hex'));
  }
  const big = randomBytes(70_000);
  expect(hex(sha1(big))).toBe(createHash('sha1').update(big).digest('hex'));
  expect(hex(sha1(new TextEncoder().encode('abc')))).toBe('a9993e364706816aba3e25717850c26c9cd0d89d');
});
