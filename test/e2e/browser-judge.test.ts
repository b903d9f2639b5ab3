/**
 * The library in a real browser: a page that imports `git-acl` (resolved by
 * esbuild through the package's `browser` export condition, as any bundler
 * does), builds an in-memory repository with isomorphic-git and judges pushes
 * in headless Chromium. Its verdicts and lines must be the ones the real hook
 * gave for the same pushes on a real server.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import * as fs from 'node:fs';
import * as http from 'node:http';
import type { AddressInfo } from 'node:net';
import * as path from 'node:path';
import { afterAll, beforeAll, expect, test } from 'vitest';
import * as esbuild from 'esbuild';
import { Forge, REPO_ROOT, type Clone } from '../support/forge.js';
import { cleanupTempDirs, tempDir } from '../support/env.js';
import { ensureBuilt } from '../support/env.js';

const CHROMIUM = ['/usr/bin/chromium', '/usr/bin/chromium-browser', '/usr/bin/google-chrome'].find((p) => fs.existsSync(p));
if (!CHROMIUM)
  console.warn("test/e2e/browser-judge.test.ts: SKIPPED: no Chromium (.ci/run installs Debian's chromium; apt-get install chromium)");

interface PageCase {
  name: string;
  userId: string;
  ref: string;
  before: Record<string, string> | null;
  after: Record<string, string>;
}

let forge: Forge;
let bob: Clone;

/** Every file of a commit on the server, path → content. */
function filesOf(rev: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const p of forge.server(['ls-tree', '-r', '--name-only', rev]).stdout.split('\n').filter(Boolean)) {
    out[p] = forge.server(['cat-file', 'blob', `${rev}:${p}`]).stdout;
  }
  return out;
}

beforeAll(() => {
  ensureBuilt();
  forge = Forge.create({ users: ['bob'] });
  forge.setPolicy(Forge.presetFiles('per-user-branches'));
  const owner = forge.clone(forge.owner);
  expect(owner.push(`${owner.commitTree({ 'README.md': 'hello\n', 'docs/guide.md': 'guide\n' }, [], 'first')}:refs/heads/main`).code).toBe(
    0,
  );
  bob = forge.clone('bob');
});
afterAll(() => {
  forge?.cleanup();
  cleanupTempDirs();
});

/** Bundles the page for a browser: `git-acl` is this package, found through node_modules as an installed one would be. */
async function bundlePage(): Promise<{ js: string; inputs: string[] }> {
  const dir = tempDir('acl-browser-');
  fs.mkdirSync(path.join(dir, 'node_modules'));
  fs.symlinkSync(REPO_ROOT, path.join(dir, 'node_modules', 'git-acl'));
  for (const f of ['page.ts', 'mem-fs.ts', 'buffer-global.ts'])
    fs.copyFileSync(path.join(REPO_ROOT, 'test/fixtures/browser', f), path.join(dir, f));
  const result = await esbuild.build({
    entryPoints: [path.join(dir, 'page.ts')],
    bundle: true,
    platform: 'browser',
    format: 'esm',
    write: false,
    metafile: true,
    logLevel: 'silent',
    nodePaths: [path.join(REPO_ROOT, 'node_modules')],
  });
  expect(result.errors).toEqual([]);
  return { js: result.outputFiles[0]!.text, inputs: Object.keys(result.metafile!.inputs) };
}

