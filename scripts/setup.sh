#!/usr/bin/env bash
# One-time, idempotent set-up of everything JoinedUp needs on Debian 12 (bookworm):
#   1. QGIS 3.40 LTR from bookworm-backports (plain bookworm ships 3.22, out of support),
#      plus Debian's rasterio/scipy (linked to the same GDAL as QGIS) and the test tools;
#   2. a git-ignored .venv made from /usr/bin/python3 with system site packages (so `qgis`
#      imports) and pip packages that Debian has only in too-old versions.
# Each step checks first and does nothing when it is already done.
set -euo pipefail
here=$(cd "$(dirname "$0")/.." && pwd)
cd "$here"

need_root() { if [ "$(id -u)" -ne 0 ]; then echo "sudo"; fi; }
SUDO=$(need_root)

qgis_ok() {
  dpkg-query -W -f='${Version}' qgis 2>/dev/null | grep -qE '^1?:?3\.(4[0-9])' &&
  /usr/bin/python3 -c 'import qgis.core' 2>/dev/null
}

# The -dev packages and proj-bin let pip compile shapely, pyogrio and pyproj against the GEOS,
# GDAL and PROJ that QGIS itself uses (see scripts/check_native_libs.py for why).
apt_packages=(python3-rasterio python3-scipy python3-venv python3-pip python3-dev build-essential
              libgeos-dev libgdal-dev libproj-dev proj-bin xvfb xauth poppler-utils)

apt_missing() {
  local p missing=()
  for p in "${apt_packages[@]}" qgis-providers python3-qgis; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing+=("$p")
  done
  echo "${missing[@]:-}"
}

if ! qgis_ok || [ -n "$(apt_missing)" ]; then
  echo "setup: installing QGIS 3.40 LTR from bookworm-backports and Debian packages (a few minutes)"
  list=/etc/apt/sources.list.d/bookworm-backports.list
  if ! grep -rqs 'bookworm-backports' /etc/apt/sources.list /etc/apt/sources.list.d/; then
    mirror=$(awk '/^URIs:/ {print $2; exit}' /etc/apt/sources.list.d/debian.sources 2>/dev/null || true)
    [ -n "$mirror" ] || mirror=$(awk '/^deb / {print $2; exit}' /etc/apt/sources.list 2>/dev/null || true)
    [ -n "$mirror" ] || { echo "setup: cannot find this machine's Debian mirror" >&2; exit 1; }
    echo "deb $mirror bookworm-backports main" | $SUDO tee "$list" >/dev/null
  fi
  $SUDO apt-get update -qq
  log=/tmp/joinedup-setup-apt.log
  # libwebp-dev (pulled in by libgdal-dev) must match the libwebp that QGIS's backports brought.
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends \
      -t bookworm-backports qgis python3-qgis qgis-providers libwebp-dev >"$log" 2>&1 ||
    { tail -20 "$log"; exit 1; }
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends \
      "${apt_packages[@]}" >>"$log" 2>&1 || { tail -20 "$log"; exit 1; }
fi

venv=.venv
stamp=$venv/.joinedup-requirements
pip=($venv/bin/pip install -q --disable-pip-version-check)
if [ ! -x $venv/bin/python ] || ! cat requirements-dev.txt constraints.txt | cmp -s - "$stamp"; then
  echo "setup: building $venv (system site packages + pip requirements)"
  if [ ! -x $venv/bin/python ]; then
    /usr/bin/python3 -m venv --system-site-packages $venv
    # A current pip reuses the wheels it compiled (Debian's pip 23.0 rebuilds each time).
    $venv/bin/pip install -q --disable-pip-version-check --upgrade pip 2>&1 | grep -v "^WARNING: Location" || true
  fi
  "${pip[@]}" -r requirements-dev.txt 2>&1 | grep -v '^WARNING: Location' || true
  if ! $venv/bin/python scripts/check_native_libs.py >/dev/null; then
    # Compile the three GIS bindings against QGIS's own GEOS, GDAL and PROJ
    # (scripts/check_native_libs.py says why); pip caches the wheels it builds.
    echo "setup: compiling shapely, pyogrio and pyproj against the system GEOS, GDAL and PROJ"
    "${pip[@]}" --force-reinstall --no-deps --no-binary shapely,pyogrio shapely pyogrio 2>&1 |
      grep -v '^WARNING: Location' || true
    PIP_CONSTRAINT="$here/constraints.txt" PROJ_DIR=/usr "${pip[@]}" --force-reinstall --no-deps \
      --no-binary pyproj "pyproj>=3.5,<3.7" 2>&1 | grep -v '^WARNING: Location' || true
  fi
  $venv/bin/python scripts/check_native_libs.py || { echo "setup: native libraries still differ" >&2; exit 1; }
  cat requirements-dev.txt constraints.txt > "$stamp"
fi
echo "setup: ready ($($venv/bin/python -c 'from qgis.core import Qgis; print("QGIS", Qgis.version())' 2>/dev/null | tail -1))"
