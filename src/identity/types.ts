/**
 * What the identity adapter gives the hook: a push certificate parsed and,
 * once verified, the pusher's user ID (the primary key's fingerprint).
 */

import type { RefUpdate } from '../git/ref-updates.js';

/** A ref update the certificate signs: the same shape as a line of the hook's stdin. */
export type CertUpdate = RefUpdate;

export interface PushCertificate {
  version: string;
  /** Client-chosen text: never an identity. */
  pusher: string;
  pushee?: string;
  nonce?: string;
  pushOptions: string[];
  updates: CertUpdate[];
  /** The signed bytes: everything before the armored signature, final LF kept. */
  payload: string;
  /** The armored signature block. */
  signature: string;
  /**
   * The signed bytes exactly as stored, when the certificate was parsed from
   * bytes (they differ from UTF-8 of `payload` only if a ref name is not UTF-8).
   */
  payloadBytes?: Uint8Array;
}

/** A public key file of the policy branch, checked. */
export interface KeyInfo {
  /** Primary key fingerprint, 40 upper-case hex digits (v4). This is the user ID. */
  fingerprint: string;
  /** 16-hex key IDs of the primary key and its subkeys, upper-case. */
  keyIds: string[];
  userIds: string[];
}

/**
 * How far in the future (a client clock ahead of the server's) a certificate may be dated: keys and signatures
 * are judged at the judging moment plus this (identity/verify.ts, and the hook's fast path alike).
 */
export const CLOCK_SKEW_MS = 5 * 60_000;
