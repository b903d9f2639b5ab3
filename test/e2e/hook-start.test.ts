/**
 * How the hooks start (hooks/pre-receive, src/hook/start.ts): the bundle with its V8 code cache gives exactly
 * the verdicts and lines of the plain ES-module start; a cache that is stale, corrupt, foreign or unwritable is
 * never trusted and never changes a verdict; and whatever goes wrong around Node (an install that moved, a
 * start-up failure, an out-of-memory abort, a signal) reaches the pusher as one line and rejects the push.
 *
 * The whole e2e suite runs through the shipped start; `GIT_ACL_TEST_HOOK_START=plain npm test` runs it through
 * the plain one. The first block here runs the same pushes through all three paths in every test run.
 *
 * Tests that alter the cache or the install work on a private copy of git-acl's built files, so they never
 * touch the dist/ other test files run from.
 */
import { createHash } from 'node:crypto';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { Forge, type Clone, type PushResult } from '../support/forge.js';
import { cleanupTempDirs } from '../support/env.js';
import { privateInstall, START_PATHS, withStartPath, type StartPath } from '../support/install.js';

const MODES = START_PATHS;
type Mode = StartPath;

const withMode = withStartPath;

const outcome = (r: PushResult) => ({ code: r.code, remote: r.remote });

afterAll(() => cleanupTempDirs());

describe('the same pushes through the plain start, the bundle and the bundle with its code cache', () => {
  let forge: Forge;
  let alice: Clone;
  let base: string;
  beforeAll(() => {
    forge = Forge.create({ presets: ['shared-directory'], users: ['alice'] });
    forge.setPolicy(Forge.presetFiles('shared-directory'));
    const owner = forge.clone(forge.owner);
    base = owner.commitTree({ README: 'shared\n', [`shared/${forge.owner.id}/notes`]: 'mine\n' });
    expect(owner.push(`${base}:refs/heads/main`).code).toBe(0);
    alice = forge.clone('alice');
    alice.ok(['fetch', '-q', 'origin']);
  });
  afterAll(() => forge?.cleanup());

  test('rejections: the same lines, word for word, on every path', () => {
    const A = forge.user('alice').id;
    const outside = alice.commitTree(
      { README: 'hers now\n', [`shared/${forge.owner.id}/notes`]: 'mine\n', [`shared/${A}/a`]: 'a\n' },
      [base],
      'outside',
    );
    const squat = alice.commitTree(
      { README: 'shared\n', [`shared/${forge.owner.id}/notes`]: 'mine\n', [`shared/${'0'.repeat(40)}`]: 'x\n' },
      [base],
      'squat',
    );
    const broken = forge.clone(forge.owner);
    const policyTip = broken.fetchRef('refs/heads/apps/access-control')!;
    const badPolicy = broken.commitTree(forge.policyFiles({ 'refs/broken.conf': 'owner fly ^x$\n' }), [policyTip], 'broken');
    const seen: Record<Mode, unknown[]> = { plain: [], bundle: [], cached: [] };
    for (const mode of MODES) {
      withMode(forge, mode, () => {
        seen[mode].push(outcome(alice.push(`${outside}:refs/heads/main`)));
        seen[mode].push(outcome(alice.push(`${squat}:refs/heads/main`)));
        seen[mode].push(outcome(alice.push(`${base}:refs/heads/elsewhere`)));
        seen[mode].push(outcome(alice.pushUnsigned(`${outside}:refs/heads/main`)));
        seen[mode].push(outcome(broken.push(`${badPolicy}:refs/heads/apps/access-control`)));
        seen[mode].push(forge.runHook({ GIT_PUSH_CERT: 'x', GIT_PUSH_CERT_NONCE_STATUS: 'OK' }, 'not an update line\n'));
      });
    }
    expect(forge.ref('refs/heads/main')).toBe(base);
    // The rejections are what they should be (so the comparison is not between three empty answers)...
    const plain = seen.plain as Array<{ code: number; remote?: string[]; stderr?: string }>;
    expect(plain.slice(0, 5).every((o) => o.code !== 0 && o.remote!.some((l) => l.startsWith('git-acl: push rejected')))).toBe(true);
    expect(plain[0]!.remote!.join('\n')).toContain('README');
    expect(plain[5]).toMatchObject({ code: 1, stderr: expect.stringMatching(/^git-acl: push rejected: .*\n$/) });
    // ...and identical on every path.
    expect(seen.bundle).toEqual(seen.plain);
    expect(seen.cached).toEqual(seen.plain);
  });

  test('acceptances: each path accepts, logs and moves the ref alike', () => {
    const A = forge.user('alice').id;
    let parent = base;
    for (const mode of MODES) {
      const commit = alice.commitTree(
        { README: 'shared\n', [`shared/${forge.owner.id}/notes`]: 'mine\n', [`shared/${A}/${mode}`]: `${mode}\n` },
        [parent],
        mode,
      );
      const r = withMode(forge, mode, () => alice.push(`${commit}:refs/heads/main`));
      expect({ mode, ...outcome(r) }).toEqual({ mode, code: 0, remote: [] });
      expect(forge.ref('refs/heads/main')).toBe(commit);
      parent = commit;
    }
    const log = forge.server(['log', '--format=%s', 'refs/heads/apps/push-log']).stdout.split('\n').filter(Boolean);
    expect(log.length).toBeGreaterThanOrEqual(MODES.length);
  });
});

