"""Workbench benchmark: an extract of N rows with British National Grid eastings/northings made
into points, JoinedUp's `joinedup:importrecords` against QGIS's own
`native:createpointslayerfromtable` (Create points layer from table) on the same CSV read as a
delimited-text layer, both to a GeoPackage, in one process. importrecords also sniffs the
encoding, reads a date column day-first and gives every row a place_status; QGIS's algorithm
does neither. Then the postcode path: the same rows placed by postcode against a directory of
as many postcodes in ONSPD's layout (50 columns), first run (indexing) and second (from the index).

    .venv/bin/python benchmarks/bench_workbench.py [--quick]
"""
from __future__ import annotations

import argparse
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from common import median_time, peak_rss_mb, qgis_session, report  # noqa: E402


def write_extract(folder: Path, n: int, seed: int = 20) -> Path:
    import numpy as np

    rng = np.random.default_rng(seed)
    east = rng.uniform(420000, 440000, n).round(1)
    north = rng.uniform(425000, 445000, n).round(1)
    days = rng.integers(1, 29, n)
    path = folder / "incidents.csv"
    with open(path, "w", encoding="utf-8") as handle:
        handle.write("incident_ref,date_of_call,easting,northing,postcode\n")
        for i in range(n):
            typed = postcode(i).lower().replace(" ", "")  # as typed at a counter
            handle.write(f"F{i:07d},{days[i]:02d}/04/2025,{east[i]},{north[i]},{typed}\n")
    return path


def postcode(i: int) -> str:
    letters = "ABDEFGHJLNPQRSTUWXYZ"
    return f"LS{i // 8000 + 1} {i % 10}{letters[i // 10 % 20]}{letters[i // 200 % 20]}"


def write_onspd(folder: Path, n: int) -> Path:
    path = folder / "onspd.csv"
    filler = ",".join(["E05011400"] * 41)
    with open(path, "w") as handle:
        handle.write("pcd,pcd2,pcds,dointr,doterm,usertype,oseast1m,osnrth1m,osgrdind,"
                     + ",".join(f"c{i}" for i in range(41)) + "\n")
        for i in range(n):
            pc = postcode(i)
            handle.write(f"{pc},{pc},{pc},198001,{'201905' if i % 50 == 0 else ''},0,"
                         f"{420000 + i % 20000},{425000 + i % 20000},1,{filler}\n")
    return path


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--quick", action="store_true")
    args = parser.parse_args()
    n = 20_000 if args.quick else 200_000
    processing = qgis_session()
    from qgis.core import QgsVectorLayer

    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        extract = write_extract(folder, n)

        def joinedup(out_name, **extra):
            return processing.run("joinedup:importrecords", {
                "INPUT": str(extract), "OUTPUT": str(folder / out_name), **extra})

        def qgis():
            layer = QgsVectorLayer(f"file://{extract}?type=csv&delimiter=,&geomType=none&detectTypes=yes",
                                   "incidents", "delimitedtext")
            return processing.run("native:createpointslayerfromtable", {
                "INPUT": layer, "XFIELD": "easting", "YFIELD": "northing", "TARGET_CRS": "EPSG:27700",
                "OUTPUT": str(folder / "qgis.gpkg")})

        ours, _, result = median_time(lambda: joinedup("ours.gpkg", EASTING_FIELD="easting",
                                                       NORTHING_FIELD="northing"), repeat=3)
        theirs, _, _ = median_time(qgis, repeat=3)
        rows.append({"case": "grid references", "rows": n, "placed": result["PLACED"],
                     "joinedup_s": ours, "qgis_s": theirs, "ratio": ours / theirs})

        directory = write_onspd(folder, n)
        cache = folder / "cache"
        by_postcode = {"POSTCODE_DIRECTORY": str(directory), "CACHE_FOLDER": str(cache),
                       "POSTCODE_FIELD": "postcode"}
        # The same rows without their grid references, so the postcode places them.
        plain = folder / "by_postcode.csv"
        with open(extract) as src, open(plain, "w") as dst:
            for line in src:
                ref, date, _, _, pc = line.rstrip("\n").split(",")
                dst.write(f"{ref},{date},{pc}\n")
        extract = plain
        first, _, result = median_time(lambda: joinedup("pc1.gpkg", **by_postcode), repeat=1)
        second, _, _ = median_time(lambda: joinedup("pc2.gpkg", **by_postcode), repeat=1)
        rows.append({"case": "postcodes, directory indexed now", "rows": n, "placed": result["PLACED"],
                     "joinedup_s": first, "qgis_s": None, "ratio": None})
        rows.append({"case": "postcodes, from the index", "rows": n, "placed": result["PLACED"],
                     "joinedup_s": second, "qgis_s": None, "ratio": None})
    report("workbench" + ("_quick" if args.quick else ""), rows,
           notes=f"ratio = JoinedUp / QGIS seconds (below 1: JoinedUp faster); medians of 3 (postcodes: one "
                 f"run each); peak RSS {peak_rss_mb():.0f} MiB; 2 shared cores")


if __name__ == "__main__":
    main()
