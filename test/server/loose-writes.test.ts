/**
 * The push log's objects written into the push's own quarantine go straight to their names (src/server/objects.ts
 * writeLooseObjects with privateDir); anywhere else through a temporary file and a link, as git writes them. Either
 * way real git reads them, and writing an object again changes nothing.
 */
import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { afterAll, expect, test } from 'vitest';
import { hashObject, quarantineObjectDirectory, writeLooseObjects } from '../../src/server/objects.js';
import type { GitObject } from '../../src/push/log-format.js';
import { cleanupTempDirs, tempDir } from '../support/env.js';

afterAll(() => cleanupTempDirs());

function object(type: GitObject['type'], text: string): GitObject {
  const body = Buffer.from(text);
  return { type, body, oid: hashObject(type, body, 'sha1') } as GitObject;
}

test('quarantineObjectDirectory: only the quarantine git made for this push, named as git names it', () => {
  const q = '/srv/r.git/objects/tmp_objdir-incoming-Ab12Cd';
  expect(quarantineObjectDirectory({ GIT_QUARANTINE_PATH: q, GIT_OBJECT_DIRECTORY: q })).toBe(q);
  expect(quarantineObjectDirectory({ GIT_OBJECT_DIRECTORY: q })).toBeUndefined();
  expect(quarantineObjectDirectory({ GIT_QUARANTINE_PATH: q, GIT_OBJECT_DIRECTORY: '/srv/r.git/objects' })).toBeUndefined();
  expect(
    quarantineObjectDirectory({ GIT_QUARANTINE_PATH: '/srv/r.git/objects', GIT_OBJECT_DIRECTORY: '/srv/r.git/objects' }),
  ).toBeUndefined();
  expect(
    quarantineObjectDirectory({
      GIT_QUARANTINE_PATH: 'objects/tmp_objdir-incoming-x',
      GIT_OBJECT_DIRECTORY: 'objects/tmp_objdir-incoming-x',
    }),
  ).toBeUndefined();
});

for (const privateDir of [true, false]) {
  test(`${privateDir ? 'in the quarantine, in place' : 'elsewhere, through a temporary file'}: git reads every object, nothing else is left`, async () => {
    const repo = tempDir('loose-writes-');
    execFileSync('git', ['init', '-q', '--bare', repo]);
    const dir = path.join(repo, 'objects', privateDir ? 'tmp_objdir-incoming-Xy12Zw' : '');
    fs.mkdirSync(dir, { recursive: true });
    const objects = [object('blob', 'one\n'), object('blob', 'two\n'), object('blob', 'x'.repeat(20000))];
    await writeLooseObjects(dir, objects, privateDir);
    await writeLooseObjects(dir, objects, privateDir); // again: already there
    const env = { ...process.env, GIT_DIR: repo, GIT_OBJECT_DIRECTORY: dir };
    for (const o of objects) {
      expect(execFileSync('git', ['cat-file', 'blob', o.oid], { env }).toString()).toBe(Buffer.from(o.body).toString());
      const file = path.join(dir, o.oid.slice(0, 2), o.oid.slice(2));
      expect(fs.statSync(file).mode & 0o777).toBe(0o444);
    }
    const names = fs
      .readdirSync(dir, { recursive: true })
      .map(String)
      .filter((f) => /^[0-9a-f]{2}\//.test(f));
    expect(names.sort()).toEqual(objects.map((o) => `${o.oid.slice(0, 2)}/${o.oid.slice(2)}`).sort());
    execFileSync('git', ['fsck', '--strict', '--no-dangling'], { env, stdio: ['ignore', 'pipe', 'pipe'] });
  });
}
