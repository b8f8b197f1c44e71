"""Which Python packages JoinedUp needs, at which versions, how to install them, and whether
this QGIS has them: the one source for all of it.

It sits at the plugin's root, beside ``metadata.txt``, because both ``plugin/`` (the message
when QGIS loads the plugin) and ``processing/`` (every algorithm's check, *Check JoinedUp's
Python packages*) use it and neither owns it; it imports nothing of the plugin and no QGIS at
module level (``scripts/smoke_test.py`` loads it by its path). It is not in ``engine/``: its
checks compare the packages with QGIS's own GEOS, GDAL and PROJ, which the engine never sees.
README.md and metadata.txt print the same install steps (a test checks they agree).

The plugin must load even when packages are missing: it reports once, clearly, and every
algorithm fails with the same message (see ``processing/base.py``).
"""
from __future__ import annotations

import importlib
import sys
from functools import lru_cache
from typing import NamedTuple

# (import name, pip name, minimum version or None)
REQUIRED = (
    ("numpy", "numpy", None),
    ("shapely", "shapely", "2.0"),
    ("pyogrio", "pyogrio", None),
    ("pyproj", "pyproj", None),
    ("geopandas", "geopandas", "1.0"),
    ("networkx", "networkx", "3.0"),
    ("scipy", "scipy", None),
    ("rasterio", "rasterio", None),
    ("matplotlib", "matplotlib", None),
)


class OptionalPackage(NamedTuple):
    """A package only some work needs: the plugin loads without it, and that work stops with
    the install step. ``algorithms`` are the ALG_IDs that check it when they run."""
    module: str
    pip_name: str
    minimum: str | None
    algorithms: tuple
    purpose: str


OPTIONAL = (
    OptionalPackage("uk_address_matcher", "uk_address_matcher", "1.5", ("linkaddresses",),
                    "address linkage (brings splink and duckdb)"),
    OptionalPackage("vroom", "pyvroom", None, ("routeoptimisation",), "route optimisation"),
    OptionalPackage("frictionless", "frictionless", None, ("validatelayer", "publishopendata"),
                    "the workbench's table schemas and publishing"),
    OptionalPackage("dask", "dask", None, (), "scale-out runs"),
    OptionalPackage("distributed", "distributed", None, (), "scale-out runs (dask's scheduler)"),
    OptionalPackage("dask_geopandas", "dask-geopandas", None, (), "scale-out runs (partitioned layers)"),
    OptionalPackage("pyarrow", "pyarrow", None, (), "faster reading of layers"),
)


def requirement(pip_name: str, minimum: str | None) -> str:
    """What pip is given for one package: ``"geopandas>=1.0"`` (quoted for the shell) or ``scipy``."""
    return f'"{pip_name}>={minimum}"' if minimum else pip_name


# Every required package as pip is given it, and the sentence naming them (README, metadata.txt).
REQUIRED_PIP = " ".join(requirement(pip_name, minimum) for _module, pip_name, minimum in REQUIRED)
REQUIRED_NAMES = ", ".join(f"{pip_name} (>= {minimum})" if minimum else pip_name
                           for _module, pip_name, minimum in REQUIRED)
WINDOWS_PIP = "python -m pip install"  # in the OSGeo4W Shell
MACOS_PIP = "/Applications/QGIS.app/Contents/MacOS/bin/pip3 install"


def optional_install(package: OptionalPackage) -> str:
    """The one install step for an optional package, as README prints it."""
    return f"pip install {requirement(package.pip_name, package.minimum)}"


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


# How to build shapely, pyogrio and pyproj against QGIS's own GEOS, GDAL and PROJ on Debian 12
# or Ubuntu (Debian 13 has them as Debian packages). pyproj 3.6 must be compiled with Cython < 3.1,
# and since pip 26.2 only PIP_BUILD_CONSTRAINT reaches the build (older pips read PIP_CONSTRAINT),
# so both are set. Debian's Python is "externally managed" (PEP 668): a --user install needs
# --break-system-packages; it writes only under ~/.local. README.md prints the same steps.
DEBIAN12_APT = ("sudo apt install python3-pip python3-scipy python3-rasterio python3-matplotlib "
                "build-essential pkg-config python3-dev libgeos-dev libgdal-dev libproj-dev proj-bin")
DEBIAN12_PIP = (
    "pip install --user --break-system-packages --no-binary shapely,pyogrio "
    "\"shapely>=2\" pyogrio \"geopandas>=1\" \"networkx>=3\" \"numpy<2\"\n"
    "  printf 'cython<3.1\\n' > /tmp/pyproj-build.txt\n"
    "  PIP_BUILD_CONSTRAINT=/tmp/pyproj-build.txt PIP_CONSTRAINT=/tmp/pyproj-build.txt PROJ_DIR=/usr "
    "pip install --user --break-system-packages --force-reinstall --no-deps --no-binary pyproj "
    "\"pyproj>=3.5,<3.7\"")
DEBIAN13_APT = ("sudo apt install python3-geopandas python3-shapely python3-pyogrio python3-pyproj "
                "python3-networkx python3-scipy python3-rasterio python3-matplotlib")


