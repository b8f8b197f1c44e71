#!/usr/bin/env bash
# One-time, idempotent set-up of everything JoinedUp needs, on Debian 12 (bookworm) or
# Debian 13 (trixie), told apart by /etc/os-release:
#   1. QGIS 3.40 LTR and Debian's packages:
#      - Debian 12: QGIS from bookworm-backports (plain bookworm ships 3.22, out of support), with
#        the -dev packages that let pip compile shapely, pyogrio and pyproj against QGIS's own
#        GEOS, GDAL and PROJ (dependencies.py, native_library_mismatches, says why that matters);
#      - Debian 13: QGIS and the whole geo stack (geopandas, shapely 2, pyogrio, pyproj, networkx,
#        scipy, rasterio) from Debian's main archive, all built on one GEOS/GDAL/PROJ: nothing to
#        compile, and no bookworm suite is ever added.
#   2. a git-ignored .venv made from /usr/bin/python3 with the system site packages (so `qgis`
#      imports), holding exactly the packages of requirements.lock for this Python (pinned pip,
#      --no-deps, build pins through --build-constraint), then `pip check`;
#   3. a smoke test that proves the libraries work, not just import (scripts/smoke_test.py):
#      stops with a message naming the broken package.
# Each step checks first and does nothing when it is already done.
set -euo pipefail
here=$(cd "$(dirname "$0")/.." && pwd)
cd "$here"
say() { printf 'setup: %s\n' "$*"; }

SUDO=""
if [ "$(id -u)" -ne 0 ]; then SUDO="sudo"; fi

codename=$( . /etc/os-release 2>/dev/null && echo "${VERSION_CODENAME:-}" )
case "$codename" in
  bookworm) release=12 ;;
  trixie) release=13 ;;
  *) echo "setup: this script sets up Debian 12 (bookworm) or Debian 13 (trixie); this machine is" \
          "'${codename:-unknown}'. README.md ('Install into your QGIS') has the steps for Ubuntu," \
          "Windows and macOS." >&2
     exit 1 ;;
esac

# xvfb/xauth: the desktop test; poppler-utils: PDF pages to PNG; zip/unzip: the plugin zip
# (pb_tool); postgresql + PostGIS: the tests start a throw-away server of their own; chromium +
# npm: the evidence pack's HTML is checked with axe-core inside a headless browser; iproute2:
# tests run in a network namespace of their own (`unshare -n`) and bring its loopback up with
# `ip` for the Dask LocalCluster (127.0.0.1); a minimal Debian 13 has no `ip`.
common_packages=(python3-venv xvfb xauth poppler-utils zip unzip postgresql chromium iproute2)
# A machine that has Node.js from elsewhere (NodeSource's nodejs bundles npm and conflicts with
# Debian's npm package) keeps its own npm.
command -v npm >/dev/null 2>&1 || common_packages+=(npm)
if [ "$release" = 12 ]; then
  qgis_suite=(-t bookworm-backports)
  # libwebp-dev and libheif-dev (pulled in by libgdal-dev) must match the libwebp and libheif
  # that QGIS's backports brought: from bookworm, apt finds no solution ("held broken
  # packages"; seen on a fresh Debian 12 made with mmdebstrap).
  qgis_packages=(qgis python3-qgis qgis-providers libwebp-dev libheif-dev)
  # pkg-config: shapely's build (meson) finds GEOS only through it.
  apt_packages=("${common_packages[@]}" postgresql-15-postgis-3 python3-rasterio python3-scipy
                python3-dev build-essential pkg-config libgeos-dev libgdal-dev libproj-dev proj-bin)
else
  qgis_suite=()
  qgis_packages=(qgis python3-qgis qgis-providers)
  # proj-bin: in a venv, Debian's pyproj finds PROJ's data through the `proj` program on PATH
  # (sys.prefix/share/proj is the venv's, not /usr's); without it every CRS fails (DataDirError).
  apt_packages=("${common_packages[@]}" postgresql-17-postgis-3 python3-geopandas python3-shapely python3-pyogrio
                python3-pyproj python3-networkx python3-scipy python3-rasterio python3-matplotlib
                proj-bin)
fi

qgis_ok() {
  dpkg-query -W -f='${Version}' qgis 2>/dev/null | grep -qE '^([0-9]+:)?3\.(4[0-9])' &&
  /usr/bin/python3 -c 'import qgis.core' 2>/dev/null
}

apt_missing() {
  local p missing=()
  for p in "${apt_packages[@]}" "${qgis_packages[@]}"; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing+=("$p")
  done
  echo "${missing[@]:-}"
}

