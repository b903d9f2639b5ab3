/**
 * git-acl's library entry for browsers (the `browser` export condition of
 * `git-acl`, and `git-acl/browser`): everything of the Node entry that needs
 * no Node built-in. The core, the isomorphic-git store (give it any fs, an
 * in-memory one for instance), updates to operations, the policy readers,
 * push certificates and key files, judging a push exactly as the hook does
 * and the lines the hook prints, and the push log's replay. Left out: the
 * `git`-process store, Node's fs, reading a policy from a directory, and
 * the server's side. isomorphic-git expects a global `Buffer` in a browser
 * (docs/library.md).
 */
export * from './core/index.js';

export * from './git/index.js';
export { POLICY_REF, readPolicyTree, readKeyBlob, policyOwner, readPolicyOwner, type PolicyTree } from './git/policy-files.js';

export {
  IdentityError,
  parsePushCert,
  readKeyFile,
  createKeyFinder,
  verifyPushCert,
  requireSignedPush,
  checkPushEnv,
  pusheeKey,
  type PushCertificate,
  type KeyInfo,
  type KeyFileRef,
  type VerifiedPusher,
} from './identity/index.js';

export { judgePush, compileServerPolicy, checkNewPolicy, type JudgeInput, type Verdict } from './push/judge.js';
export { formatVerdict, formatFailure } from './push/report.js';
export { previewPush, type PreviewInput, type PreviewResult } from './push/preview.js';

export {
  verifyLog,
  type VerifyLogOptions,
  type VerifyLogResult,
  type LogCheckpoint,
  type LogProblem,
  type LogNotice,
} from './push/verify-log.js';
export {
  LOG_REF,
  LOG_FORMAT_VERSION,
  parseMeta,
  serialiseMeta,
  buildEntry,
  logRefProblems,
  type EntryMeta,
  type EntryKind,
  type EntryContent,
} from './push/log-format.js';
export { readEntry, type LogEntry } from './push/log-entries.js';
export { findCertificateInLog } from './push/replay.js';
