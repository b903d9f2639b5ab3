/**
 * openpgp compiled apart (dist/hook/openpgp.cjs, required by the bundle as `git-acl-openpgp` and answered by
 * src/hook/start.ts with a code cache of its own): pushes only openpgp can judge (no record of the pusher's key
 * in `<GIT_DIR>/git-acl/cache/key-*.json`, a tampered certificate, an unregistered key, key files in a policy push)
 * give the same lines on every start path; an openpgp.cjs that is edited, spoiled or gone never changes a verdict;
 * a cache made from another script never runs; and nothing else answers to the name `git-acl-openpgp`.
 *
 * Every test works on a private copy of git-acl's built files (as test/e2e/hook-start.test.ts does), so it never
 * touches the dist/ other test files run from.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { type Forge, REPO_ROOT, type Clone } from '../../support/forge.js';
import { cleanupTempDirs } from '../../support/env.js';
import { forgeOnPrivateInstall, START_PATHS, withStartPath, type StartPath } from '../../support/install.js';
import { exportSecret } from '../../support/gpg.js';
import { POLICY } from './support.js';

const MODES = START_PATHS;
type Mode = StartPath;

let forge: Forge;
let owner: Clone;
let install: string;
let base: string;
let apart: string;
let cacheDir: string;
let repoCacheDir: string;

beforeAll(() => {
  ({ install, forge } = forgeOnPrivateInstall());
  owner = forge.clone(forge.owner);
  base = owner.commitTree({ README: 'base\n' });
  expect(owner.push(`${base}:refs/heads/main`).code).toBe(0);
  apart = path.join(install, 'dist/hook/openpgp.cjs');
  cacheDir = path.join(install, 'dist/hook/cache');
  repoCacheDir = path.join(forge.bare, 'git-acl/cache');
});
afterAll(() => {
  forge?.cleanup();
  cleanupTempDirs();
});

const withMode = <T>(mode: Mode, fn: () => T): T => withStartPath(forge, mode, fn);

/** Forgets what openpgp established about keys: the next push's certificate is judged by openpgp. */
function forgetKeys(): void {
  if (!fs.existsSync(repoCacheDir)) return;
  for (const name of fs.readdirSync(repoCacheDir)) if (/^key-/.test(name)) fs.rmSync(path.join(repoCacheDir, name));
}

let n = 0;
/**
 * Pushes only openpgp can judge, and what the pusher saw of each (user IDs made stable): an accepted push by the
 * owner, the same certificate tampered with, a push signed by an unregistered key, a registration with a secret
 * key, and a policy push adding a key file that is not a key.
 */
function openpgpPushes(): unknown[] {
  const seen: unknown[] = [];
  const k = ++n;
  forgetKeys();
  const c = owner.commitTree({ README: `change ${k}\n` }, [base], `change ${k}`);
  const ok = owner.push(`${c}:refs/heads/s${k}`);
  seen.push({ accepted: ok.code, remote: ok.remote, moved: forge.ref(`refs/heads/s${k}`) === c });

  const cert = forge.certificates().find((x) => x.text.includes(` ${c} refs/heads/s${k}\n`));
  if (cert) {
    const nonce = /^nonce (.*)$/m.exec(cert.text)![1]!;
    const line = cert.text.split('\n').find((l) => l.endsWith(` refs/heads/s${k}`))!;
    forgetKeys();
    const r = forge.runHook(
      {
        GIT_PUSH_CERT: forge.serverBlob(cert.text.replace(line, `${line}x`)),
        GIT_PUSH_CERT_NONCE: nonce,
        GIT_PUSH_CERT_NONCE_STATUS: 'OK',
      },
      `${line}x\n`,
    );
    seen.push({ tampered: r.code, stderr: r.stderr });
  } else seen.push({ tampered: 'no certificate stored' });

  const newcomer = forge.addUser(`newcomer${k}`);
  forge.users.delete(newcomer.name); // not in the policy files of later pushes
  const stable = (lines: string[]) => lines.map((l) => l.replaceAll(newcomer.id, 'NEWCOMER').replace(/key ID [0-9A-F]+/, 'key ID X'));
  const clone = forge.clone(newcomer);
  const c2 = clone.commitTree({ README: `newcomer ${k}\n` }, [base], 'newcomer');
  const unregistered = clone.push(`${c2}:refs/heads/n${k}`);
  seen.push({ unregistered: unregistered.code, remote: stable(unregistered.remote) });

  const policyTip = clone.fetchRef(POLICY)!;
  const secret = clone.commitTree(
    forge.policyFiles({ [`keys/${newcomer.id}.asc`]: exportSecret(forge.gpgHome, newcomer.id) }),
    [policyTip],
    's',
  );
  const withSecret = clone.push(`${secret}:${POLICY}`);
  seen.push({ secret: withSecret.code, remote: stable(withSecret.remote) });

  const notAKey = '-----BEGIN PGP PUBLIC KEY BLOCK-----\n\nmQINBGZZZZ\n-----END PGP PUBLIC KEY BLOCK-----\n';
  const garbage = owner.commitTree(forge.policyFiles({ [`keys/${newcomer.id}.asc`]: notAKey }), [owner.fetchRef(POLICY)!], 'g');
  const withGarbage = owner.push(`${garbage}:${POLICY}`);
  seen.push({ garbage: withGarbage.code, remote: stable(withGarbage.remote) });
  expect(forge.ref(POLICY)).toBe(policyTip);
  return seen;
}

