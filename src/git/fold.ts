/**
 * Names that one file-system entry would hold. git stores ref names as files
 * (loose refs) and checks tree paths out as files; on a case-insensitive or
 * normalising file system (APFS and HFS+ on macOS, NTFS on Windows, ext4 with
 * casefold) two different names can be one file, and the second write
 * replaces the first behind the name the hook judged. Pure, browser-safe.
 *
 * `foldName` maps every name to a key that is equal for any two names some
 * common file system would store as one entry. It is deliberately coarse
 * (the union of what the file systems do), so it may call two names one file
 * where only an unusual file system would; it never misses a pair that one
 * of them merges:
 * - Unicode normalisation (APFS, HFS+): canonical decomposition (NFD);
 * - every default-ignorable code point is dropped (Unicode's
 *   Default_Ignorable_Code_Point: the HFS+ list of git's utf8.c, U+200C–U+200F,
 *   U+202A–U+202E, U+206A–U+206F, U+FEFF, and the rest, such as U+00AD and
 *   U+200B, which case-folding file systems that ignore code points drop);
 * - case (NTFS's upper-case table, APFS's and ext4's case folding): full
 *   lower-, upper- then lower-casing, which covers Unicode's full case folding
 *   (`ſ` → `s`, `ß` and `ẞ` → `ss`, `K` (Kelvin) → `k`, `ı`/`İ` with `i`) and
 *   NTFS's simple upper-casing. One upper/lower round trip is not enough:
 *   `ẞ` upper-cases to itself and lower-cases to `ß`, never `ss`;
 * - NTFS drops trailing dots and spaces of every path component.
 */

/**
 * Default-ignorable code points: a superset of the characters HFS+ ignores in names (git's utf8.c `next_hfs_char`).
 * Made on first use: V8 builds a Unicode property's set when the expression is made, ~0.6 ms of every hook's start,
 * and only a name outside printable ASCII needs it.
 */
let ignorable: RegExp | undefined;
/** A component's trailing dots and spaces, which NTFS drops. */
const NTFS_TRAILING = /[. ]+(?=\/|$)/g;
const PRINTABLE_ASCII = /^[\x20-\x7e]*$/;
const ENDS_IN_DOT_OR_SPACE = /[. ](?:\/|$)/;

/**
 * The key of `name` (a ref name, a path, or one entry name): two names with
 * the same key may be one file on a case-insensitive or normalising file
 * system. See the module comment for what it folds.
 */
export function foldName(name: string): string {
  // Printable ASCII with no component ending in a dot or a space folds by lower-casing alone.
  if (PRINTABLE_ASCII.test(name) && !ENDS_IN_DOT_OR_SPACE.test(name)) return name.toLowerCase();
  return name
    .normalize('NFD')
    .replace((ignorable ??= /\p{Default_Ignorable_Code_Point}/gu), '')
    .toLowerCase()
    .toUpperCase()
    .toLowerCase()
    .normalize('NFD')
    .replace(NTFS_TRAILING, '');
}
