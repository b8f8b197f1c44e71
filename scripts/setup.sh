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

# libgdal-dev/libproj-dev + a compiler: pyogrio and pyproj are built against QGIS's own GDAL and
# PROJ (see below); their pip wheels bundle a second PROJ that crashes QGIS when it exits.
apt_packages=(python3-rasterio python3-scipy python3-venv python3-pip python3-dev xvfb xauth
              poppler-utils libgdal-dev libproj-dev build-essential)

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
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends \
      -t bookworm-backports qgis python3-qgis qgis-providers
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends "${apt_packages[@]}"
fi

venv=.venv
stamp=$venv/.joinedup-requirements
if [ ! -x $venv/bin/python ] || ! cmp -s requirements-dev.txt "$stamp"; then
  echo "setup: building $venv (system site packages + pip requirements)"
  [ -x $venv/bin/python ] || /usr/bin/python3 -m venv --system-site-packages $venv
  $venv/bin/pip install -q --disable-pip-version-check -r requirements-dev.txt
  cp requirements-dev.txt "$stamp"
fi
# pyogrio and pyproj must link the system GDAL/PROJ that QGIS uses. Their pip wheels carry
# their own libproj.so.25 (PROJ 9.5+) next to QGIS's (9.1); both load into QGIS, and PROJ's
# C++ static objects are then freed twice when QGIS or qgis_process exits (SIGSEGV/SIGABRT
# after the results are written). requirements-dev.txt says --no-binary for both; this
# rebuilds any wheel that is already installed (a .libs folder of vendored libraries).
site=$($venv/bin/python -c 'import sysconfig; print(sysconfig.get_paths()["purelib"])')
for pkg in pyogrio pyproj; do
  if [ -d "$site/$pkg.libs" ]; then
    echo "setup: rebuilding $pkg against the system GDAL/PROJ (a few minutes, once)"
    spec=$(grep -E "^$pkg([<>=!~ ]|$)" requirements-dev.txt | head -1)
    $venv/bin/pip install -q --disable-pip-version-check --no-deps --force-reinstall \
        --no-binary "$pkg" "${spec:-$pkg}"
  fi
done
echo "setup: ready ($($venv/bin/python -c 'from qgis.core import Qgis; print("QGIS", Qgis.version())' 2>/dev/null | tail -1))"
