"""The set-up's last step: prove that the installed libraries work, not just import.

A library can import and report the right version yet fail on first use: on 2026-12-04 a fresh
machine's pyproj, compiled with a Cython too new for it, raised "expected bytes, str found" on
every CRS, and the old version check passed. So this runs small real uses with known answers,
first in .venv's Python, then inside QGIS's own program:

1. in this Python: the same checks the plugin runs when it loads (dependencies.py):
   native libraries shared with QGIS (Debian 12), pyproj EPSG:27700 -> EPSG:4326 on a known
   point, a shapely operation, a GeoPackage written and read back through pyogrio;
2. through ``qgis_process``: ``joinedup:checkenvironment``, which runs those checks again inside
   QGIS (where binary wheels clash with QGIS's libraries), then ``joinedup:joinbylocation`` on a
   three-point layer made here, its counts checked by hand.

Exit 0 when all pass; else print one line naming the broken package and exit 1.
Run by scripts/setup.sh with .venv's Python: ``.venv/bin/python scripts/smoke_test.py``.
"""
from __future__ import annotations

import importlib.util
import json
import subprocess
import sys
import tempfile
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]


def load_dependencies():
    """dependencies.py by its path: the repository root must never be on sys.path (its
    processing/ would shadow QGIS's own), and the module imports nothing of the plugin."""
    spec = importlib.util.spec_from_file_location("joinedup_dependencies", REPO / "dependencies.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def fail(message: str) -> int:
    print(f"smoke test: FAILED: {message}", file=sys.stderr)
    return 1


def qgis_process(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run(["bash", str(REPO / "scripts" / "qgis_process.sh"), *args],
                          capture_output=True, text=True, timeout=300)


def main() -> int:
    deps = load_dependencies()
    missing = deps.missing_packages()
    if missing:
        return fail("packages that do not import: " + ", ".join(missing))
    for problem in deps.native_library_mismatches() + deps.broken_packages():
        return fail(problem)
    print("smoke test: pyproj, shapely, pyogrio and geopandas work in .venv's Python")

    import geopandas as gpd
    import shapely

    with tempfile.TemporaryDirectory() as folder:
        zones = Path(folder) / "zones.gpkg"
        gpd.GeoDataFrame({"zone": ["a", "b"]}, geometry=[shapely.box(0, 0, 10, 10), shapely.box(10, 0, 20, 10)],
                         crs="EPSG:27700").to_file(zones, layer="zones")
        gpd.GeoDataFrame({"n": [1, 2, 3]}, geometry=[shapely.Point(1, 1), shapely.Point(2, 2), shapely.Point(15, 5)],
                         crs="EPSG:27700").to_file(zones.with_name("points.gpkg"), layer="points")
        run = qgis_process("run", "joinedup:checkenvironment", "--json")
        if run.returncode != 0:
            return fail("joinedup:checkenvironment through qgis_process exited "
                        f"{run.returncode}: {(run.stderr or run.stdout).strip()[-600:]}")
        output = Path(folder) / "joined.gpkg"
        run = qgis_process("run", "joinedup:joinbylocation", "--json", "--",
                           f"INPUT={zones}|layername=zones", f"JOIN={zones.with_name('points.gpkg')}|layername=points",
                           "METHOD=3", f"OUTPUT={output}")
        if run.returncode != 0:
            return fail("joinedup:joinbylocation through qgis_process exited "
                        f"{run.returncode}: {(run.stderr or run.stdout).strip()[-600:]}")
        json.loads(run.stdout[run.stdout.index("{"):])  # a whole JSON answer, not a crash
        joined = gpd.read_file(output)
        count_column = joined["n_count"] if "n_count" in joined else joined.filter(like="count").iloc[:, 0]
        counts = dict(zip(joined["zone"], count_column))
        if counts != {"a": 2, "b": 1}:
            return fail(f"joinedup:joinbylocation counted {counts} points per zone, not a: 2, b: 1")
    print("smoke test: joinedup:checkenvironment and joinedup:joinbylocation ran through qgis_process")
    return 0


if __name__ == "__main__":
    sys.exit(main())
