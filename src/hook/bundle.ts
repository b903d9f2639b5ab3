/**
 * The entry of the hooks' bundle, dist/hook/bundle.cjs (built by `npm run build`, see scripts/bundle.mjs): one
 * CommonJS file holding both hook processes and everything they load, so a hook's Node process reads one file
 * instead of resolving and compiling some forty ES modules, and V8 can cache the compiled code of that one file
 * (src/hook/start.ts). Modules behind a dynamic import stay lazy in the bundle: nothing runs before it is asked for.
 */

/** Runs the pre-receive hook (src/hook/main.ts), exactly as `node dist/hook/main.js` does. */
export function preReceive(): Promise<unknown> {
  return import('./main.js');
}

/** Runs the post-receive hook (src/hook/post-receive.ts). */
export function postReceive(): Promise<unknown> {
  return import('./post-receive.js');
}

/**
 * Initialises the modules a push on the fast path needs without reading stdin or the repository, so that a code
 * cache written afterwards holds their compiled code. Not openpgp nor re2js: each is a script of its own, compiled
 * with a cache of its own when a push needs it (start.ts), and most pushes need neither (server/fast-identity.ts
 * verifies without openpgp; core/pattern.ts matches shapes without re2js).
 */
export async function warm(): Promise<void> {
  await Promise.all([import('../server/pre-receive.js'), import('../server/admit.js'), import('../server/post-receive.js')]);
}
