/**
 * git-acl's library entry for Node. The pure engine (parse, lint, compile,
 * evaluate) is re-exported from `git-acl/core`, which also runs in browsers;
 * this entry adds what needs a repository or a key: reading git (src/git),
 * verifying a push certificate (src/identity), judging a whole push exactly
 * as the hook does (src/push), and the server's side (src/server). It never
 * imports the front ends (src/hook, src/cli): docs/architecture.md.
 */
// Everything the browser entry has (core, git's browser-safe part, identity, push, the log's replay)...
export * from './browser.js';

// ...and what needs Node: the `git`-process store, Node's fs, reading a policy from a directory, the server's side.
export { openCliStore, CliStore, type CliStoreOptions } from './git/cli-store.js';
export { openNodeIsoStore, nodeFs } from './git/node-fs.js';
export { readPolicyDirectory, PolicyReadError } from './git/policy-directory.js';
export { runPreReceive, type PreReceiveInput, type PreReceiveResult } from './server/pre-receive.js';
export { init, listPresets, InitError, type InitOptions, type InitResult } from './server/init.js';
export { setOwner, SetOwnerError, type SetOwnerResult } from './server/set-owner.js';
