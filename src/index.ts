/**
 * git-acl's library entry for Node. The pure engine (parse, lint, compile,
 * evaluate) is re-exported from `git-acl/core`, which also runs in browsers;
 * this entry adds what needs a repository or a key: reading git (src/git),
 * verifying a push certificate (src/identity), judging a whole push exactly
 * as the hook does (src/push), and the server's side (src/server). It never
 * imports the front ends (src/hook, src/cli): docs/architecture.md.
 */
export * from './core/index.js';

export * from './git/index.js';
export { openCliStore, CliStore, type CliStoreOptions } from './git/cli-store.js';
export { openNodeIsoStore, nodeFs } from './git/node-fs.js';
export { POLICY_REF, readPolicyTree, readKeyBlob, policyOwner, readPolicyOwner, type PolicyTree } from './git/policy-files.js';
export { readPolicyDirectory, PolicyReadError } from './git/policy-directory.js';

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
export { runPreReceive, type PreReceiveInput, type PreReceiveResult } from './server/pre-receive.js';
export { init, listPresets, InitError, type InitOptions, type InitResult } from './server/init.js';

// The push log (docs/push-log.md): its format, and the replay any peer runs (browser-safe, over any ObjectStore).
export { verifyLog, type VerifyLogOptions, type VerifyLogResult, type LogCheckpoint, type LogProblem, type LogNotice } from './push/verify-log.js';
export { LOG_REF, LOG_FORMAT_VERSION, parseMeta, serializeMeta, buildEntry, logRefProblems, type EntryMeta, type EntryKind, type EntryContent } from './push/log-format.js';
export { readEntry, type LogEntry } from './push/log-entries.js';
export { findCertificateInLog } from './push/replay.js';
export { setOwner, SetOwnerError, type SetOwnerResult } from './server/set-owner.js';
