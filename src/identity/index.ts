/** The identity adapter: who pushes, from the signed push certificate (docs/reference.md#identity). */
export * from './types.js';
export { IdentityError, type IdentityErrorCode } from './errors.js';
export { parsePushCert, parseRefUpdates, signedBytes } from './push-cert.js';
export {
  readKeyFile,
  loadKeyFile,
  scanKeyFile,
  checkKeyPackets,
  pushedKeyFileProblem,
  keyFilePath,
  KEY_FILE_PATH,
  PacketTag,
  type KeyPacketCheck,
  type LoadedKey,
  type ScannedKeyFile,
} from './keys.js';
export { createKeyFinder, type KeyFinder, type IndexedKeyFinder, type KeyFileRef, type KeyFileSource } from './key-index.js';
export { verifyPushCert, type VerifyPushCertOptions, type VerifiedPusher } from './verify.js';
export { requireSignedPush, checkPushEnv, pusheeKey, UNSIGNED_PUSH_MESSAGE, type PushEnv, type CheckPushEnvOptions } from './push-env.js';
