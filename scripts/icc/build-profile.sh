#!/usr/bin/env bash
# Rebuilds resources/icc/PosterStudio-CoatedFOGRA39L.icc, the bundled CMYK output profile, from
# FOGRA39L characterization data (Debian's icc-profiles-free, Zlib licence) with ArgyllCMS colprof.
#   apt-get install -y argyll icc-profiles-free && scripts/icc/build-profile.sh
# ICC v2, Lab cLUT tables (A2B0-2, B2A0-2), medium quality, ramp black generation, total ink
# limited to 300 % (coated offset), perceptual and saturation tables gamut-mapped from sRGB.
set -euo pipefail
cd "$(dirname "$0")/../.."

TI3=${FOGRA39L_TI3:-/usr/share/color/icc/FOGRA39L.ti3}
SRGB=${SRGB_ICC:-/usr/share/color/icc/sRGB.icc}
OUT=resources/icc/PosterStudio-CoatedFOGRA39L.icc
for f in "$TI3" "$SRGB"; do
  [ -r "$f" ] || { echo "missing $f (apt-get install icc-profiles-free)" >&2; exit 1; }
done
command -v colprof >/dev/null || { echo "colprof not found (apt-get install argyll)" >&2; exit 1; }

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
cp "$TI3" "$work/coated.ti3"
# -qm medium quality; -kr ramp K; -l 300 total ink; -S sRGB gamut mapping for the perceptual
# and saturation tables (viewing: monitor typical -> practical reflection print); -nc leaves
# the measurement data out of the profile to keep it small.
(cd "$work" && colprof -qm -kr -l 300 -nc \
  -S "$SRGB" -c mt -d pp \
  -D "Poster Studio Coated (FOGRA39L data, 300% TAC)" \
  -C "Built from FOGRA39L.ti3 (Zlib licence, Kai-Uwe Behrmann / icc-profiles-free). No warranty." \
  -A "Poster Studio" -M "Offset, coated paper (FOGRA39 condition)" \
  coated)
cp "$work/coated.icc" "$OUT"
ls -l "$OUT"
sha256sum "$OUT"