let reference: unknown[];

describe('pushes only openpgp can judge', () => {
  test('the same verdicts and lines on every start path, the cached one twice (cache written, then read)', () => {
    const seen = Object.fromEntries([...MODES, 'cached'].map((mode, i) => [`${mode}${i}`, withMode(mode as Mode, openpgpPushes)]));
    reference = seen.plain0 as unknown[];
    // What they should be, so that the comparison is not between broken answers...
    expect(reference[0]).toEqual({ accepted: 0, remote: [], moved: true });
    expect(reference[1]).toMatchObject({
      tampered: 1,
      stderr: expect.stringMatching(/^git-acl: push rejected: bad push certificate signature \(.*\): Signed digest did not match\n$/),
    });
    expect(reference[2]).toEqual({
      unregistered: 1,
      remote: [
        'git-acl: push rejected: push certificate is signed by key NEWCOMER (key ID X), which no key file of the policy branch holds: register your public key as keys/<PRIMARY KEY FINGERPRINT>.asc',
      ],
    });
    expect((reference[3] as { remote: string[] }).remote).toEqual([expect.stringMatching(/secret key material/)]);
    expect((reference[4] as { remote: string[] }).remote[1]).toBe(
      'git-acl: keys/NEWCOMER.asc: not an armored OpenPGP public key (truncated packet)',
    );
    // ...and identical on every path.
    for (const [mode, lines] of Object.entries(seen)) expect({ mode, lines }).toEqual({ mode, lines: reference });
    expect(fs.readdirSync(cacheDir).filter((f) => f.startsWith('openpgp-'))).toHaveLength(1);
  });
});

