#!/usr/bin/env bash
# Build joinedup.zip, the plugin as QGIS installs it ("Install from ZIP"), with pb_tool:
# deploy the files pb_tool.cfg names into zip_build/joinedup/, drop caches and anything git
# does not track (stray outputs, SQLite side files), then zip. No tests, benchmarks, scripts,
# sample data, docs or build folders go in. tests/test_foundation_zip.py checks the result.
set -euo pipefail
repo=$(cd "$(dirname "$0")/.." && pwd)
cd "$repo"
pb_tool=.venv/bin/pb_tool
[ -x "$pb_tool" ] || pb_tool=$(command -v pb_tool)
rm -rf zip_build joinedup.zip
"$pb_tool" deploy -p zip_build -y -q -n >/dev/null
find zip_build -name __pycache__ -type d -prune -exec rm -rf {} + -o -name '*.py[co]' -exec rm -f {} +
if git -C "$repo" rev-parse --is-inside-work-tree >/dev/null 2>&1; then
  tracked=$(mktemp)
  git -C "$repo" ls-files > "$tracked"
  (cd zip_build/joinedup && find . -type f | sed 's|^\./||') | while read -r f; do
    grep -qxF "$f" "$tracked" || { echo "build_zip: leaving out untracked $f"; rm -f "zip_build/joinedup/$f"; }
  done
  rm -f "$tracked"
fi
"$pb_tool" zip -q -p zip_build >/dev/null
echo "build_zip: $(unzip -Z1 joinedup.zip | grep -vc '/$') files in $repo/joinedup.zip ($(du -k joinedup.zip | cut -f1) KiB)"
