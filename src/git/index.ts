/**
 * The browser-safe part of the git adapter: the ObjectStore contract, the
 * isomorphic-git store (pass it an fs), and computeOperations. Nothing here
 * imports `node:*`; in Node, `openNodeIsoStore` is in `./node-fs.js` and the
 * fast `git`-process store in `./cli-store.js`.
 *
 * isomorphic-git itself expects a global `Buffer` in browsers (see its docs).
 */
export type {
  EntryKind,
  EntryMode,
  ObjectStore,
  ObjectType,
  RepoLocation,
  TreeChange,
  TreeEntry,
} from './store.js';
export { EMPTY_TREE_OID, ZERO_OID, isOid, isZeroOid } from './objects.js';
export { decodeName } from './names.js';
export { locationFromEnv, splitObjectDirectories } from './location.js';
export { analyseUpdates, computeOperations, operationsOf, treeOperations, type UpdateAnalysis } from './operations.js';
export { parseRefUpdates, parseRefUpdateLine, type RefUpdate } from './ref-updates.js';
export { IsoStore, openIsoStore, type IsoStoreOptions } from './iso-store.js';
export { overlayObjectsFs, type IsoFs, type PromiseFs } from './overlay-fs.js';
export {
  GitError,
  GitProcessError,
  InvalidOidError,
  InvalidRefNameError,
  MalformedObjectError,
  ObjectNotFoundError,
  ObjectTypeError,
  type GitErrorCode,
  type ProcessOutcome,
} from './errors.js';
