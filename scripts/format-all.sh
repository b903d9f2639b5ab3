#!/bin/sh
# Brings the whole tree to biome.json's format and applies Biome's safe lint fixes, then checks that nothing is
# left. Run once, from the repository root, after merging the branches that were written before Biome was
# configured (formatting them one by one would make every merge conflict); commit the result as one commit that
# changes layout only. Unsafe fixes are never applied: what they would change needs a person.
set -eu
cd "$(dirname "$0")/.."
npx biome check --write .
npx biome check .
