// Builds the hooks' start path from tsc's output (`npm run build` runs it after tsc):
// - dist/hook/bundle.cjs: both hook processes and all they import but openpgp and re2js as one CommonJS file, the
//   file src/hook/start.ts compiles with a V8 code cache;
// - dist/hook/openpgp.cjs: openpgp, which the bundle asks for as `git-acl-openpgp` (start.ts compiles it with a code
//   cache of its own, when a push needs it: most pushes are verified without it, and its code in the bundle's cache
//   would cost every push its deserialisation);
// - dist/hook/re2js.cjs: re2js, asked for as `git-acl-re2js` on the first pattern that is not a shape (the usual
//   policy has none: src/core/pattern.ts), for the same reason: it was 46 % of the bundle every push read and hashed;
// - dist/hook/start.cjs: that loader itself, as CommonJS (Node starts a CommonJS entry faster than an ES module).
// The bundle and the loader are made from dist/*.js, the very code the plain path (`node dist/hook/main.js`) runs;
// openpgp.cjs and re2js.cjs from the packages the plain path imports.
import { build } from 'esbuild';
import { readFileSync, rmSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { patchRe2js } from './re2js-patch.mjs';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');

/**
 * openpgp builds AES's lookup tables when its module loads: two loops of 65,536 steps each, run by V8's
 * interpreter in a fresh hook process (a code cache holds bytecode, not optimised code), about a third of
 * openpgp's initialisation (docs/performance.md, "openpgp's AES tables"). A hook verifies signatures and never
 * encrypts or decrypts, so in the bundle the tables are built on first use instead. The edit is exact: the
 * build fails if openpgp's source no longer has the very lines it replaces (an upgrade must be looked at, not
 * silently bundled with the tables built eagerly, or half edited).
 */
let lazyAesApplied = 0;
const lazyAesTables = {
  name: 'lazy-aes-tables',
  setup(b) {
    b.onLoad({ filter: /[\\/]openpgp[\\/]dist[\\/]node[\\/]openpgp\.mjs$/ }, (args) => {
      let text = readFileSync(args.path, 'utf8');
      for (const name of ['tableEncoding', 'tableDecoding']) {
        const decl = new RegExp(`^const ${name} = /\\* @__PURE__ \\*/ (genTtable\\(.*\\));$`, 'm');
        const found = text.match(decl);
        const uses = text.split(`} = ${name};`).length - 1;
        const all = text.match(new RegExp(`\\b${name}\\b`, 'g'))?.length ?? 0;
        if (!found || text.match(new RegExp(decl.source, 'gm')).length !== 1 || uses === 0 || all !== uses + 1) {
          throw new Error(
            `${args.path}: openpgp's AES table ${name} is not declared and used as this build expects; review scripts/bundle.mjs (lazy-aes-tables) for this openpgp version`,
          );
        }
        text = text.replace(decl, () => `let ${name}$lazy;\nconst ${name}$get = () => (${name}$lazy ??= ${found[1]});`);
        text = text.split(`} = ${name};`).join(`} = ${name}$get();`);
      }
      lazyAesApplied++;
      return { contents: text, loader: 'js' };
    });
  },
};
/** re2js's case-folding table is decoded only for a pattern that folds case (scripts/re2js-patch.mjs). */
let lazyFoldApplied = 0;
const lazyFoldTable = {
  name: 'lazy-fold-table',
  setup(b) {
    b.onLoad({ filter: /[\\/]re2js[\\/]build[\\/]index\.js$/ }, (args) => {
      const contents = patchRe2js(readFileSync(args.path, 'utf8'), args.path);
      lazyFoldApplied++;
      return { contents, loader: 'js' };
    });
  },
};
const common = {
  bundle: true,
  platform: 'node',
  format: 'cjs',
  target: 'node20',
  // Minified: less source to read, hash and scan for the functions compiled lazily (~4 ms of CPU a push, measured
  // interleaved). keepNames would give that back; nothing in git-acl or its dependencies reads a function's or a
  // class's name (errors carry explicit names), and the messages pushers see are git-acl's own strings.
  minify: true,
  // openpgp calls createRequire(import.meta.url): give CommonJS code the URL of the file it runs from.
  define: { 'import.meta.url': '__gitAclFileUrl' },
  banner: { js: 'var __gitAclFileUrl = require("node:url").pathToFileURL(__filename).href;' },
  logLevel: 'warning',
  // A name imported that its module does not export would be undefined at run time (re2js's stub exports RE2JS alone).
  logOverride: { 'import-is-undefined': 'error' },
  legalComments: 'none',
};
/** The name the bundle requires openpgp by: src/hook/start.ts answers it with dist/hook/openpgp.cjs. */
const OPENPGP_ID = 'git-acl-openpgp';
/**
 * re2js, apart: the bundle's `re2js` is a stub whose RE2JS.compile loads dist/hook/re2js.cjs on its first call (the
 * only member src/ uses; test/e2e/re2js-apart.test.ts holds src/ to that), so a push whose patterns are all shapes
 * neither reads, hashes nor initialises re2js.
 */
const RE2JS_ID = 'git-acl-re2js';
let re2jsApartApplied = 0;
const re2jsApart = {
  name: 're2js-apart',
  setup(b) {
    b.onResolve({ filter: /^re2js$/ }, () => {
      re2jsApartApplied++;
      return { path: 're2js-stub', namespace: 'git-acl' };
    });
    b.onResolve({ filter: new RegExp(`^${RE2JS_ID}$`) }, () => ({ path: RE2JS_ID, external: true }));
    b.onLoad({ filter: /^re2js-stub$/, namespace: 'git-acl' }, () => ({
      contents: `let real;\nexport const RE2JS = { compile: (...args) => (real ??= require(${JSON.stringify(RE2JS_ID)}).RE2JS).compile(...args) };\n`,
      loader: 'js',
    }));
  },
};
let openpgpApartApplied = 0;
const openpgpApart = {
  name: 'openpgp-apart',
  setup(b) {
    b.onResolve({ filter: /^openpgp$/ }, () => {
      openpgpApartApplied++;
      return { path: OPENPGP_ID, external: true };
    });
  },
};
await build({
  ...common,
  entryPoints: [join(root, 'dist/hook/bundle.js')],
  outfile: join(root, 'dist/hook/bundle.cjs'),
  plugins: [openpgpApart, re2jsApart],
});
if (openpgpApartApplied === 0)
  throw new Error('the hook bundle does not import openpgp by name any more; review scripts/bundle.mjs (openpgp-apart)');
if (re2jsApartApplied === 0)
  throw new Error('the hook bundle does not import re2js by name any more; review scripts/bundle.mjs (re2js-apart)');
await build({
  ...common,
  stdin: { contents: "export * from 're2js';", resolveDir: root, sourcefile: 're2js-entry.js', loader: 'js' },
  outfile: join(root, 'dist/hook/re2js.cjs'),
  plugins: [lazyFoldTable],
});
await build({
  ...common,
  stdin: { contents: "export * from 'openpgp';", resolveDir: root, sourcefile: 'openpgp-entry.js', loader: 'js' },
  outfile: join(root, 'dist/hook/openpgp.cjs'),
  plugins: [lazyAesTables],
});
if (lazyAesApplied !== 1)
  throw new Error(
    `the hook bundle took openpgp from another file than dist/node/openpgp.mjs (lazy-aes-tables applied ${lazyAesApplied} times); review scripts/bundle.mjs`,
  );
if (lazyFoldApplied !== 1)
  throw new Error(
    `dist/hook/re2js.cjs took re2js from another file than build/index.js (lazy-fold-table applied ${lazyFoldApplied} times); review scripts/bundle.mjs`,
  );
await build({ ...common, entryPoints: [join(root, 'dist/hook/start.js')], outfile: join(root, 'dist/hook/start.cjs') });
// Caches made from an earlier bundle would be refused anyway (their header names another bundle); drop them.
rmSync(join(root, 'dist/hook/cache'), { recursive: true, force: true });
