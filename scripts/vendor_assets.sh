#!/usr/bin/env bash
# Refresh the JavaScript/fonts the website serves itself, so it works with no internet.
#
#     bash scripts/vendor_assets.sh
#
# The result, _vendor/, is committed: a normal build or test needs neither npm nor the
# network. Run this only to upgrade MathJax (change MATHJAX_VERSION), then rebuild the
# book and run `make test`. Needs npm (it talks to the npm registry via `npm pack`).
#
# What is vendored and why:
#   mathjax/tex-chtml-full.js              MathJax 3 with every TeX extension built in, so
#                                          it never fetches an extension at run time.
#   mathjax/output/chtml/fonts/woff-v2/    the fonts the CommonHTML output loads (it looks
#                                          for them next to the script).
# Jupyter Book copies _vendor/* into _build/html/_static/ (html_static_path in
# _config.yml), and mathjax_path points at _static/mathjax/tex-chtml-full.js.
# Nothing from the ipywidgets HTML manager or require.js is needed: pages show the static
# text/html face of interactive outputs (nb_mime_priority_overrides, nb_ipywidgets_js).
set -euo pipefail

MATHJAX_VERSION="${MATHJAX_VERSION:-3.2.2}"

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
DEST="$ROOT/_vendor"
WORK="$(mktemp -d)"
trap 'rm -rf "$WORK"' EXIT

command -v npm >/dev/null || { echo "vendor_assets.sh: npm is required (apt-get install npm)" >&2; exit 1; }

cd "$WORK"
# npm pack downloads the package tarball from the registry and checks its integrity hash.
TARBALL="$(npm pack --silent "mathjax@${MATHJAX_VERSION}" 2>/dev/null | tail -n 1)"
mkdir -p unpacked
tar -xzf "$TARBALL" -C unpacked
SRC="$WORK/unpacked/package"

rm -rf "$DEST/mathjax"
mkdir -p "$DEST/mathjax/output/chtml/fonts/woff-v2"
cp "$SRC/es5/tex-chtml-full.js" "$DEST/mathjax/"
cp "$SRC/es5/output/chtml/fonts/woff-v2/"*.woff "$DEST/mathjax/output/chtml/fonts/woff-v2/"
cp "$SRC/LICENSE" "$DEST/mathjax/LICENSE"

SHA="$(sha256sum "$TARBALL" | cut -d' ' -f1)"
SIZE="$(du -sh "$DEST" | cut -f1)"
cat > "$DEST/VENDORED.txt" <<EOF
Files served by the website itself so that it works offline.
Produced by scripts/vendor_assets.sh from the npm registry; do not edit by hand.

mathjax@${MATHJAX_VERSION}  (Apache-2.0, see mathjax/LICENSE)
  npm tarball sha256: ${SHA}
  es5/tex-chtml-full.js                 -> mathjax/tex-chtml-full.js
  es5/output/chtml/fonts/woff-v2/*.woff -> mathjax/output/chtml/fonts/woff-v2/

course.css is the course's own stylesheet (not vendored, not touched by the script).
scripts/fontawesome.js is the course's own empty stand-in for the theme's 1.4 MB icon
script (the theme's webfont CSS draws the same icons); not touched by the script.

Total size of _vendor/: ${SIZE}
EOF
echo "vendored mathjax@${MATHJAX_VERSION} into ${DEST} (${SIZE})"
