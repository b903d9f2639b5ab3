// A fresh Ed25519 signing key in the bench's GnuPG home (no passphrase, never expires): its fingerprint and its
// armored public key. `run` is the bench's own (it carries the bench's environment, hence GNUPGHOME).
export function gpgKey(run, name, email = `${name}@example.org`) {
  run('gpg', [
    '--batch',
    '--pinentry-mode',
    'loopback',
    '--passphrase',
    '',
    '--quick-gen-key',
    `${name} <${email}>`,
    'ed25519',
    'sign',
    'never',
  ]);
  const fpr = run('gpg', ['--batch', '--with-colons', '--list-keys', email])
    .stdout.split('\n')
    .find((l) => l.startsWith('fpr:'))
    .split(':')[9];
  return { name, fpr, armored: run('gpg', ['--batch', '--armor', '--export', fpr]).stdout };
}
