"""Exit 0 when shapely, pyogrio and pyproj in this Python use the same GEOS, GDAL and PROJ as
QGIS; else print which differ and exit 1.

Why: qgis_process and the QGIS desktop binary link GEOS, GDAL and PROJ into the global symbol
scope. Binary wheels of shapely/pyogrio/pyproj carry their own copies, and inside QGIS their
calls get resolved partly against QGIS's: wrong results ("WKB output dimension must be 2 or 3")
and heap corruption at exit. Built from source against the system libraries, they share them.
"""
import subprocess
import sys


def system(cmd):
    try:
        return subprocess.run(cmd, capture_output=True, text=True, check=True).stdout.strip()
    except Exception:
        return None


def main() -> int:
    problems = []
    try:
        import shapely
        geos = ".".join(map(str, shapely.geos_version))
        want = system(["geos-config", "--version"])
        if want and geos != want:
            problems.append(f"shapely uses GEOS {geos}, QGIS uses {want}")
    except Exception as exc:
        problems.append(f"shapely: {exc}")
    try:
        import pyogrio
        gdal = pyogrio.__gdal_version_string__
        want = system(["gdal-config", "--version"])
        if want and gdal != want:
            problems.append(f"pyogrio uses GDAL {gdal}, QGIS uses {want}")
    except Exception as exc:
        problems.append(f"pyogrio: {exc}")
    try:
        import pyproj
        proj = pyproj.proj_version_str
        want = system(["pkg-config", "--modversion", "proj"])
        if want and proj != want:
            problems.append(f"pyproj uses PROJ {proj}, QGIS uses {want}")
    except Exception as exc:
        problems.append(f"pyproj: {exc}")
    for p in problems:
        print("native libraries:", p)
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