// ---------------------------------------------------------------- the cache

const MAGIC = Buffer.from('git-acl v8cache2', 'latin1');
const sha256 = (b: Uint8Array) => createHash('sha256').update(b).digest();

/** A forge whose hooks belong to a private install; `push()` makes alice's next accepted change. */
function cacheForge() {
  const install = privateInstall();
  const forge = Forge.create({ presets: ['shared-directory'], users: ['alice'], cli: path.join(install, 'dist/cli/main.js') });
  delete forge.env.GIT_ACL_HOOK_START; // these tests are about the shipped start, whatever the suite runs through
  // ... and about the hook the script starts: a warm judge (test/e2e/warm-judge.test.ts) loaded its cache before.
  forge.server(['config', 'acl.warmSeconds', '0']);
  forge.setPolicy(Forge.presetFiles('shared-directory'));
  const owner = forge.clone(forge.owner);
  const base = owner.commitTree({ README: 'shared\n' });
  expect(owner.push(`${base}:refs/heads/main`).code).toBe(0);
  const alice = forge.clone('alice');
  alice.ok(['fetch', '-q', 'origin']);
  const A = forge.user('alice').id;
  let tip = base;
  let n = 0;
  const cacheDir = path.join(install, 'dist/hook/cache');
  const repoCacheDir = path.join(forge.bare, 'git-acl/cache');
  return {
    install,
    forge,
    cacheDir,
    repoCacheDir,
    bundle: path.join(install, 'dist/hook/bundle.cjs'),
    /** The bundle's cache files in a directory (none: []); `openpgp`: openpgp's (src/hook/start.ts). */
    caches: (dir: string, stem: 'bundle' | 'openpgp' = 'bundle') =>
      fs.existsSync(dir) && fs.statSync(dir).isDirectory()
        ? fs
            .readdirSync(dir)
            .filter((f) => f.startsWith(`${stem}-`) && f.endsWith('.v8cache'))
            .map((f) => path.join(dir, f))
        : [],
    /** An accepted push by alice: a new file in her directory. */
    accepted(): PushResult {
      const commit = alice.commitTree({ README: 'shared\n', [`shared/${A}/f${++n}`]: `${n}\n` }, [tip], `change ${n}`);
      const r = alice.push(`${commit}:refs/heads/main`);
      if (r.code === 0) tip = commit;
      return r;
    },
    /** A push the policy rejects (alice edits README). */
    rejected(): PushResult {
      const commit = alice.commitTree({ README: `not hers ${++n}\n` }, [tip], `bad ${n}`);
      return alice.push(`${commit}:refs/heads/main`);
    },
    main: () => forge.ref('refs/heads/main'),
    tip: () => tip,
  };
}