describe('an openpgp.cjs that is edited, spoiled or gone', () => {
  /** Runs `fn` with openpgp.cjs replaced by `spoil(its text)` (null: removed), then puts it back. */
  function withApart<T>(spoil: ((text: string) => string) | null, fn: () => T): T {
    const good = fs.readFileSync(apart, 'utf8');
    if (spoil) fs.writeFileSync(apart, spoil(good));
    else fs.rmSync(apart);
    try {
      return fn();
    } finally {
      fs.writeFileSync(apart, good);
    }
  }

  test('an edit of the same length, with a FULL cache of the old one: the new code runs, never the old bytecode', () => {
    expect(withMode('cached', openpgpPushes)).toEqual(reference); // a cache of the good openpgp.cjs
    const [cache] = fs.readdirSync(cacheDir).filter((f) => f.startsWith('openpgp-'));
    const old = fs.readFileSync(path.join(cacheDir, cache!));
    withApart(
      (text) => {
        const edited = text.replace('Signed digest did not match', 'Signed digest DID not match');
        expect(edited).not.toBe(text);
        expect(edited.length).toBe(text.length);
        return edited;
      },
      () => {
        for (let i = 0; i < 2; i++) {
          const seen = withMode('cached', openpgpPushes);
          expect(seen[1]).toMatchObject({ stderr: expect.stringContaining('Signed digest DID not match') });
          expect(seen[0]).toEqual(reference[0]);
        }
        expect(fs.readFileSync(path.join(cacheDir, cache!)).equals(old)).toBe(false);
      },
    );
    expect(withMode('cached', openpgpPushes)).toEqual(reference);
  });

  test("the bundle's cache planted as openpgp's, and openpgp's as the bundle's: both refused, same lines", () => {
    expect(withMode('cached', openpgpPushes)).toEqual(reference);
    const files = fs.readdirSync(cacheDir);
    const b = path.join(cacheDir, files.find((f) => f.startsWith('bundle-'))!);
    const o = path.join(cacheDir, files.find((f) => f.startsWith('openpgp-'))!);
    const [bundleCache, openpgpCache] = [fs.readFileSync(b), fs.readFileSync(o)];
    fs.writeFileSync(o, bundleCache);
    fs.writeFileSync(b, openpgpCache);
    expect(withMode('cached', openpgpPushes)).toEqual(reference);
    // Both were refused and made again from their own scripts.
    expect(fs.readFileSync(o).equals(bundleCache)).toBe(false);
    expect(fs.readFileSync(b).equals(openpgpCache)).toBe(false);
  });

  test.each([
    ['that V8 cannot compile', (text: string) => `${text}\n}}} not JavaScript`],
    ['cut in half', (text: string) => text.slice(0, text.length >> 1)],
    // These compile and run to the end, exporting nothing of openpgp: just as unusable.
    ['empty', () => ''],
    ['cut after its first line', (text: string) => `${text.split('\n')[0]}\n`],
    ['exporting something else', () => 'module.exports = { readKeys: null };\n'],
    // Compiles and runs, but esbuild's export getters then name classes never defined: reading them throws.
    [
      'cut at a statement boundary after its exports',
      (text: string) => text.slice(0, text.indexOf(';var ', text.indexOf('module.exports=')) + 1),
    ],
  ])('an openpgp.cjs %s: the openpgp package judges, with the same lines', (_, spoil) => {
    withApart(spoil, () => {
      for (const mode of ['bundle', 'cached'] as const)
        expect({ mode, seen: withMode(mode, openpgpPushes) }).toEqual({ mode, seen: reference });
    });
  });

  test('none at all: the openpgp package judges, with the same lines', () => {
    withApart(null, () => {
      for (const mode of ['bundle', 'cached'] as const)
        expect({ mode, seen: withMode(mode, openpgpPushes) }).toEqual({ mode, seen: reference });
    });
  });

  test('an openpgp.cjs that throws as it loads: the openpgp package judges, with the same lines', () => {
    withApart(
      (text) => `throw new Error("openpgp.cjs will not load");\n${text}`,
      () => {
        for (const mode of ['bundle', 'cached'] as const)
          expect({ mode, seen: withMode(mode, openpgpPushes) }).toEqual({ mode, seen: reference });
      },
    );
  });

  test('no openpgp.cjs and no openpgp package: one line, nothing lands, on every path', () => {
    const nm = path.join(install, 'node_modules');
    fs.rmSync(nm);
    fs.mkdirSync(nm);
    for (const name of fs.readdirSync(path.join(REPO_ROOT, 'node_modules')))
      if (name !== 'openpgp') fs.symlinkSync(path.join(REPO_ROOT, 'node_modules', name), path.join(nm, name));
    try {
      withApart(null, () => {
        for (const mode of MODES) {
          forgetKeys();
          const c = owner.commitTree({ README: `no openpgp ${mode}\n` }, [base], mode);
          const r = withMode(mode, () => owner.push(`${c}:refs/heads/none-${mode}`));
          expect(r.code).not.toBe(0);
          expect(r.remote).toEqual([expect.stringMatching(/^git-acl: push rejected: Cannot find (module|package) 'openpgp'/)]);
          expect(forge.ref(`refs/heads/none-${mode}`)).toBe(null);
        }
      });
    } finally {
      fs.rmSync(nm, { recursive: true });
      fs.symlinkSync(path.join(REPO_ROOT, 'node_modules'), nm);
    }
  });
});

test('nothing else answers to git-acl-openpgp: not a package next to the install or in the repository, not NODE_PATH', () => {
  const marker = path.join(forge.root, 'planted-module-ran');
  const planted = `require('node:fs').appendFileSync(${JSON.stringify(marker)}, __filename + '\\n');\nmodule.exports = {};\n`;
  const dirs = [
    path.join(install, 'dist/hook/node_modules'),
    path.join(install, 'dist/node_modules'),
    path.join(forge.bare, 'node_modules'),
    path.join(forge.root, 'node-path'),
  ];
  for (const dir of dirs) {
    fs.mkdirSync(path.join(dir, 'git-acl-openpgp'), { recursive: true });
    fs.writeFileSync(path.join(dir, 'git-acl-openpgp', 'index.js'), planted);
  }
  forge.env.NODE_PATH = path.join(forge.root, 'node-path');
  try {
    expect(withMode('cached', openpgpPushes)).toEqual(reference);
    fs.renameSync(apart, `${apart}.away`);
    try {
      expect(withMode('cached', openpgpPushes)).toEqual(reference);
    } finally {
      fs.renameSync(`${apart}.away`, apart);
    }
  } finally {
    delete forge.env.NODE_PATH;
    for (const dir of dirs) fs.rmSync(path.join(dir, 'git-acl-openpgp'), { recursive: true });
  }
  expect(fs.existsSync(marker)).toBe(false);
});
