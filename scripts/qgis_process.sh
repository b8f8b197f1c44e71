#!/usr/bin/env bash
# Run QGIS's qgis_process with JoinedUp loaded from this checkout and the engine packages
# from .venv, without installing anything into a QGIS profile:
#   scripts/qgis_process.sh run joinedup:joinbylocation --json -- INPUT=... OUTPUT=...
# A private profile folder (under .build/) keeps the user's own QGIS settings untouched.
set -euo pipefail
repo=$(cd "$(dirname "$0")/.." && pwd)
plugins="$repo/.build/plugins"
mkdir -p "$plugins"
[ -e "$plugins/joinedup" ] || ln -sfn "$repo" "$plugins/joinedup"
site=$("$repo/.venv/bin/python" -c 'import sysconfig; print(sysconfig.get_paths()["purelib"])')
# shapely, pyogrio and pyproj in .venv are compiled against the GEOS, GDAL and PROJ that
# qgis_process links (make setup; dependencies.py says why that matters).
export QGIS_PLUGINPATH="$plugins"
export PYTHONPATH="$site${PYTHONPATH:+:$PYTHONPATH}"
export QT_QPA_PLATFORM=${QT_QPA_PLATFORM:-offscreen}
if [ -z "${XDG_RUNTIME_DIR:-}" ]; then
  export XDG_RUNTIME_DIR="/tmp/runtime-$(id -u)"; mkdir -p -m 700 "$XDG_RUNTIME_DIR"
fi
# QGIS_CUSTOM_CONFIG_PATH moves QGIS's whole settings folder (profiles, QGIS3.ini) away from
# ~/.local/share/QGIS: tests/test_foundation_headless.py checks that nothing lands there.
# JOINEDUP_QGIS_CONFIG picks another private folder (tests use a fresh one).
export QGIS_CUSTOM_CONFIG_PATH="${JOINEDUP_QGIS_CONFIG:-$repo/.build/qgis-profile}"
mkdir -p "$QGIS_CUSTOM_CONFIG_PATH"
bin=$(command -v qgis_process.bin || command -v qgis_process)
if [ ! -f "$QGIS_CUSTOM_CONFIG_PATH/.joinedup-enabled" ]; then
  "$bin" plugins enable joinedup >/dev/null 2>&1 || true
  touch "$QGIS_CUSTOM_CONFIG_PATH/.joinedup-enabled"
fi
exec "$bin" "$@"
