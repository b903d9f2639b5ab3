/**
 * Node takes the children hooks/pre-receive started when the script's tag is its own (src/server/early-children.ts
 * childrenTag), and the tag is made from the constants below, not from the script's text: this holds the script's
 * text to them, so that an edit of one without the other cannot make Node adopt a child it would not have started.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { expect, test } from 'vitest';
import { hookConfigCommand } from '../../src/git/exec.js';
import { SCRIPT_CAT_FILE_ARGS, SCRIPT_CAT_FILE_ENV } from '../../src/server/early-children.js';

const script = fs.readFileSync(path.join(import.meta.dirname, '../../hooks/pre-receive'), 'utf8');

test("the script's cat-file runs with exactly the environment and arguments early-children.ts names", () => {
  const unset = Object.entries(SCRIPT_CAT_FILE_ENV)
    .filter(([, v]) => v === undefined)
    .map(([k]) => k);
  const set = Object.entries(SCRIPT_CAT_FILE_ENV)
    .filter(([, v]) => v !== undefined)
    .map(([k, v]) => `${k}=${v}`);
  const lines = script.split('\n').map((l) => l.trim());
  const exec = lines.findIndex((l) => / exec git cat-file /.test(` ${l} `));
  expect(lines[exec]).toBe(`${set.join(' ')} exec git ${SCRIPT_CAT_FILE_ARGS.join(' ')}`);
  expect(lines[exec - 1]).toBe(`unset ${unset.join(' ')}`);
});

test("the script's git config runs the command hookConfigCommand names", () => {
  const [args] = hookConfigCommand('.', {});
  const quoted = args.map((a) => (/^[-a-z]+$/.test(a) ? a : `'${a}'`)).join(' ');
  expect(script).toContain(`err=$(git ${quoted} 2>&1 >&3)`);
});
