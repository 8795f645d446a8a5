#!/usr/bin/env bash
# Execute tutorials and render each as one page under docs/ that reads offline.
#
#   scripts/build_docs.sh NAME... [-- PAPERMILL-OPTIONS...]
#   scripts/build_docs.sh gan_mnist gan_mnist.fr -- -p setting class
#
# notebooks/NAME.ipynb runs under papermill in build/docs/run/NAME (its runs stay there) and
# is kept executed as build/docs/NAME.ipynb; nbconvert renders it with its images embedded;
# scripts/typeset_math.mjs turns its maths into SVG and drops every script the page would
# fetch. docs/NAME.html is replaced only once all of that has worked.
set -euo pipefail

BIN=${BIN:-.venv/bin}
OUT=build/docs
names=()
while [ $# -gt 0 ] && [ "$1" != "--" ]; do names+=("$1"); shift; done
[ $# -gt 0 ] && shift
[ ${#names[@]} -gt 0 ] || { echo "usage: $0 NAME... [-- PAPERMILL-OPTIONS...]" >&2; exit 2; }

mkdir -p "$OUT" docs
for name in "${names[@]}"; do
  start=$SECONDS
  case $name in *.fr) lang=fr ;; *) lang=en ;; esac
  mkdir -p "$OUT/run/$name"
  "$BIN/papermill" "notebooks/$name.ipynb" "$OUT/$name.ipynb" --cwd "$OUT/run/$name" \
    --kernel python3 --no-progress-bar --log-level WARNING "$@"
  ran=$((SECONDS - start))
  # Without the widgets' saved state, nbconvert shows each widget's own fallback (the lab's
  # frame) rather than a view that needs scripts from the network.
  "$BIN/python" -c 'import sys, nbformat; path = sys.argv[1]
nb = nbformat.read(path, as_version=4); nb.metadata.pop("widgets", None)
nbformat.write(nb, path)' "$OUT/$name.ipynb"
  "$BIN/jupyter" nbconvert --to html --template lab --log-level WARN \
    --output-dir "$OUT" "$OUT/$name.ipynb"
  node scripts/typeset_math.mjs "$OUT/$name.html" "$lang"
  mv "$OUT/$name.html" "docs/$name.html"
  echo "docs/$name.html: $(du -k "docs/$name.html" | cut -f1) KB;" \
    "ran ${ran}s, rendered $((SECONDS - start - ran))s"
done
