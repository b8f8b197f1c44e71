"""Which of the engine's Python packages are importable in this QGIS, and how to get the rest.

The plugin must load even when they are missing: it reports once, clearly, and every
algorithm fails with the same message (see ``processing/base.py``).
"""
from __future__ import annotations

import importlib
import sys
from functools import lru_cache

# (import name, pip name, minimum version or None)
REQUIRED = (
    ("numpy", "numpy", None),
    ("shapely", "shapely", "2.0"),
    ("pyogrio", "pyogrio", None),
    ("geopandas", "geopandas", "1.0"),
    ("networkx", "networkx", "3.0"),
    ("scipy", "scipy", None),
    ("rasterio", "rasterio", None),
)

# Packages only some algorithms need: (import name, pip name, minimum version or None,
# algorithms). The plugin loads without them; those algorithms fail with install steps.
OPTIONAL = (
    ("uk_address_matcher", "uk_address_matcher", "1.5", ("linkaddresses",)),
)


def _version_tuple(text: str) -> tuple:
    parts = []
    for piece in text.split(".")[:3]:
        digits = "".join(ch for ch in piece if ch.isdigit())
        parts.append(int(digits) if digits else 0)
    return tuple(parts)


@lru_cache(maxsize=1)
def missing_packages() -> tuple:
    """Names (with the version needed) of required packages that do not import here."""
    missing = []
    for module, pip_name, minimum in REQUIRED:
        try:
            mod = importlib.import_module(module)
        except Exception:  # an ImportError, or a broken binary wheel raising anything
            missing.append(pip_name + (f">={minimum}" if minimum else ""))
            continue
        if minimum and _version_tuple(getattr(mod, "__version__", "0")) < _version_tuple(minimum):
            missing.append(f"{pip_name}>={minimum} (found {mod.__version__})")
    return tuple(missing)


def install_instructions(missing) -> str:
    names = " ".join(f'"{m.split(" ")[0]}"' for m in missing)
    return (
        "JoinedUp needs Python packages that this QGIS cannot import: "
        + ", ".join(missing) + ".\n"
        "Install them into QGIS's own Python, then restart QGIS:\n"
        f"- Windows: open the OSGeo4W Shell and run: python -m pip install {names}\n"
        "- Debian/Ubuntu: sudo apt install python3-scipy python3-rasterio build-essential "
        "python3-dev libgeos-dev libgdal-dev libproj-dev proj-bin, then (so that shapely, "
        "pyogrio and pyproj use QGIS's own GEOS, GDAL and PROJ)\n"
        "  echo 'cython<3.1' > /tmp/c.txt; PIP_CONSTRAINT=/tmp/c.txt PROJ_DIR=/usr "
        f"pip install --user --no-binary shapely,pyogrio,pyproj {names} \"pyproj<3.7\"\n"
        f"- macOS: /Applications/QGIS.app/Contents/MacOS/bin/pip3 install {names}"
    )


@lru_cache(maxsize=1)
def native_library_mismatches() -> tuple:
    """On Linux inside QGIS: which of shapely/pyogrio/pyproj use another GEOS/GDAL/PROJ than QGIS.

    QGIS's binaries (the desktop application, qgis_process) put their GEOS, GDAL and PROJ in
    the global symbol scope. A binary wheel that carries its own copy then has its calls partly
    resolved against QGIS's: wrong answers and crashes. Windows and macOS resolve symbols per
    library, so this is checked on Linux only.
    """
    if not sys.platform.startswith("linux"):
        return ()
    try:
        from qgis.core import Qgis, QgsProjUtils
    except ImportError:
        return ()
    problems = []
    checks = (
        ("shapely", "GEOS", lambda m: ".".join(map(str, m.geos_version)),
         lambda: f"{Qgis.geosVersionMajor()}.{Qgis.geosVersionMinor()}.{Qgis.geosVersionPatch()}"),
        ("pyogrio", "GDAL", lambda m: m.__gdal_version_string__, _qgis_gdal_version),
        ("pyproj", "PROJ", lambda m: ".".join(m.proj_version_str.split(".")[:2]),
         lambda: f"{QgsProjUtils.projVersionMajor()}.{QgsProjUtils.projVersionMinor()}"),
    )
    for module, library, theirs, ours in checks:
        try:
            mod = importlib.import_module(module)
            found, wanted = theirs(mod), ours()
        except Exception:
            continue  # a missing package is reported by missing_packages()
        if found != wanted:
            problems.append(f"{module} uses {library} {found}, QGIS uses {library} {wanted}")
    return tuple(problems)


def _qgis_gdal_version() -> str:
    from osgeo import gdal

    return gdal.__version__


def mismatch_instructions(problems) -> str:
    return (
        "JoinedUp cannot run safely: " + "; ".join(problems) + ". Inside QGIS on Linux these "
        "packages must use QGIS's own libraries, or results are wrong and QGIS may crash.\n"
        "Rebuild them against the system libraries, then restart QGIS:\n"
        "- Debian/Ubuntu: sudo apt install build-essential python3-dev libgeos-dev libgdal-dev "
        "libproj-dev proj-bin, then\n"
        "  echo 'cython<3.1' > /tmp/c.txt; PIP_CONSTRAINT=/tmp/c.txt PROJ_DIR=/usr pip install "
        "--user --force-reinstall --no-binary shapely,pyogrio,pyproj shapely pyogrio \"pyproj<3.7\""
    )


def missing_message() -> str:
    """The one message shown in the log, the message bar and every algorithm; '' when all is there."""
    missing = missing_packages()
    if missing:
        return install_instructions(missing)
    mismatched = native_library_mismatches()
    return mismatch_instructions(mismatched) if mismatched else ""


def optional_missing_message(algorithm: str) -> str:
    """Install steps for the optional packages ``algorithm`` (an ALG_ID) needs and this QGIS
    cannot import; '' when all is there. Checked when the algorithm runs, not at load."""
    missing = []
    for module, pip_name, minimum, algorithms in OPTIONAL:
        if algorithm not in algorithms:
            continue
        try:
            mod = importlib.import_module(module)
        except Exception:
            missing.append(pip_name + (f">={minimum}" if minimum else ""))
            continue
        version = getattr(mod, "__version__", None)
        if minimum and version and _version_tuple(version) < _version_tuple(minimum):
            missing.append(f"{pip_name}>={minimum} (found {version})")
    return install_instructions(missing) if missing else ""
