"""joinedup:areaprofile of one large point layer, in-process against a LocalCluster of 2 workers,
and against QGIS's own native:joinbylocationsummary (the QGIS algorithm that gives the same per-area
count, sum and mean), end to end through processing.run, one run each.

    .venv/bin/python benchmarks/bench_areaprofile.py [--quick] [--points N]

N random points (default 1,000,000; --quick, as `make bench` runs it: 100,000) with an integer
weight and 1,600 irregular zones (Voronoi cells) over a 20 km square, in one GeoPackage made by
this script (seeded, cached in benchmarks/results/areaprofile-scratch/). Every variant runs in a
QGIS process of its own, so its peak RSS is that process's (a cluster's workers are other
processes). The area profile counts the points per zone and sums and averages the weight
(VALUE_FIELDS weight); QGIS's summary join calculates count, sum and mean of the weight. The
parent checks that all three give the same counts, sums and means, and prints the ratios.
"""
from __future__ import annotations

import argparse
import json
import os
import sys
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))
from common import peak_rss_mb, plugin_importable, qgis_session, report, run_worker  # noqa: E402

SCRATCH = Path(__file__).resolve().parent / "results" / "areaprofile-scratch"
CRS = "EPSG:3067"
X0, Y0, SIDE = 380_000.0, 6_665_000.0, 20_000.0

RUNS = (  # label, algorithm, its own parameters
    ("joinedup areaprofile in-process", "joinedup:areaprofile", {"EXECUTION": "local"}),
    ("joinedup areaprofile LocalCluster 2 workers", "joinedup:areaprofile", {"EXECUTION": "local cluster:2"}),
    ("QGIS native:joinbylocationsummary", "native:joinbylocationsummary", {}),
)


def load() -> str:
    return "load average " + " ".join(f"{v:.1f}" for v in os.getloadavg())


def write_layers(path: Path, n: int, seed: int = 11):
    """1,600 Voronoi zones (``zone``) and n random points with an integer ``weight``, written a
    million at a time, in one GeoPackage."""
    import geopandas as gpd
    import pyogrio
    import shapely

    rng = np.random.default_rng(seed)
    seeds = shapely.multipoints(rng.uniform(0, SIDE, (1600, 2)) + [X0, Y0])
    box = shapely.box(X0, Y0, X0 + SIDE, Y0 + SIDE)
    cells = shapely.intersection(shapely.get_parts(shapely.voronoi_polygons(seeds, extend_to=box)), box)
    zones = gpd.GeoDataFrame({"zone": np.arange(len(cells))}, geometry=cells, crs=CRS)
    pyogrio.write_dataframe(zones, str(path), layer="zones", driver="GPKG")
    for start in range(0, n, 1_000_000):
        k = min(1_000_000, n - start)
        xy = rng.uniform(0, SIDE, (k, 2)) + [X0, Y0]
        points = gpd.GeoDataFrame({"weight": rng.integers(0, 100, k)},
                                  geometry=gpd.points_from_xy(xy[:, 0], xy[:, 1]), crs=CRS)
        pyogrio.write_dataframe(points, str(path), layer="points", driver="GPKG", append=start > 0)


def worker(k: int, gpkg: str) -> dict:
    """One variant of RUNS, once, in a QGIS session of its own."""
    from qgis.core import QgsVectorLayer

    from joinedup.engine.scale import Execution, run_tasks

    label, alg, extra = RUNS[k]
    processing = qgis_session()
    startup = None
    execution = Execution.parse(extra.get("EXECUTION", "local"))
    if not execution.is_local:  # the cluster's own start-up and shut-down, measured apart (the run pays it too)
        t0 = time.perf_counter()
        run_tasks(lambda shared, x: x, None, [(1,)], execution=execution)
        startup = round(time.perf_counter() - t0, 1)
    out = SCRATCH / f"out_{k}.gpkg"
    if out.exists():
        os.remove(out)
    if alg == "joinedup:areaprofile":
        points = QgsVectorLayer(f"{gpkg}|layername=points", "points", "ogr")
        params = {"AREAS": f"{gpkg}|layername=zones", "LAYERS": [points], "VALUE_FIELDS": "weight"}
    else:
        params = {"INPUT": f"{gpkg}|layername=zones", "JOIN": f"{gpkg}|layername=points", "PREDICATE": [0],
                  "JOIN_FIELDS": ["weight"], "SUMMARIES": [0, 5, 6], "DISCARD_NONMATCHING": False}
    t0 = time.perf_counter()
    processing.run(alg, {**params, **extra, "OUTPUT": str(out)})
    return {"seconds": time.perf_counter() - t0, "startup_s": startup, "peak_rss_mb": round(peak_rss_mb()),
            "output": str(out)}


def main():
    if len(sys.argv) > 1 and sys.argv[1] == "--worker":
        plugin_importable()
        print(json.dumps(worker(int(sys.argv[2]), sys.argv[3])))
        return
    ap = argparse.ArgumentParser()
    ap.add_argument("--quick", action="store_true", help="100,000 points (make bench)")
    ap.add_argument("--points", type=int, default=None, help="points (default 1,000,000; --quick 100,000)")
    args = ap.parse_args()
    plugin_importable()
    import pyogrio

    n = args.points or (100_000 if args.quick else 1_000_000)
    SCRATCH.mkdir(parents=True, exist_ok=True)
    gpkg = SCRATCH / f"layers_{n}.gpkg"
    if not gpkg.exists():
        write_layers(gpkg, n)
    print(f"{n:,} points in 1,600 zones, one run each; {load()}", flush=True)
    rows, tables = [], []
    for k, (label, alg, _) in enumerate(RUNS):
        got = run_worker(__file__, k, str(gpkg))
        table = pyogrio.read_dataframe(got["output"], read_geometry=False).set_index("zone").sort_index()
        if alg == "joinedup:areaprofile":
            table = table[["points_count", "points_weight_sum", "points_weight_mean"]]
        else:  # QGIS: NULL where nothing matched (JoinedUp: 0 for count and sum)
            table = table[["weight_count", "weight_sum", "weight_mean"]]
            table = table.fillna({"weight_count": 0, "weight_sum": 0})
        tables.append(table.to_numpy(float))
        same = bool(np.array_equal(tables[-1][:, :2], tables[0][:, :2])
                    and np.allclose(tables[-1][:, 2], tables[0][:, 2], rtol=0, atol=5.01e-7, equal_nan=True))
        rows.append({"run": label, "seconds": round(got["seconds"], 2), "points_per_s": round(n / got["seconds"]),
                     "cluster_startup_s": got["startup_s"],
                     "qgis_process_peak_mb": got["peak_rss_mb"], "same_counts_sums_means": same})
        print(rows[-1], f"({load()})", flush=True)
    base, cluster, native = (row["seconds"] for row in rows)
    for row in rows:
        row["in_process_over_this"] = round(base / row["seconds"], 2)
        row["native_over_this"] = round(native / row["seconds"], 2)
    note = (f"2 workers vs in-process: {base / cluster:.2f}x; in-process vs QGIS native: {native / base:.2f}x; "
            f"2 workers vs QGIS native: {native / cluster:.2f}x. One run each, each in a QGIS process of its own; "
            "the cluster run starts and stops its LocalCluster (start-up and shut-down measured apart: "
            "cluster_startup_s) and its workers read ranges of the GeoPackage themselves. Means compared to "
            f"5e-7 (QGIS writes 6 decimals). After the runs: {load()}.")
    report(f"areaprofile_{n}", rows, note)


if __name__ == "__main__":
    main()
