/** Operation names that are also properties of every object are unknown operations, not a crash of the parser. */
import { expect, test } from 'vitest';
import { lint } from './helpers.js';

test.each(['constructor', 'toString', '__proto__', 'hasOwnProperty', 'valueOf'])(
  '%s is an unknown operation in refs and branches files',
  (name) => {
    expect(lint({ 'refs/a.conf': `anyone ${name} ^heads/x$\n` })).toEqual([`refs/a.conf:1:8: error: unknown operation '${name}'`]);
    expect(lint({ 'branches/a.conf': `anyone modify,${name} ^x$\n` })).toEqual([
      `branches/a.conf:1:15: error: unknown operation '${name}'`,
    ]);
  },
);
