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
    super(message);
    this.code = code;
  }
}