/** A cache file's header and payload (the format of src/hook/start.ts). */
function parseCache(file: string) {
  const data = fs.readFileSync(file);
  expect(data.subarray(0, MAGIC.length).equals(MAGIC)).toBe(true);
  const at = MAGIC.length;
  return {
    bundleHash: data.subarray(at, at + 32),
    length: data.readUInt32LE(at + 32),
    payloadHash: data.subarray(at + 36, at + 68),
    full: data.readUInt32LE(at + 68) === 1,
    payload: data.subarray(at + 72),
  };
}
function writeCacheFile(file: string, bundleHash: Buffer, payload: Buffer, full: boolean): void {
  const len = Buffer.alloc(4);
  len.writeUInt32LE(payload.length);
  const flags = Buffer.alloc(4);
  flags.writeUInt32LE(full ? 1 : 0);
  fs.writeFileSync(file, Buffer.concat([MAGIC, bundleHash, len, sha256(payload), flags, payload]));
}

describe('the code cache', () => {
  let f: ReturnType<typeof cacheForge>;
  beforeAll(() => {
    f = cacheForge();
  });
  afterAll(() => f?.forge.cleanup());

  test('git acl init writes it next to the bundle, for this Node and this very bundle; the first accepted push completes it, once', () => {
    const init = f.forge.acl(['init', f.forge.bare, '--owner-key', path.join(f.forge.root, 'owner.asc')]);
    expect(init.code).toBe(0);
    const [file, ...more] = f.caches(f.cacheDir);
    expect(more).toEqual([]);
    expect(init.stdout).toContain(`hook code cache written: ${file}\n`);
    expect(path.basename(file!)).toMatch(
      new RegExp(`^bundle-${process.version.replace(/\./g, '\\.')}-${process.arch}-[0-9a-f]+\\.v8cache$`),
    );
    const warmed = parseCache(file!);
    expect(warmed.bundleHash.equals(sha256(fs.readFileSync(f.bundle)))).toBe(true);
    expect(warmed.payload.length).toBe(warmed.length);
    // init can only load the modules: its cache lacks the judging code, and says so.
    expect(warmed.full).toBe(false);
    const stamp = (x: fs.Stats) => [x.ino, x.mtimeMs];
    const s0 = fs.statSync(file!);
    expect(f.rejected().remote[0]).toMatch(/^git-acl: push rejected for user /);
    expect(stamp(fs.statSync(file!))).toEqual(stamp(s0));
    expect(outcome(f.accepted())).toEqual({ code: 0, remote: [] });
    const completed = parseCache(file!);
    expect(completed.full).toBe(true);
    expect(completed.payload.length).toBeGreaterThan(warmed.payload.length);
    const s1 = fs.statSync(file!);
    expect(stamp(s1)).not.toEqual(stamp(s0));
    // From then on a hit is only read.
    expect(outcome(f.accepted())).toEqual({ code: 0, remote: [] });
    expect(f.rejected().remote[0]).toMatch(/^git-acl: push rejected for user /);
    expect(stamp(fs.statSync(file!))).toEqual(stamp(s1));
    expect(f.caches(f.repoCacheDir)).toEqual([]);
  });

  test.each([
    ['truncated', (file: string) => fs.truncateSync(file, fs.statSync(file).size - 1000)],
    ['cut inside its header', (file: string) => fs.truncateSync(file, 40)],
    ['empty', (file: string) => fs.writeFileSync(file, '')],
    [
      'with a flipped byte in its payload',
      (file: string) => {
        const d = fs.readFileSync(file);
        d[d.length - 100] ^= 0xff;
        fs.writeFileSync(file, d);
      },
    ],
    [
      'rejected by V8 (payload of another V8 version, header made to match)',
      (file: string) => {
        const { bundleHash, payload } = parseCache(file);
        const other = Buffer.from(payload);
        for (let i = 4; i < 12; i++) other[i] ^= 0x5a; // V8's own header: its version hash and the source hash
        writeCacheFile(file, bundleHash, other, true);
      },
    ],
    ['writable by others', (file: string) => fs.chmodSync(file, 0o666)],
  ])('a cache file %s is not used: the push is judged from source and a good cache replaces it', (_, spoil) => {
    const [file] = f.caches(f.cacheDir);
    const good = fs.readFileSync(file!);
    spoil(file!);
    const spoiled = fs.readFileSync(file!);
    const spoiledInode = fs.statSync(file!).ino;
    expect(outcome(f.accepted())).toEqual({ code: 0, remote: [] });
    expect(f.rejected().remote[0]).toMatch(/^git-acl: push rejected for user /);
    // A complete cache that is used is only ever read: a new file (renamed into place) shows this one was refused.
    expect(fs.statSync(file!).ino).not.toBe(spoiledInode);
    expect(fs.readFileSync(file!).equals(spoiled)).toBe(false);
    expect(fs.statSync(file!).mode & 0o022).toBe(0);
    const remade = parseCache(file!);
    expect(remade.bundleHash.equals(parseCache(path.join(file!)).bundleHash)).toBe(true);
    expect(remade.bundleHash.equals(good.subarray(MAGIC.length, MAGIC.length + 32))).toBe(true);
    expect(remade.payload.length).toBe(remade.length);
    expect(remade.full).toBe(true);
    expect(sha256(remade.payload).equals(fs.readFileSync(file!).subarray(MAGIC.length + 36, MAGIC.length + 68))).toBe(true);
  });

  test("a cache made from an older bundle never runs: the new bundle's code does, and the cache is remade", () => {
    const [file] = f.caches(f.cacheDir);
    const oldBundle = fs.readFileSync(f.bundle);
    const old = parseCache(file!);
    expect(old.bundleHash.equals(sha256(oldBundle))).toBe(true);
    // A new bundle of the very same length (V8's own check only compares lengths), whose reports differ.
    const text = oldBundle.toString('utf8');
    const newer = text.replace(/push rejected for user /g, 'push REJECTED for user ');
    expect(newer).not.toBe(text);
    expect(Buffer.byteLength(newer)).toBe(oldBundle.length);
    try {
      fs.writeFileSync(f.bundle, newer);
      const r = f.rejected();
      expect(r.remote[0]).toMatch(/^git-acl: push REJECTED for user /);
      expect(parseCache(file!).bundleHash.equals(sha256(Buffer.from(newer)))).toBe(true);
      // The new cache serves the new bundle.
      expect(f.rejected().remote[0]).toMatch(/^git-acl: push REJECTED for user /);
    } finally {
      fs.writeFileSync(f.bundle, oldBundle);
    }
    expect(f.rejected().remote[0]).toMatch(/^git-acl: push rejected for user /);
    expect(parseCache(file!).bundleHash.equals(sha256(oldBundle))).toBe(true);
  });

  test('a cache in a directory others may write is not used: the bundle compiles from source, and the cache is used again once the directory is private', () => {
    expect(outcome(f.accepted())).toEqual({ code: 0, remote: [] }); // a FULL cache, whatever the test before left
    const [file] = f.caches(f.cacheDir);
    const stamp = () => [fs.statSync(file!).ino, fs.statSync(file!).mtimeMs];
    try {
      fs.chmodSync(f.cacheDir, 0o777);
      const s0 = stamp();
      expect(outcome(f.accepted())).toEqual({ code: 0, remote: [] });
      // A FULL cache that is used is only ever read: a new file says the hook compiled from source instead.
      expect(stamp()).not.toEqual(s0);
    } finally {
      fs.chmodSync(f.cacheDir, 0o755);
    }
    const s1 = stamp();
    expect(outcome(f.accepted())).toEqual({ code: 0, remote: [] });
    expect(stamp()).toEqual(s1);
  });

  test("openpgp is compiled apart, with a cache of its own: the bundle's cache never holds its code", () => {
    // Strings V8 keeps with the code it caches: one of the admission's (every accepted push runs it) and one of
    // openpgp's armour parser (only a certificate the fast path cannot vouch for runs it).
    const ours = 'the policy branch changed while';
    const openpgps = 'Misformed armored text';
    expect(fs.readFileSync(f.bundle, 'latin1')).toContain(ours);
    expect(fs.readFileSync(f.bundle, 'latin1')).not.toContain(openpgps);
    expect(fs.readFileSync(path.join(f.install, 'dist/hook/openpgp.cjs'), 'latin1')).toContain(openpgps);
    const only = (stem: 'bundle' | 'openpgp') => {
      const [file, ...more] = f.caches(f.cacheDir, stem);
      expect(more).toEqual([]);
      return file!;
    };
    // No caches, and no record of what openpgp established about alice's key: openpgp judges her next push.
    for (const stem of ['bundle', 'openpgp'] as const) for (const file of f.caches(f.cacheDir, stem)) fs.rmSync(file);
    for (const name of fs.readdirSync(f.repoCacheDir)) if (/^key-/.test(name)) fs.rmSync(path.join(f.repoCacheDir, name));
    expect(outcome(f.accepted())).toEqual({ code: 0, remote: [] });
    const bundleCache = parseCache(only('bundle'));
    expect(bundleCache.full).toBe(true);
    expect(bundleCache.payload.toString('latin1')).toContain(ours);
    expect(bundleCache.payload.toString('latin1')).not.toContain(openpgps);
    const openpgpFile = only('openpgp');
    expect(path.basename(openpgpFile)).toMatch(
      new RegExp(`^openpgp-${process.version.replace(/\./g, '\\.')}-${process.arch}-[0-9a-f]+\\.v8cache$`),
    );
    const openpgpCache = parseCache(openpgpFile);
    expect(openpgpCache.full).toBe(true);
    expect(openpgpCache.bundleHash.equals(sha256(fs.readFileSync(path.join(f.install, 'dist/hook/openpgp.cjs'))))).toBe(true);
    expect(openpgpCache.payload.toString('latin1')).toContain(openpgps);
    // The fast path now vouches for her: both caches are only read.
    const stamp = (file: string) => [fs.statSync(file).ino, fs.statSync(file).mtimeMs];
    const s0 = [stamp(only('bundle')), stamp(openpgpFile)];
    expect(outcome(f.accepted())).toEqual({ code: 0, remote: [] });
    expect([stamp(only('bundle')), stamp(openpgpFile)]).toEqual(s0);
    // A spoiled openpgp cache is refused like the bundle's: openpgp compiles from source, judges alike, and a good
    // cache replaces it.
    const d = fs.readFileSync(openpgpFile);
    d[d.length - 100] ^= 0xff;
    fs.writeFileSync(openpgpFile, d);
    for (const name of fs.readdirSync(f.repoCacheDir)) if (/^key-/.test(name)) fs.rmSync(path.join(f.repoCacheDir, name));
    expect(outcome(f.accepted())).toEqual({ code: 0, remote: [] });
    expect(fs.readFileSync(openpgpFile).equals(d)).toBe(false);
    expect(parseCache(openpgpFile).full).toBe(true);
    // No openpgp.cjs at all: the openpgp package itself verifies, with the same verdict.
    const apart = path.join(f.install, 'dist/hook/openpgp.cjs');
    fs.renameSync(apart, `${apart}.away`);
    try {
      for (const name of fs.readdirSync(f.repoCacheDir)) if (/^key-/.test(name)) fs.rmSync(path.join(f.repoCacheDir, name));
      expect(outcome(f.accepted())).toEqual({ code: 0, remote: [] });
      expect(f.rejected().remote[0]).toMatch(/^git-acl: push rejected for user /);
    } finally {
      fs.renameSync(`${apart}.away`, apart);
    }
  });

  test('a cache file named for another Node version or another bundle is left alone', () => {
    expect(outcome(f.accepted())).toEqual({ code: 0, remote: [] }); // a FULL cache, whatever the test before left
    const [file] = f.caches(f.cacheDir);
    const foreign = path.join(f.cacheDir, path.basename(file!).replace(process.version, 'v19.0.0'));
    fs.writeFileSync(foreign, 'not a cache');
    const before = fs.statSync(file!);
    expect(outcome(f.accepted())).toEqual({ code: 0, remote: [] });
    expect(fs.readFileSync(foreign, 'utf8')).toBe('not a cache');
    expect(fs.statSync(file!).mtimeMs).toBe(before.mtimeMs);
    fs.rmSync(foreign);
  });

  test.skipIf(process.getuid?.() !== 0)(
    'a cache file of another user is neither read nor replaced: this user keeps one of their own',
    () => {
      expect(outcome(f.accepted())).toEqual({ code: 0, remote: [] });
      const [file, ...more] = f.caches(f.cacheDir);
      expect(more).toEqual([]);
      const theirs = fs.readFileSync(file!);
      fs.chownSync(file!, 54321, 54321);
      expect(outcome(f.accepted())).toEqual({ code: 0, remote: [] });
      const mine = file!.replace(/\.v8cache$/, `.u${process.getuid!()}.v8cache`);
      expect(f.caches(f.cacheDir).sort()).toEqual([file!, mine].sort());
      expect(fs.statSync(file!).uid).toBe(54321);
      expect(fs.readFileSync(file!).equals(theirs)).toBe(true);
      expect(parseCache(mine).full).toBe(true);
      const s0 = fs.statSync(mine);
      expect(f.rejected().remote[0]).toMatch(/^git-acl: push rejected for user /);
      expect(outcome(f.accepted())).toEqual({ code: 0, remote: [] });
      expect([fs.statSync(mine).ino, fs.statSync(mine).mtimeMs]).toEqual([s0.ino, s0.mtimeMs]);
      fs.rmSync(file!);
      fs.renameSync(mine, file!);
    },
  );

  test('an install the hook cannot write to: the cache goes to the repository; neither writable: no cache, same verdicts', () => {
    fs.rmSync(f.cacheDir, { recursive: true, force: true });
    // A file where the directory would be stops any user, root included, from writing there.
    fs.writeFileSync(f.cacheDir, 'in the way');
    const first = f.accepted();
    expect(outcome(first), first.stderr).toEqual({ code: 0, remote: [] });
    const [inRepo, ...more] = f.caches(f.repoCacheDir);
    expect(more).toEqual([]);
    expect(path.basename(inRepo!)).toMatch(/^bundle-v.*\.v8cache$/);
    const before = fs.statSync(inRepo!);
    expect(outcome(f.accepted())).toEqual({ code: 0, remote: [] });
    expect(fs.statSync(inRepo!).mtimeMs).toBe(before.mtimeMs);

    fs.rmSync(f.repoCacheDir, { recursive: true });
    fs.writeFileSync(f.repoCacheDir, 'in the way too');
    expect(outcome(f.accepted())).toEqual({ code: 0, remote: [] });
    expect(f.rejected().remote[0]).toMatch(/^git-acl: push rejected for user /);
    expect(fs.readdirSync(path.dirname(f.repoCacheDir)).filter((n) => n.includes('v8cache'))).toEqual([]);
    fs.rmSync(f.repoCacheDir);
    fs.rmSync(f.cacheDir);
  });

  test('no bundle, or one that does not compile: the plain ES-module start judges the push', () => {
    const bundle = fs.readFileSync(f.bundle);
    try {
      fs.rmSync(f.bundle);
      expect(outcome(f.accepted())).toEqual({ code: 0, remote: [] });
      expect(f.rejected().remote[0]).toMatch(/^git-acl: push rejected for user /);
      fs.writeFileSync(f.bundle, `${bundle.toString('utf8')}\n}}} this is not JavaScript`);
      expect(outcome(f.accepted())).toEqual({ code: 0, remote: [] });
      expect(f.rejected().remote[0]).toMatch(/^git-acl: push rejected for user /);
    } finally {
      fs.writeFileSync(f.bundle, bundle);
    }
  });
});