/** Serves the page on 127.0.0.1, runs it in headless Chromium, and returns what it posted. */
async function runInChromium(
  js: string,
  input: unknown,
): Promise<{ ok: boolean; result?: { userAgent: string; ownerId: string; results: unknown }; error?: string }> {
  let chromium: ChildProcess | undefined;
  let server: http.Server | undefined;
  try {
    const posted = new Promise<string>((resolve, reject) => {
      server = http.createServer((req, res) => {
        if (req.method === 'POST' && req.url === '/result') {
          let body = '';
          req
            .setEncoding('utf8')
            .on('data', (d: string) => (body += d))
            .on('end', () => {
              res.end('ok');
              resolve(body);
            });
          return;
        }
        const [type, body] =
          req.url === '/'
            ? ['text/html', '<!doctype html><meta charset="utf-8"><script type="module" src="/page.js"></script>']
            : req.url === '/page.js'
              ? ['text/javascript', js]
              : req.url === '/input'
                ? ['application/json', JSON.stringify(input)]
                : [null, ''];
        if (type === null) {
          res.statusCode = 404;
          res.end();
          return;
        }
        res.setHeader('content-type', `${type}; charset=utf-8`);
        res.end(body);
      });
      server.on('error', reject);
    });
    await new Promise<void>((resolve) => server!.listen(0, '127.0.0.1', resolve));
    const { port } = server!.address() as AddressInfo;
    const profile = tempDir('acl-chromium-');
    chromium = spawn(
      CHROMIUM!,
      [
        '--headless',
        '--no-sandbox',
        '--disable-gpu',
        '--disable-quic',
        '--no-first-run',
        '--disable-background-networking',
        '--disable-component-update',
        '--disable-sync',
        '--disable-dev-shm-usage',
        `--user-data-dir=${profile}`,
        `http://127.0.0.1:${port}/`,
      ],
      { stdio: ['ignore', 'ignore', 'pipe'] },
    );
    let stderr = '';
    chromium.stderr!.setEncoding('utf8').on('data', (d: string) => (stderr = (stderr + d).slice(-4000)));
    const exited = new Promise<never>((_, reject) =>
      chromium!.on('exit', (code) => reject(new Error(`chromium exited (${code}) before the page reported:\n${stderr}`))),
    );
    return JSON.parse(await Promise.race([posted, exited]));
  } finally {
    if (chromium && chromium.exitCode === null) {
      const gone = new Promise((resolve) => chromium!.on('exit', resolve));
      chromium.kill('SIGTERM');
      await gone;
    }
    server?.close();
  }
}

test.skipIf(!CHROMIUM)(
  "headless Chromium judges pushes with git-acl's browser entry: the hook's verdicts and lines",
  async () => {
    const B = bob.user.id;
    const main = forge.ref('refs/heads/main')!;
    const base = filesOf(main);
    const cases: PageCase[] = [
      {
        name: 'bob edits main (denied)',
        userId: B,
        ref: 'refs/heads/main',
        before: base,
        after: { ...base, 'README.md': 'bob was here\n', 'docs/new.md': 'new\n' },
      },
      {
        name: 'bob creates his own branch (allowed)',
        userId: B,
        ref: `refs/heads/${B}/topic`,
        before: null,
        after: { ...base, 'notes.txt': 'mine\n' },
      },
      {
        name: 'bob creates a branch outside his namespace (denied)',
        userId: B,
        ref: 'refs/heads/topic',
        before: null,
        after: { ...base, 'x.txt': 'x\n' },
      },
    ];
    // The real pushes, through the installed hook.
    const hook = cases.map((c) => {
      const parents = c.before === null ? [] : [main];
      const commit = bob.commitTree(c.after, parents, c.name);
      const r = bob.push(`${commit}:${c.ref}`);
      return { name: c.name, accepted: r.code === 0, lines: r.remote };
    });
    expect(hook.map((h) => h.accepted)).toEqual([false, true, false]);

    const { js, inputs } = await bundlePage();
    // Resolved through the browser condition: the browser entry, never the Node one, and nothing of Node.
    expect(inputs.some((i) => i.endsWith('dist/browser.js'))).toBe(true);
    expect(inputs.some((i) => i.endsWith('dist/index.js') || i.includes('cli-store') || i.includes('node-fs'))).toBe(false);
    expect(js).not.toMatch(/from\s*["']node:|require\(["']node:/);

    const posted = await runInChromium(js, { policy: filesOf('refs/heads/apps/access-control'), cases });
    expect(posted.error).toBeUndefined();
    expect(posted.ok).toBe(true);
    expect(posted.result?.userAgent).toMatch(/HeadlessChrome|Chrome/);
    expect(posted.result?.ownerId).toBe(forge.owner.id);
    expect(posted.result?.results).toEqual(hook);
    expect(hook[0]!.lines[0]).toBe(`git-acl: push rejected for user ${B}; no ref was changed`);
  },
  120_000,
);