if ! qgis_ok || [ -n "$(apt_missing)" ]; then
  say "installing QGIS 3.40 LTR and Debian $release packages (a few minutes)"
  if [ "$release" = 12 ] && ! grep -rqs 'bookworm-backports' /etc/apt/sources.list /etc/apt/sources.list.d/; then
    mirror=$(awk '/^URIs:/ {print $2; exit}' /etc/apt/sources.list.d/debian.sources 2>/dev/null || true)
    [ -n "$mirror" ] || mirror=$(awk '/^deb / {print $2; exit}' /etc/apt/sources.list 2>/dev/null || true)
    [ -n "$mirror" ] || { echo "setup: cannot find this machine's Debian mirror" >&2; exit 1; }
    echo "deb $mirror bookworm-backports main" | $SUDO tee /etc/apt/sources.list.d/bookworm-backports.list >/dev/null
  fi
  $SUDO apt-get update -qq
  log=$(mktemp /tmp/joinedup-setup-apt.XXXXXX.log)
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends \
      "${qgis_suite[@]}" "${qgis_packages[@]}" >"$log" 2>&1 || { tail -20 "$log"; exit 1; }
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends \
      "${apt_packages[@]}" >>"$log" 2>&1 || { tail -20 "$log"; exit 1; }
  qgis_ok || { echo "setup: QGIS 3.40 did not install (see $log)" >&2; exit 1; }
fi

# axe-core for the accessibility test, at the version tests/a11y/package-lock.json pins
# (npm ci installs exactly the lock, and only when node_modules does not match it).
a11y=tests/a11y
if [ -f "$a11y/package-lock.json" ] && ! cmp -s "$a11y/package-lock.json" "$a11y/node_modules/.package-lock.json.joinedup" 2>/dev/null; then
  say "installing axe-core for the accessibility test (npm ci --prefix $a11y)"
  npm ci --prefix "$a11y" --no-audit --no-fund --loglevel=error >/dev/null
  cp "$a11y/package-lock.json" "$a11y/node_modules/.package-lock.json.joinedup"
fi

venv=.venv
stamp=$venv/.joinedup-lock
# What decides .venv's contents; when any of these changes, .venv is rebuilt from scratch.
lock_inputs=(requirements.lock build-constraints.txt build-constraints-pyproj.txt)
want="debian $release $(cat "${lock_inputs[@]}" | sha256sum | cut -d' ' -f1)"
if [ -x $venv/bin/python ] && [ "$(cat "$stamp" 2>/dev/null)" = "$want" ]; then
  say "ready (.venv matches requirements.lock)"
  exit 0
fi

say "building $venv from requirements.lock (Debian $release)"
rm -rf $venv
/usr/bin/python3 -m venv --system-site-packages $venv
py=$venv/bin/python
pip=("$py" -m pip --disable-pip-version-check install -q --no-deps)
quiet() { grep -v '^WARNING: Location' || true; }
lock_version() {  # the exact version requirements.lock gives a package for this Python
  "$py" - "$1" <<'PY'
import re, sys
name = sys.argv[1].lower().replace("_", "-")
tag = "{}.{}".format(*sys.version_info[:2])
for line in open("requirements.lock", encoding="utf-8"):
    m = re.match(r"([A-Za-z0-9_.-]+)==(\S+?)(?:;\s*python_version\s*==\s*\"([\d.]+)\")?\s*$", line.strip())
    if m and m.group(1).lower().replace("_", "-") == name and m.group(3) in (None, tag):
        print(m.group(2)); break
PY
}
# pip itself first, pinned: a set-up that takes the newest pip changes on the day one lands.
"${pip[@]}" "pip==$(lock_version pip)" 2>&1 | quiet
if [ "$release" = 12 ]; then
  say "compiling shapely, pyogrio and pyproj against the system GEOS, GDAL and PROJ (about 2 min)"
  "${pip[@]}" --no-binary shapely,pyogrio --build-constraint build-constraints.txt \
      "shapely==$(lock_version shapely)" "pyogrio==$(lock_version pyogrio)" 2>&1 | quiet
  # PIP_CONSTRAINT too, for a pip older than 25.3 that has no --build-constraint.
  PIP_CONSTRAINT="$here/build-constraints-pyproj.txt" PROJ_DIR=/usr \
    "${pip[@]}" --no-binary pyproj --build-constraint build-constraints-pyproj.txt \
      "pyproj==$(lock_version pyproj)" 2>&1 | quiet
fi
"${pip[@]}" --build-constraint build-constraints.txt -r requirements.lock 2>&1 | quiet
# pip check, for the packages installed into .venv only: Debian's own packages may have their
# own loose ends (python3-gi without pycairo), which are none of .venv's business.
local_names=$("$py" -m pip --disable-pip-version-check freeze --local | sed 's/==.*//' | tr 'A-Z_' 'a-z-')
unmet=$("$py" -m pip --disable-pip-version-check check 2>&1 | while read -r name _rest; do
          grep -qx "$(echo "$name" | tr 'A-Z_' 'a-z-')" <<<"$local_names" && echo "$name $_rest"; done || true)
if [ -n "$unmet" ]; then
  echo "$unmet" >&2
  echo "setup: requirements.lock is incomplete for Debian $release (above); refresh it with 'make lock'" >&2
  exit 1
fi
mkdir -p -m 700 "${XDG_RUNTIME_DIR:-/tmp/runtime-$(id -u)}"
"$py" scripts/smoke_test.py || { echo "setup: the smoke test failed; .venv is left for inspection, 'make setup' rebuilds it" >&2; exit 1; }
echo "$want" > "$stamp"
say "ready ($("$py" -c 'from qgis.core import Qgis; print("QGIS", Qgis.version())' 2>/dev/null | tail -1))"
