"""Beyond one process: map matching on a Dask LocalCluster, and a point-in-polygon join of points
read in chunks, with peak memory.

    .venv/bin/python benchmarks/bench_scale.py [--quick] [--only mapmatch,join,joinalg,mapmatchfile,mapmatchengine]
        [--points N] [--repeat R] [--order track|time]

1. mapmatch: seeded synthetic lorry tracks on the sample city's drive network (Helsinki, OSM),
   1,000,000 points (2,000 tracks × 500; --quick 100,000), matched in-process, then on a
   LocalCluster of 1 and of 2 worker processes (processes=True, one thread each). Points per
   second with and without the cluster's start-up, the 1 → 2 worker ratio and the scaling
   efficiency (ratio / 2). The machine's load average is printed before and after: on a shared
   machine the ratio is a measurement, not a promise.
2. join: N random points (10,000,000; --quick 1,000,000) written to GeoParquet by this script
   (never committed), counted and summed per polygon of a 40 × 40 grid of irregular polygons, read
   back in chunks of 1,000,000 (engine.scale_points), in a process of its own so its peak RSS is
   its own; the in-memory join of the whole layer (engine.joins.join_by_location, summary) at
   the quick size, for the time and memory it needs.
3. joinalg: the algorithm, end to end through processing.run in one QGIS session: Join by
   location (summary; count and sum of an integer weight; intersects) of N random points
   (1,000,000; --quick 200,000; --points N) in the same 1,600 polygons, both layers in one
   GeoPackage written by this script, run in-process (EXECUTION local), on a LocalCluster of 1
   and of 2 workers (the workers read their chunks of the GeoPackage themselves) and QGIS's
   own native:joinbylocationsummary, each variant in a QGIS process of its own (its peak RSS is
   printed). Medians of --repeat runs (default 3) each, each cluster run including its cluster's
   start-up (also measured apart), ratios against the in-process run and against QGIS, and a
   check that every output has the same counts and sums.
4. mapmatchfile: the algorithm end to end (processing.run, OUTPUT and QUALITY) on a GPS
   GeoPackage of N seeded lorry points (1,000,000 = 2,000 tracks × 500; --quick 100,000;
   --points N), in-process, then on a LocalCluster of 2 workers that read the file themselves
   (engine.scale_tracks: this process reads the track ids only), each in a QGIS process of its
   own: seconds and that process's peak RSS (VmHWM after QGIS's start-up, and its growth during
   the run), and a check that both wrote the same routes and quality table. --order time writes
   the file sorted by time (tracks interleaved, as a fleet export by time), track (default) by
   track.
5. mapmatchengine: the engine part of 4 alone, in plain Python (no QGIS), on the same
   track-sorted GeoPackage: engine.scale_tracks.match_file on a LocalCluster of 2 workers, in a
   process of its own per variant: results fetched as each task ends (gather_each, the default
   since 5 December 2026) and, for comparison, all gathered at the end (run_tasks as before).
   This process's RSS and peak (VmHWM) after the network is built, after the partition, at the
   end, and after malloc_trim (the heap freed but kept by glibc given back), with the routes'
   own size (vertices x the bytes GEOS keeps per vertex, plus the text), and a check that both
   variants return the same routes and quality table.
For 1, 2 and 4 no QGIS algorithm reads a point layer in chunks or runs on a cluster: the
comparison is with JoinedUp's own in-process run, on the same input, in the same run.
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
from common import (  # noqa: E402
    current_peak_rss_mb,
    median_time,
    peak_rss_mb,
    plugin_importable,
    qgis_session,
    report,
    reset_peak_rss,
    run_worker,
)

DATA = Path(__file__).resolve().parents[1] / "resources" / "sample" / "helsinki.osm.pbf"
SCRATCH = Path(__file__).resolve().parent / "results" / "scale-scratch"


def load() -> str:
    one, five, fifteen = os.getloadavg()
    return f"load average {one:.2f} / {five:.2f} / {fifteen:.2f} on {os.cpu_count()} cores"


def cpu_seconds(execution) -> float:
    """CPU seconds used so far by this process (in-process runs) or by its finished child
    processes (a LocalCluster's workers, counted once the cluster has closed)."""
    import resource

    who = resource.RUSAGE_SELF if execution.is_local else resource.RUSAGE_CHILDREN
    usage = resource.getrusage(who)
    return usage.ru_utime + usage.ru_stime


EXECUTIONS = (("in-process", None, 0), ("LocalCluster 1 worker", "local cluster", 1),
              ("LocalCluster 2 workers", "local cluster", 2))


def time_executions(work, n: int, unit: str, same):
    """``work(execution)`` in-process, then on a LocalCluster of 1 and of 2 workers, each
    cluster's start-up measured apart: a row per run (seconds, rate, CPU seconds, cores
    obtained, ``same(reference, result)`` against the in-process result) and the note with
    the 1 -> 2 worker ratio, its scaling efficiency and the rate per worker CPU second."""
    from joinedup.engine.scale import Execution, run_tasks

    rows, reference = [], None
    for label, kind, workers in EXECUTIONS:
        execution = Execution() if kind is None else Execution(kind, workers)
        startup = 0.0
        if not execution.is_local:  # the cluster's own start-up, measured apart
            t0 = time.perf_counter()
            run_tasks(lambda shared, x: x, None, [(1,)], execution=execution)
            startup = time.perf_counter() - t0
        t0, cpu0 = time.perf_counter(), cpu_seconds(execution)
        result = work(execution)
        total = time.perf_counter() - t0
        cpu = cpu_seconds(execution) - cpu0
        equal = ""
        if reference is None:
            reference = result
        else:
            equal = bool(same(reference, result))
        rows.append({"run": label, unit: n, "seconds": round(total, 2), "startup_s": round(startup, 1),
                     f"{unit}_per_s": round(n / total),
                     f"{unit}_per_s_after_startup": round(n / max(total - startup, 1e-9)),
                     "cpu_s": round(cpu, 1), "cores_obtained": round(cpu / total, 2), "same_as_in_process": equal})
        print(rows[-1], f"({load()})", flush=True)
    one, two = rows[1][f"{unit}_per_s"], rows[2][f"{unit}_per_s"]
    note = (f"1 -> 2 workers: {two / one:.2f}x (scaling efficiency {two / one / 2:.0%}); cores obtained "
            f"{rows[1]['cores_obtained']} -> {rows[2]['cores_obtained']}; {unit} per worker CPU second "
            f"{n / max(rows[1]['cpu_s'], 1e-9):.0f} -> {n / max(rows[2]['cpu_s'], 1e-9):.0f}; 2 workers / in-process: "
            f"{two / rows[0][f'{unit}_per_s']:.2f}x. After the run: {load()}.")
    return rows, note


def bench_mapmatch(quick: bool):
    from gen_tracks import drive_graph, generate_tracks

    from joinedup.engine.mapmatch import match_tracks
    from joinedup.engine.tracks import prepare_tracks

    _, graph = drive_graph(DATA)
    n_tracks, n_points = (200, 500) if quick else (2000, 500)
    pts, _ = generate_tracks(graph, n_tracks=n_tracks, n_points=n_points, sigma_m=10, interval_s=5, seed=21)
    table, _, _ = prepare_tracks(pts, track_field="track_id", time_field="time")
    n = len(table)
    print(f"{n} points, {n_tracks} tracks; {load()}", flush=True)

    def same(a, b):
        return a.points.equals(b.points) and a.traversals.equals(b.traversals)

    rows, note = time_executions(lambda execution: match_tracks(graph, table, execution=execution), n, "points",
                                 same)
    report("scale_mapmatch", rows, note + " Tasks: chunks of 5,000 points of whole track pieces; the network "
           "(0.7 MB pickled) is broadcast to each worker once.")


def write_points(path: Path, n: int, seed: int = 5):
    """n random points over a 20 km square (EPSG:3067) with an integer-valued weight, to
    GeoParquet 1.0 (WKB) in row groups of 1,000,000, written a million at a time (never all in
    memory)."""
    import pyarrow as pa
    import pyarrow.parquet as pq
    import pyproj
    import shapely

    geo = {"version": "1.0.0", "primary_column": "geometry",
           "columns": {"geometry": {"encoding": "WKB", "geometry_types": ["Point"],
                                    "crs": pyproj.CRS("EPSG:3067").to_json_dict()}}}
    schema = pa.schema([("weight", pa.float64()), ("geometry", pa.binary())],
                       metadata={b"geo": json.dumps(geo).encode()})
    rng = np.random.default_rng(seed)
    with pq.ParquetWriter(str(path), schema) as writer:
        for start in range(0, n, 1_000_000):
            k = min(1_000_000, n - start)
            xy = rng.uniform(0, 20_000, (k, 2)) + [380_000.0, 6_665_000.0]
            table = pa.table({"weight": rng.integers(0, 100, k).astype(float),
                              "geometry": shapely.to_wkb(shapely.points(xy))}, schema=schema)
            writer.write_table(table, row_group_size=1_000_000)


def grid_polygons(side: int = 40):
    """side × side irregular quadrilaterals (jittered grid corners) over the points' square."""
    import geopandas as gpd
    import shapely

    rng = np.random.default_rng(1)
    step = 20_000 / side
    cx, cy = np.meshgrid(np.arange(side + 1) * step, np.arange(side + 1) * step)
    jit = rng.uniform(-0.3, 0.3, (side + 1, side + 1, 2)) * step
    jit[[0, -1], :, :] = 0
    jit[:, [0, -1], :] = 0
    xs, ys = cx + jit[..., 0] + 380_000.0, cy + jit[..., 1] + 6_665_000.0
    polys = [shapely.Polygon([(xs[r, c], ys[r, c]), (xs[r, c + 1], ys[r, c + 1]), (xs[r + 1, c + 1], ys[r + 1, c + 1]),
                              (xs[r + 1, c], ys[r + 1, c])]) for r in range(side) for c in range(side)]
    return gpd.GeoDataFrame({"zone": np.arange(len(polys))}, geometry=polys, crs="EPSG:3067")


def join_worker(kind: str, path: str) -> dict:
    from joinedup.engine.scale_points import summarise_points_in_polygons

    polygons = grid_polygons()
    t0 = time.perf_counter()
    if kind == "chunks":
        table = summarise_points_in_polygons(polygons, path, value_fields=["weight"], chunk_rows=1_000_000)
    else:
        import geopandas as gpd

        from joinedup.engine.joins import join_by_location

        points = gpd.read_parquet(path)
        out = join_by_location(polygons, points, predicates=("intersects",), method="summary", join_fields=["weight"],
                               summaries=["count", "sum"]).output
        table = out.rename(columns={"weight_count": "count"})  # every weight is non-null here
    seconds = time.perf_counter() - t0
    return {"seconds": round(seconds, 1), "peak_rss_mb": round(peak_rss_mb()), "pairs": int(table["count"].sum()),
            "weight_sum": float(table["weight_sum"].sum())}


def bench_join(quick: bool, n_points: int | None):
    n = n_points or (1_000_000 if quick else 10_000_000)
    SCRATCH.mkdir(parents=True, exist_ok=True)
    path = SCRATCH / f"points_{n}.parquet"
    if not path.exists():
        write_points(path, n)
    rows = []
    for kind in (("chunks", "whole") if n <= 2_000_000 else ("chunks",)):
        out = run_worker(__file__, kind, str(path))
        rows.append({"join": f"{n:,} points, {'chunks of 1,000,000' if kind == 'chunks' else 'whole layer'}",
                     **out, "points_per_s": round(n / out["seconds"]) if out["seconds"] else ""})
        print(rows[-1], flush=True)
    report(f"scale_join_{n}", rows, f"1,600 polygons; count and sum of an integer-valued weight; {load()}")


def write_join_layers(path: Path, n: int, seed: int = 7):
    """The 1,600 polygons (layer zones) and n random points with an integer weight (layer
    points, written a million at a time) over the same 20 km square, in one GeoPackage."""
    import geopandas as gpd
    import pyogrio

    pyogrio.write_dataframe(grid_polygons(), str(path), layer="zones", driver="GPKG")
    rng = np.random.default_rng(seed)
    for start in range(0, n, 1_000_000):
        k = min(1_000_000, n - start)
        xy = rng.uniform(0, 20_000, (k, 2)) + [380_000.0, 6_665_000.0]
        points = gpd.GeoDataFrame({"weight": rng.integers(0, 100, k)},
                                  geometry=gpd.points_from_xy(xy[:, 0], xy[:, 1]), crs="EPSG:3067")
        pyogrio.write_dataframe(points, str(path), layer="points", driver="GPKG", append=start > 0)


JOIN_ALG_RUNS = (  # label, algorithm, its own parameters
    ("joinedup in-process", "joinedup:joinbylocation", {"METHOD": 3, "EXECUTION": "local"}),
    ("joinedup LocalCluster 1 worker", "joinedup:joinbylocation", {"METHOD": 3, "EXECUTION": "local cluster:1"}),
    ("joinedup LocalCluster 2 workers", "joinedup:joinbylocation", {"METHOD": 3, "EXECUTION": "local cluster:2"}),
    ("QGIS native:joinbylocationsummary", "native:joinbylocationsummary", {}),
)


def join_algorithm_worker(k: int, gpkg: str, repeat: int) -> dict:
    """One variant of JOIN_ALG_RUNS, ``repeat`` times, in a QGIS session of its own (so its peak
    RSS is its own: the QGIS process's, not the workers')."""
    from joinedup.engine.scale import Execution, run_tasks

    label, alg, extra = JOIN_ALG_RUNS[k]
    processing = qgis_session()
    params = {"INPUT": f"{gpkg}|layername=zones", "JOIN": f"{gpkg}|layername=points", "PREDICATE": [0],
              "JOIN_FIELDS": ["weight"], "SUMMARIES": [0, 5], "DISCARD_NONMATCHING": False}
    startup = None
    execution = Execution.parse(extra.get("EXECUTION", "local"))
    if not execution.is_local:  # the cluster's own start-up and shut-down, measured apart (each run pays it)
        t0 = time.perf_counter()
        run_tasks(lambda shared, x: x, None, [(1,)], execution=execution)
        startup = round(time.perf_counter() - t0, 1)
    out = SCRATCH / f"join_out_{k}.gpkg"

    def once():
        if out.exists():
            os.remove(out)
        return processing.run(alg, {**params, **extra, "OUTPUT": str(out)})

    med, times, _ = median_time(once, repeat=repeat)
    return {"median_s": med, "times": times, "startup_s": startup, "peak_rss_mb": round(peak_rss_mb()),
            "output": str(out)}


def bench_join_algorithm(quick: bool, n_points: int | None, repeat: int):
    import pyogrio

    n = n_points or (200_000 if quick else 1_000_000)
    SCRATCH.mkdir(parents=True, exist_ok=True)
    gpkg = SCRATCH / f"join_layers_{n}.gpkg"
    if not gpkg.exists():
        write_join_layers(gpkg, n)
    print(f"{n:,} points in 1,600 polygons, medians of {repeat}; {load()}", flush=True)
    rows, tables = [], []
    for k, (label, _, _) in enumerate(JOIN_ALG_RUNS):
        got = run_worker(__file__, "joinalg", k, str(gpkg), repeat)
        table = pyogrio.read_dataframe(got["output"], read_geometry=False).set_index("zone").sort_index()
        tables.append(table[["weight_count", "weight_sum"]].fillna(0))  # QGIS: NULL where nothing matched
        rows.append({"run": label, "median_s": round(got["median_s"], 2),
                     "times_s": " ".join(f"{t:.1f}" for t in got["times"]), "cluster_startup_s": got["startup_s"],
                     "points_per_s": round(n / got["median_s"]), "qgis_process_peak_mb": got["peak_rss_mb"],
                     "same_counts_sums": bool(np.array_equal(tables[-1].to_numpy(float), tables[0].to_numpy(float)))})
        print(rows[-1], f"({load()})", flush=True)
    base, native = rows[0]["median_s"], rows[-1]["median_s"]
    for row in rows:
        row["in_process_over_this"] = round(base / row["median_s"], 2)
        row["native_over_this"] = round(native / row["median_s"], 2)
    one, two = rows[1]["median_s"], rows[2]["median_s"]
    note = (f"1 -> 2 workers: {one / two:.2f}x; 2 workers vs in-process: {base / two:.2f}x; in-process vs QGIS "
            f"native: {native / base:.2f}x. Each variant runs in a QGIS process of its own (peak RSS: that "
            "process's, with QGIS itself; a cluster's workers are other processes). Every cluster run starts its "
            "LocalCluster (start-up and shut-down measured apart above) and the workers read chunks of the "
            f"GeoPackage themselves. After the runs: {load()}.")
    report(f"scale_join_algorithm_{n}", rows, note)


MAPMATCH_FILE_RUNS = (("in-process", "local"), ("LocalCluster 2 workers, workers read the file", "local cluster:2"))


def write_gps_file(path: Path, lines_path: Path, n_points: int, order: str):
    """Seeded lorry tracks of 500 points (5 s apart, sigma 10 m) on the sample's drive network in
    a GeoPackage (EPSG:3067), sorted by track or by time, and the network's lines beside them."""
    import geopandas as gpd
    import pandas as pd
    import pyogrio
    from gen_tracks import drive_graph, generate_tracks

    if not lines_path.exists():
        lines = pyogrio.read_dataframe(str(DATA), layer="lines")
        lines = lines[lines["highway"].notna()][["highway", "other_tags", "geometry"]]
        lines.to_file(lines_path, driver="GPKG")
    _, graph = drive_graph(DATA)
    parts = []
    for k, start in enumerate(range(0, n_points // 500, 200)):  # 200 tracks at a time: bounded memory
        n_tracks = min(200, n_points // 500 - start)
        pts, _ = generate_tracks(graph, n_tracks=n_tracks, n_points=500, sigma_m=10, interval_s=5, seed=100 + k,
                                 mode="hgv", start_time=f"2024-05-02T{6 + k % 12:02d}:00:00")
        pts["track_id"] = pts["track_id"] + f"-{k}"
        parts.append(pts)
    pts = gpd.GeoDataFrame(pd.concat(parts, ignore_index=True), crs=parts[0].crs)
    if order == "time":
        pts = pts.sort_values(["time", "track_id"], kind="stable").reset_index(drop=True)
    pts.to_file(path, layer="gps", driver="GPKG")
    return len(pts)


def mapmatch_file_worker(k: int, gps: str, lines: str, out_dir: str) -> dict:
    """One variant of MAPMATCH_FILE_RUNS in a QGIS session of its own: seconds, and the QGIS
    process's peak RSS (VmHWM) after start-up and during the run."""
    processing = qgis_session()
    label, execution = MAPMATCH_FILE_RUNS[k]
    outputs = {name: str(Path(out_dir) / f"mm_{name.lower()}_{k}.gpkg") for name in ("OUTPUT", "QUALITY")}
    for out in outputs.values():
        if os.path.exists(out):
            os.remove(out)
    before = current_peak_rss_mb()
    reset_peak_rss()
    t0 = time.perf_counter()
    processing.run("joinedup:mapmatch", {
        "INPUT": f"{gps}|layername=gps", "TRACK_FIELD": "track_id", "TIME_FIELD": "time", "MODE_FIELD": "mode",
        "NETWORK": lines, "MODE": 3, "PRESET": 1, "GPS_SIGMA": 10, "SEARCH_RADIUS": 50, "EXECUTION": execution,
        **outputs})
    seconds = time.perf_counter() - t0
    return {"seconds": seconds, "start_mb": round(before), "peak_mb": round(current_peak_rss_mb()), **outputs}


def bench_mapmatch_file(quick: bool, n_points: int | None, order: str):
    import pandas as pd
    import pyogrio

    n = n_points or (100_000 if quick else 1_000_000)
    SCRATCH.mkdir(parents=True, exist_ok=True)
    gps = SCRATCH / f"gps_{n}_{order}.gpkg"
    lines = SCRATCH / "helsinki_lines.gpkg"
    if not gps.exists():
        write_gps_file(gps, lines, n, order)
    n = pyogrio.read_info(str(gps), layer="gps")["features"]
    print(f"{n:,} GPS points sorted by {order}; {load()}", flush=True)
    rows, outputs = [], []
    for k, (label, _) in enumerate(MAPMATCH_FILE_RUNS):
        got = run_worker(__file__, "mapmatchfile", k, str(gps), str(lines), str(SCRATCH))
        outputs.append([pyogrio.read_dataframe(got[name]) for name in ("OUTPUT", "QUALITY")])
        same = ""
        if k:
            same = all(pd.DataFrame(a.drop(columns="geometry", errors="ignore")).equals(
                pd.DataFrame(b.drop(columns="geometry", errors="ignore"))) for a, b in zip(outputs[0], outputs[k]))
            ga, gb = outputs[0][0].geometry, outputs[k][0].geometry  # a route that did not move has none
            same = same and bool((ga.geom_equals_exact(gb, 0) | (ga.isna() & gb.isna())).all())
        rows.append({"run": label, "points": n, "seconds": round(got["seconds"], 1),
                     "points_per_s": round(n / got["seconds"]), "qgis_after_startup_mb": got["start_mb"],
                     "qgis_peak_during_run_mb": got["peak_mb"], "growth_mb": got["peak_mb"] - got["start_mb"],
                     "same_routes_quality": same})
        print(rows[-1], f"({load()})", flush=True)
    growth = [r["growth_mb"] for r in rows]
    note = (f"QGIS process growth during the run: {growth[0]} MB in-process, {growth[1]} MB when the workers read "
            f"the file ({order}-sorted GeoPackage). The workers' own memory is not in these figures (other "
            f"processes: a task of up to {min(200_000, max(5_000, -(-n // 32))):,} points each). After the runs: "
            f"{load()}.")
    report(f"scale_mapmatch_file_{n}_{order}", rows, note)


MAPMATCH_ENGINE_RUNS = (("results fetched as each task ends", True), ("all gathered at the end (before)", False))


def _status_mb() -> dict:
    out = {}
    with open("/proc/self/status") as handle:
        for line in handle:
            if line.startswith(("VmRSS:", "VmHWM:")):
                out[line.split(":")[0]] = round(int(line.split()[1]) / 1024)
    return out


def mapmatch_engine_worker(k: int, gps: str, out_dir: str) -> dict:
    """One variant of MAPMATCH_ENGINE_RUNS: match_file in plain Python, this process's memory
    at each step (VmHWM reset after the network is built)."""
    import ctypes
    import gc

    import shapely
    from gen_tracks import drive_graph

    import joinedup.engine.scale as scale
    from joinedup.engine.scale import Execution
    from joinedup.engine.scale_tracks import match_file

    label, each = MAPMATCH_ENGINE_RUNS[k]
    _, graph = drive_graph(DATA)
    run_tasks, steps = scale.run_tasks, {}

    def measured(*args, **kwargs):  # the partition is over when the tasks are handed out
        if not steps:  # the first call (run_tasks calls itself again with the cluster's client)
            gc.collect()
            steps["after_partition"] = _status_mb()
        return run_tasks(*args, **{**kwargs, "gather_each": each})

    scale.run_tasks = measured
    gc.collect()
    start = _status_mb()
    reset_peak_rss()
    t0 = time.perf_counter()
    routes, quality, _ = match_file(gps, graph, layer="gps", track_field="track_id", time_field="time",
                                    mode_field="mode", execution=Execution("local cluster", 2))
    seconds = time.perf_counter() - t0
    gc.collect()
    end = _status_mb()
    ctypes.CDLL("libc.so.6").malloc_trim(0)
    trimmed = _status_mb()
    per_vertex = 16 if shapely.geos_version >= (3, 12, 0) else 24  # GEOS < 3.12 keeps x, y and z
    vertices = int(shapely.get_num_coordinates(routes.geometry.values).sum())
    text = sum(sys.getsizeof(v) for c in ("track_id", "mode", "edge_ids") for v in routes[c].tolist())
    out = {name: str(Path(out_dir) / f"engine_{name}_{k}.parquet") for name in ("routes", "quality")}
    routes.to_parquet(out["routes"])
    quality.to_parquet(out["quality"])
    return {"run": label, "seconds": round(seconds, 1), "start_rss_mb": start["VmRSS"],
            "after_partition_rss_mb": steps["after_partition"]["VmRSS"], "peak_mb": end["VmHWM"],
            "end_rss_mb": end["VmRSS"], "trimmed_rss_mb": trimmed["VmRSS"], "routes": len(routes),
            "route_vertices": vertices, "routes_own_mb": round((vertices * per_vertex + text) / 2 ** 20),
            "load": load(), **out}


def bench_mapmatch_engine(quick: bool, n_points: int | None):
    import geopandas as gpd
    import pandas as pd

    n = n_points or (100_000 if quick else 1_000_000)
    SCRATCH.mkdir(parents=True, exist_ok=True)
    gps = SCRATCH / f"gps_{n}_track.gpkg"
    if not gps.exists():
        write_gps_file(gps, SCRATCH / "helsinki_lines.gpkg", n, "track")
    print(f"{n:,} GPS points sorted by track; {load()}", flush=True)
    rows, outputs = [], []
    for k in range(len(MAPMATCH_ENGINE_RUNS)):
        got = run_worker(__file__, "mapmatchengine", k, str(gps), str(SCRATCH))
        outputs.append((gpd.read_parquet(got.pop("routes")), pd.read_parquet(got.pop("quality"))))
        got["growth_mb"] = got["peak_mb"] - got["start_rss_mb"]
        rows.append({"points": n, **got})
        print(rows[-1], flush=True)
    (ra, qa), (rb, qb) = outputs
    same = (pd.DataFrame(ra.drop(columns="geometry")).equals(pd.DataFrame(rb.drop(columns="geometry")))
            and qa.equals(qb) and bool((ra.geometry.geom_equals_exact(rb.geometry, 0)
                                        | (ra.geometry.isna() & rb.geometry.isna())).all()))
    note = (f"Growth of this process (peak over its size once the network is built): {rows[0]['growth_mb']} MB "
            f"fetching each result as its task ends, {rows[1]['growth_mb']} MB gathering all at the end; the "
            f"routes themselves are about {rows[0]['routes_own_mb']} MB. Same routes and quality: {same}. "
            f"After the runs: {load()}.")
    report(f"scale_mapmatch_engine_{n}", rows, note)


def main():
    if len(sys.argv) > 1 and sys.argv[1] == "--worker":
        plugin_importable()
        if sys.argv[2] == "joinalg":
            print(json.dumps(join_algorithm_worker(int(sys.argv[3]), sys.argv[4], int(sys.argv[5]))))
        elif sys.argv[2] == "mapmatchengine":
            print(json.dumps(mapmatch_engine_worker(int(sys.argv[3]), sys.argv[4], sys.argv[5])))
        elif sys.argv[2] == "mapmatchfile":
            print(json.dumps(mapmatch_file_worker(int(sys.argv[3]), sys.argv[4], sys.argv[5], sys.argv[6])))
        else:
            print(json.dumps(join_worker(sys.argv[2], sys.argv[3])))
        return
    ap = argparse.ArgumentParser()
    ap.add_argument("--quick", action="store_true")
    ap.add_argument("--only", default="mapmatch,join,joinalg,mapmatchfile,mapmatchengine")
    ap.add_argument("--order", default="track", choices=("track", "time"),
                    help="mapmatchfile: the GPS file sorted by track (default) or by time")
    ap.add_argument("--repeat", type=int, default=3, help="runs per variant of joinalg (the median is reported)")
    ap.add_argument("--points", type=int, default=None,
                    help="points for the join (default 10M; --quick 1M) and joinalg (default 1M; --quick 200k)")
    args = ap.parse_args()
    plugin_importable()
    wanted = {w.strip() for w in args.only.split(",")}
    if "mapmatch" in wanted:
        bench_mapmatch(args.quick)
    if "join" in wanted:
        bench_join(args.quick, args.points)
    if "joinalg" in wanted:
        bench_join_algorithm(args.quick, args.points, args.repeat)
    if "mapmatchfile" in wanted:
        bench_mapmatch_file(args.quick, args.points, args.order)
    if "mapmatchengine" in wanted:
        bench_mapmatch_engine(args.quick, args.points)


if __name__ == "__main__":
    main()
