// The hook bundle's one edit of re2js (scripts/bundle.mjs applies it; test/core/re2js-patch.test.ts checks it).
//
// re2js decodes its case-folding table (a 30 KB string, the largest of its Unicode tables) the first time it
// compiles a single-character instruction, case-sensitive or not: `Compiler.rune` asks `Unicode.simpleFold`
// before it looks at the flags. For a case-sensitive instruction the answer is thrown away (the FOLD_CASE bit it
// would clear is already clear), so in the bundle the flags are looked at first: the same program, and a policy
// without `(?i)` never decodes the table. Exact like lazy-aes-tables: the build fails if re2js's source no longer
// has the very line it replaces, where it expects it.

const RUNE_LINE = 'if (runes.length !== 1 || Unicode.simpleFold(runes[0]) === runes[0]) flags &= ~RE2Flags.FOLD_CASE;';

/** re2js's build/index.js with Compiler.rune testing the flags first; throws when the source is not as expected. */
export function patchRe2js(text, file) {
  const count = text.split(RUNE_LINE).length - 1;
  // The line must be rune()'s, right after the flags are masked down to FOLD_CASE.
  if (count !== 1 || !text.includes(`flags &= RE2Flags.FOLD_CASE;\n\t\t${RUNE_LINE}`)) {
    throw new Error(
      `${file}: re2js's Compiler.rune is not written as this build expects; review scripts/re2js-patch.mjs for this re2js version`,
    );
  }
  return text.replace(RUNE_LINE, () => `if ((flags & RE2Flags.FOLD_CASE) === 0 || ${RUNE_LINE.slice(4)}`);
}