// ---------------------------------------------------------------- failures around Node

describe('whatever happens to the hook process, the pusher reads one line and nothing lands', () => {
  let f: ReturnType<typeof cacheForge>;
  beforeAll(() => {
    f = cacheForge();
  });
  afterAll(() => f?.forge.cleanup());

  function rejectedWith(extraEnv: NodeJS.ProcessEnv, line: string | RegExp): void {
    const saved = { ...f.forge.env };
    Object.assign(f.forge.env, extraEnv);
    let r: PushResult;
    try {
      r = f.accepted();
    } finally {
      for (const k of Object.keys(extraEnv)) delete f.forge.env[k];
      Object.assign(f.forge.env, saved);
    }
    expect(r.code).not.toBe(0);
    expect(r.remote).toHaveLength(1);
    if (typeof line === 'string') expect(r.remote[0]).toBe(line);
    else expect(r.remote[0]).toMatch(line);
    expect(r.stderr).not.toMatch(/node:internal|at .*\.js:\d+|FATAL ERROR/);
    expect(f.main()).toBe(f.tip());
  }

  test('Node cannot start (a bad option)', () => {
    rejectedWith(
      { NODE_OPTIONS: '--no-such-option-at-all' },
      'git-acl: push rejected: the access check failed to start (node exited with status 9)',
    );
  });

  test('a start-up failure that Node reports with a stack trace', () => {
    rejectedWith(
      { NODE_OPTIONS: `--require=${path.join(f.install, 'no-such-file.cjs')}` },
      'git-acl: push rejected: the access check failed to start (node exited with status 1)',
    );
  });

  test('out of memory: V8 aborts', () => {
    const hog = path.join(f.install, 'hog.cjs');
    fs.writeFileSync(hog, 'const a = []; for (;;) a.push(new Array(1e5).fill(a.length));\n');
    rejectedWith(
      { NODE_OPTIONS: `--max-old-space-size=16 --require=${hog}` },
      'git-acl: push rejected: the access check ran out of memory or crashed (signal 6)',
    );
  });

  test('killed by a signal', () => {
    const kill = path.join(f.install, 'kill.cjs');
    fs.writeFileSync(kill, "process.kill(process.pid, 'SIGKILL');\n");
    rejectedWith({ NODE_OPTIONS: `--require=${kill}` }, 'git-acl: push rejected: the access check was killed (signal 9)');
  });

  test('a push still lands afterwards', () => {
    expect(outcome(f.accepted())).toEqual({ code: 0, remote: [] });
  });

  test('Node is gone from where init found it', () => {
    const hookFile = path.join(f.forge.bare, 'hooks/pre-receive');
    const script = fs.readFileSync(hookFile, 'utf8');
    const gone = path.join(f.install, 'no-node-here');
    try {
      fs.writeFileSync(hookFile, script.replace(/^node=.*$/m, `node='${gone}'`));
      rejectedWith({}, `git-acl: push rejected: Node.js is not installed at ${gone}; run git acl init again`);
    } finally {
      fs.writeFileSync(hookFile, script);
    }
  });

  test('the git-acl install the hooks name has moved away', () => {
    const moved = `${f.install}-moved`;
    fs.renameSync(f.install, moved);
    try {
      rejectedWith({}, `git-acl: push rejected: git-acl is not installed at ${f.install}; run git acl init again`);
    } finally {
      fs.renameSync(moved, f.install);
    }
    expect(outcome(f.accepted())).toEqual({ code: 0, remote: [] });
  });

  test('only its dist/ is gone: the loader says the same one line', () => {
    const hook = path.join(f.install, 'dist/hook');
    const moved = path.join(f.install, 'hook-moved');
    // Keep the loader, lose everything it would run.
    fs.renameSync(hook, moved);
    fs.mkdirSync(hook);
    fs.copyFileSync(path.join(moved, 'start.cjs'), path.join(hook, 'start.cjs'));
    try {
      rejectedWith({}, `git-acl: push rejected: git-acl is not installed at ${f.install}; run git acl init again`);
    } finally {
      fs.rmSync(hook, { recursive: true });
      fs.renameSync(moved, hook);
    }
  });

  test('post-receive, when its shell fast path cannot log the push and its Node dies: one warning line', () => {
    const owner = f.forge.clone(f.forge.owner);
    const c1 = owner.commitTree({ 'p1.txt': '1\n' }, [], 'p1');
    const c2 = owner.commitTree({ 'p2.txt': '2\n' }, [], 'p2');
    // A stale lock file makes git fail the second update after pre-receive accepted both: post-receive must
    // then log what git applied, which only git-acl's Node process does.
    const lockFile = path.join(f.forge.bare, 'refs/heads/p2.lock');
    fs.writeFileSync(lockFile, '');
    const kill = path.join(f.install, 'kill-post-receive.cjs');
    fs.writeFileSync(kill, "if (process.argv[2] === 'post-receive') process.kill(process.pid, 'SIGKILL');\n");
    f.forge.env.NODE_OPTIONS = `--require=${kill}`;
    let r: PushResult;
    try {
      r = owner.push(`${c1}:refs/heads/p1`, `${c2}:refs/heads/p2`);
    } finally {
      delete f.forge.env.NODE_OPTIONS;
      fs.rmSync(lockFile);
    }
    expect(f.forge.ref('refs/heads/p1')).toBe(c1);
    expect(f.forge.ref('refs/heads/p2')).toBe(null);
    // (git's own lines about the stale lock come first.)
    expect(
      r.remote.filter(
        (l) => !/^(error: cannot lock ref|Another git process|an editor opened|are terminated|may have crashed|remove the file)/.test(l),
      ),
    ).toEqual(['git-acl: warning: post-receive failed (node exited with status 137); the push log was not updated']);
    expect(r.stderr).not.toMatch(/node:internal|at .*\.js:\d+|Killed/);
  });
});
