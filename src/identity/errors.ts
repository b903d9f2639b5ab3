/** Every refusal of the identity adapter: a one-line, user-facing message and a stable code. */
export type IdentityErrorCode =
  | 'cert-malformed'
  | 'cert-ssh'
  | 'unsigned-push'
  | 'nonce'
  | 'update-not-signed'
  | 'pushee-mismatch'
  | 'key-file'
  | 'unknown-signer'
  | 'bad-signature';

export class IdentityError extends Error {
  override readonly name = 'IdentityError';
  readonly code: IdentityErrorCode;
  constructor(code: IdentityErrorCode, message: string) {
    // One line, always (docs/reference.md#failing-closed): messages may quote openpgp's.
    super(message.replace(/\s*[\r\n]+\s*/g, ' '));
    this.code = code;
  }
}
