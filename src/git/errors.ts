/**
 * What can go wrong reading git, by kind, so a caller can tell "this object
 * is not there" from "git failed" without parsing messages (isomorphic-git's
 * errors/ does the same). Every message is one line naming the object, ref or
 * command; `code` is stable. No Node-only imports: the isomorphic-git store
 * throws these in a browser too.
 */
import type { ObjectType } from './store.js';

export type GitErrorCode =
  | 'not-found'
  | 'corrupt-object'
  | 'too-large'
  | 'object-type'
  | 'invalid-oid'
  | 'invalid-ref-name'
  | 'malformed-object'
  | 'malformed-input'
  | 'read-failed'
  | 'git-process'
  | 'limit'
  | 'closed';

export class GitError extends Error {
  override name = 'GitError';
  readonly code: GitErrorCode;
  constructor(code: GitErrorCode, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.code = code;
  }
}

/** The object is in none of the object directories the store reads. */
export class ObjectNotFoundError extends GitError {
  override name = 'ObjectNotFoundError';
  constructor(readonly oid: string) {
    super('not-found', `object ${oid} not found`);
  }
}

/**
 * The object is there (its loose file exists) but git cannot read it: a
 * corrupt or truncated file. `git cat-file` answers "missing" for such an
 * object, which is not what the pusher or the operator should be told.
 */
export class CorruptObjectError extends GitError {
  override name = 'CorruptObjectError';
  constructor(
    readonly oid: string,
    readonly file: string,
  ) {
    super('corrupt-object', `object ${oid} is corrupt: git cannot read its file ${file}`);
  }
}

/**
 * The object is larger than the reader allows: refused from its size alone,
 * before its content is read (a small pack can hold a blob that inflates to
 * gigabytes). `what` names it for the reader ("the policy file refs/a.conf").
 */
export class ObjectTooLargeError extends GitError {
  override name = 'ObjectTooLargeError';
  constructor(
    readonly oid: string,
    readonly size: number,
    readonly maxBytes: number,
  ) {
    super('too-large', `object ${oid} is ${size} bytes, more than the ${maxBytes} this read allows`);
  }
}

/** The object exists but is of another type than the read needs (a tree where a commit was expected). */
export class ObjectTypeError extends GitError {
  override name = 'ObjectTypeError';
  constructor(
    readonly oid: string,
    readonly actual: ObjectType,
    readonly expected: ObjectType,
  ) {
    super('object-type', `object ${oid} is a ${actual}, not a ${expected}`);
  }
}

/** Not a full lower-case hex object id: refused before it reaches git's argv or stdin. */
export class InvalidOidError extends GitError {
  override name = 'InvalidOidError';
  constructor(
    readonly value: unknown,
    what = 'object id',
  ) {
    super('invalid-oid', `invalid ${what}: ${JSON.stringify(String(value)).slice(0, 100)}`);
  }
}

/** Not a ref name git could store: refused before it reaches git's argv or a file path. */
export class InvalidRefNameError extends GitError {
  override name = 'InvalidRefNameError';
  constructor(readonly value: unknown) {
    super('invalid-ref-name', `invalid ref name ${JSON.stringify(String(value)).slice(0, 200)}`);
  }
}

/** An object git would not have written: a tag, commit or tree that does not parse, an unknown type or mode. */
export class MalformedObjectError extends GitError {
  override name = 'MalformedObjectError';
  constructor(message: string) {
    super('malformed-object', message);
  }
}

/** A push past one of git-acl's documented bounds (limits.ts): refused before it costs more. */
export class LimitError extends GitError {
  override name = 'LimitError';
  constructor(message: string) {
    super('limit', message);
  }
}

/** How a git process ended. */
export interface ProcessOutcome {
  /** The exit status; null when a signal ended it, or it never started. */
  exitCode: number | null;
  /** The signal that ended it, e.g. `SIGKILL`. */
  signal: string | null;
  /** What it wrote on stderr, trimmed. */
  stderr: string;
}

/** A git process (or gpg, run the same way) that could not start, failed, or answered something the adapter cannot read. */
export class GitProcessError extends GitError {
  override name = 'GitProcessError';
  /** The program, `git` unless said otherwise. */
  readonly program: string;
  readonly args: readonly string[];
  readonly exitCode: number | null;
  readonly signal: string | null;
  readonly stderr: string;
  constructor(
    message: string,
    args: readonly string[],
    outcome: ProcessOutcome = { exitCode: null, signal: null, stderr: '' },
    program = 'git',
    options?: { cause?: unknown },
  ) {
    super('git-process', message, options);
    this.program = program;
    this.args = args;
    this.exitCode = outcome.exitCode;
    this.signal = outcome.signal;
    this.stderr = outcome.stderr;
  }
}