def install_instructions(missing) -> str:
    names = " ".join(f'"{m.split(" ")[0]}"' for m in missing)  # "pyproj" or "shapely>=2.0"
    return (
        "JoinedUp needs Python packages that this QGIS cannot import: "
        + ", ".join(missing) + ".\n"
        "Install them into QGIS's own Python, then restart QGIS:\n"
        f"- Windows: open the OSGeo4W Shell and run: {WINDOWS_PIP} {names}\n"
        f"- Debian 13: {DEBIAN13_APT}\n"
        f"- Debian 12 or Ubuntu: {DEBIAN12_APT}, then (so that shapely, pyogrio and pyproj use "
        f"QGIS's own GEOS, GDAL and PROJ)\n  {DEBIAN12_PIP}\n"
        f"- macOS: {MACOS_PIP} {names}"
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
        f"- Debian 13: remove the pip copies (pip uninstall shapely pyogrio pyproj) and {DEBIAN13_APT}\n"
        f"- Debian 12 or Ubuntu: {DEBIAN12_APT}, then\n  "
        + DEBIAN12_PIP.replace("--no-binary shapely,pyogrio",
                               "--force-reinstall --no-deps --no-binary shapely,pyogrio", 1)
    )


@lru_cache(maxsize=1)
def broken_packages() -> tuple:
    """Packages that import, and report the right version, yet do not work: one line each,
    naming the package and what failed. Each check is a small real use with a known answer:
    a pyproj built with the wrong Cython imports fine and fails on its first CRS
    ("expected bytes, str found"); a wheel clashing with QGIS's libraries fails on a write."""
    problems = []

    def check(package, work):
        try:
            failure = work()
        except Exception as exc:  # whatever a broken binary raises
            failure = f"{type(exc).__name__}: {exc}"
        if failure:
            problems.append(f"{package} does not work: {failure}")

    def pyproj_transform():
        from pyproj import Transformer

        # A British National Grid point near Trafalgar Square, London.
        lon, lat = Transformer.from_crs("EPSG:27700", "EPSG:4326", always_xy=True).transform(530000, 180000)
        if abs(lon + 0.1284) > 0.005 or abs(lat - 51.5040) > 0.005:
            return f"EPSG:27700 (530000, 180000) gave ({lon:.4f}, {lat:.4f}), not about (-0.1284, 51.5040)"
        return ""

    def shapely_operation():
        import shapely

        area = shapely.Point(0, 0).buffer(10.0, quad_segs=64).intersection(shapely.box(0, 0, 20, 20)).area
        if abs(area - 25 * 3.14159265) > 0.5:
            return f"a quarter disc of radius 10 has area {area:.2f}, not 78.54"
        return ""

    def gpkg_round_trip():
        import tempfile
        from pathlib import Path

        import geopandas as gpd
        import pyogrio
        import shapely

        frame = gpd.GeoDataFrame({"name": ["Zoë", "B"], "n": [1, 2]},
                                 geometry=[shapely.Point(530000, 180000), shapely.Point(1, 2)], crs="EPSG:27700")
        with tempfile.TemporaryDirectory() as folder:
            path = Path(folder) / "check.gpkg"
            pyogrio.write_dataframe(frame, path, layer="check")
            back = pyogrio.read_dataframe(path, layer="check")
        if list(back["name"]) != ["Zoë", "B"] or not back.geometry.geom_equals(frame.geometry).all() \
                or back.crs is None or back.crs.to_epsg() != 27700:
            return "a GeoPackage written and read back differs from what was written"
        return ""

    check("pyproj", pyproj_transform)
    check("shapely", shapely_operation)
    check("pyogrio", gpkg_round_trip)
    return tuple(problems)


def broken_instructions(problems) -> str:
    return ("JoinedUp cannot run: " + "; ".join(problems) + ".\n"
            "Reinstall the package named above the way README.md ('Install into your QGIS') says, "
            "then restart QGIS.")


def missing_message() -> str:
    """The one message shown in the log, the message bar and every algorithm; '' when all is there."""
    missing = missing_packages()
    if missing:
        return install_instructions(missing)
    mismatched = native_library_mismatches()
    if mismatched:
        return mismatch_instructions(mismatched)
    broken = broken_packages()
    return broken_instructions(broken) if broken else ""


def optional_missing_message(algorithm: str) -> str:
    """Install steps for the optional packages ``algorithm`` (an ALG_ID) needs and this QGIS
    cannot import; '' when all is there. Checked when the algorithm runs, not at load."""
    missing = []
    for module, pip_name, minimum, algorithms, _purpose in OPTIONAL:
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


def package_report() -> list:
    """One line per package, required then optional, with the version found here and the one
    needed. Optional packages are read from their installed metadata, not imported: importing
    the address matcher would load DuckDB, which only the linkage algorithm cleans up after."""
    from importlib import metadata

    lines = []
    for module, _pip_name, minimum in REQUIRED:
        try:
            version = getattr(importlib.import_module(module), "__version__", "?")
        except Exception:  # an ImportError, or a broken binary wheel raising anything
            version = "missing"
        need = f" (needs >= {minimum})" if minimum else ""
        lines.append(f"{module} {version}{need}")
    try:
        import pyogrio

        lines.append(f"GDAL {pyogrio.__gdal_version_string__} (pyogrio)")
    except Exception:
        pass
    for package in OPTIONAL:
        try:
            version = metadata.version(package.pip_name)
        except metadata.PackageNotFoundError:
            version = "not installed (optional)"
        need = f" (needs >= {package.minimum})" if package.minimum else ""
        used_by = ", ".join("joinedup:" + a for a in package.algorithms) or package.purpose
        lines.append(f"{package.pip_name} {version}{need}, for {used_by}")
    lines.append("working: pyproj (EPSG:27700 to EPSG:4326), shapely (intersection), "
                 "pyogrio (GeoPackage written and read back)")
    return lines
