/**
 * OpenPGP armor for test signatures, written independently of src/server/fast-identity.ts (which parses it): the
 * CRC-24 of RFC 4880 6.1, and gpg's armor of a signature packet, so that crafted or damaged packets reach the
 * packet parsers behind a valid checksum.
 */
export function crc24(data: Uint8Array): number {
  let crc = 0xb704ce;
  for (const b of data) {
    crc ^= b << 16;
    for (let i = 0; i < 8; i++) {
      crc <<= 1;
      if (crc & 0x1000000) crc ^= 0x1864cfb;
    }
  }
  return crc & 0xffffff;
}

/** gpg's armor around `packet` (64-character lines), with a correct checksum. */
export function armorSignature(packet: Uint8Array): string {
  const b64 = Buffer.from(packet).toString('base64');
  const lines = b64.match(/.{1,64}/g)!;
  const c = crc24(packet);
  const crc = Buffer.from([c >> 16, (c >> 8) & 0xff, c & 0xff]).toString('base64');
  return `-----BEGIN PGP SIGNATURE-----\n\n${lines.join('\n')}\n=${crc}\n-----END PGP SIGNATURE-----\n`;
}
