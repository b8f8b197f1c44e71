"""Risk benchmarks, QGIS/esda and JoinedUp on the same data in one run:

1. Kernel density: n clustered points over the ~2.5 km sample-city extent, 10 m cells,
   quartic kernel, 100 m radius. QGIS's qgis:heatmapkerneldensityestimation against
   joinedup:density (exact, QGIS-compatible exact, binned FFT), end to end through
   processing.run (reading the GeoPackage, writing the GeoTIFF).
2. Gi*: a grid of n square areas, queen contiguity. PySAL esda G_Local(star=True)
   (weights from libpysal Queen.from_dataframe) against JoinedUp (weights + z), and
   permutation inference at a smaller n (esda runs without numba here: pure Python).

    .venv/bin/python benchmarks/bench_risk.py [--quick]
"""
from __future__ import annotations

import argparse
import sys
import tempfile
import time
import warnings
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
import gen_risk  # noqa: E402
from common import (  # noqa: E402
    median_stages,
    median_time,
    peak_rss_mb,
    qgis_session,
    report,
    stage_clock,
    stage_text,
)

# where joinedup:density's end-to-end time goes (benchmarks/common.py stage_clock)
DENSITY_STAGES = {"read": "joinedup.processing.bridge:read_source",
                  "analysis": ["joinedup.engine.density:density_points", "joinedup.engine.density:density_of_points"],
                  "write": "joinedup.processing.bridge:write_atomically"}


def bench_density(processing, n, tmp, repeat, qgis_limit):
    import numpy as np
    import rasterio

    xy, w = gen_risk.incident_points(n, seed=1)
    path = str(Path(tmp) / f"points_{n}.gpkg")
    gen_risk.points_frame(xy, w).to_file(path, driver="GPKG", engine="pyogrio")
    rows = []
    common = {"INPUT": path, "RADIUS": 100, "PIXEL_SIZE": 10}

    def qgis():
        return processing.run("qgis:heatmapkerneldensityestimation", dict(
            common, KERNEL=0, OUTPUT_VALUE=0, OUTPUT=str(Path(tmp) / "q.tif")))["OUTPUT"]

    def ju(method, compatible):
        return lambda: processing.run("joinedup:density", dict(
            common, KERNEL=0, OUTPUT_VALUE=2, METHOD=method, QGIS_COMPATIBLE=compatible,
            OUTPUT=str(Path(tmp) / f"j{method}{int(compatible)}.tif")))["OUTPUT"]

    t_q = None
    if n <= qgis_limit:
        t_q, _, q_out = median_time(qgis, repeat=repeat)
        rows.append({"task": "density", "n": n, "tool": "QGIS heatmap", "median_s": t_q, "ratio": 1.0,
                     "max_abs_diff": 0.0})
        with rasterio.open(q_out) as ds:
            ref = ds.read(1).astype(float)
            ref[ref == ds.nodata] = 0.0
    from joinedup.engine import density as eng

    for label, method, conv in (("engine only: exact (QGIS-compatible)", "exact", "qgis"),
                                ("engine only: exact", "exact", "exact"),
                                ("engine only: binned FFT", "fft", "exact")):
        t, _, _ = median_time(lambda: eng.kernel_density(xy, cell_size=10, bandwidth=100, values="raw",
                                                         method=method, convention=conv), repeat=repeat)
        rows.append({"task": "density", "n": n, "tool": label, "median_s": t,
                     "ratio": (t_q / t) if t_q else None, "max_abs_diff": None})
    for label, fn in (("JoinedUp exact (QGIS-compatible)", ju(0, True)), ("JoinedUp exact", ju(0, False)),
                      ("JoinedUp binned FFT", ju(1, False))):
        stage_runs = []

        def staged(fn=fn, stage_runs=stage_runs):
            with stage_clock(DENSITY_STAGES) as stages:
                out = fn()
            stage_runs.append(stages)
            return out

        t, _, out = median_time(staged, repeat=repeat)
        with rasterio.open(out) as ds:
            got = ds.read(1).astype(float)
            got[got == ds.nodata] = 0.0
        diff = float(np.abs(got - ref).max() / ref.max()) if t_q is not None else None
        rows.append({"task": "density", "n": n, "tool": label, "median_s": t,
                     "ratio": (t_q / t) if t_q else None, "max_abs_diff": diff,
                     "stages": stage_text(median_stages(stage_runs))})
    return rows


def bench_gi(n_side, perm_side, repeat):
    import numpy as np
    from esda.getisord import G_Local
    from libpysal.weights import Queen

    from joinedup.engine import hotspots as eng

    gdf = gen_risk.grid_values(n_side, seed=2)
    y = gdf["value"].to_numpy()
    geoms = gdf.geometry.values
    rows = []

    def esda_run():
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            w = Queen.from_dataframe(gdf, use_index=False, silence_warnings=True)
            return G_Local(y, w, transform="B", star=True, permutations=0).Zs

    def ju_run():
        W = eng.contiguity_weights(np.asarray(geoms))
        return eng.gi_star(y, W).z

    t_e, _, z_e = median_time(esda_run, repeat=repeat)
    t_j, _, z_j = median_time(ju_run, repeat=repeat)
    n = n_side * n_side
    rows.append({"task": "Gi* queen, analytical", "n": n, "tool": "esda + libpysal", "median_s": t_e,
                 "ratio": 1.0, "max_abs_diff": 0.0})
    rows.append({"task": "Gi* queen, analytical", "n": n, "tool": "JoinedUp", "median_s": t_j,
                 "ratio": t_e / t_j, "max_abs_diff": float(np.nanmax(np.abs(z_e - z_j)))})

    small = gen_risk.grid_values(perm_side, seed=3)
    ys = small["value"].to_numpy()
    Ws = eng.contiguity_weights(np.asarray(small.geometry.values))
    from libpysal.weights import W as PW
    ws = PW.from_sparse(Ws)

    def esda_perm():
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            return G_Local(ys, ws, transform="B", star=True, permutations=99, seed=1, n_jobs=1).p_sim

    def ju_perm():
        return eng.gi_star(ys, Ws, inference="permutation", permutations=99, seed=1).p_sim

    t_e, _, p_e = median_time(esda_perm, repeat=1)
    t_j, _, p_j = median_time(ju_perm, repeat=1)
    m = perm_side * perm_side
    rows.append({"task": "Gi* 99 permutations", "n": m, "tool": "esda (no numba)", "median_s": t_e,
                 "ratio": 1.0, "max_abs_diff": 0.0})
    rows.append({"task": "Gi* 99 permutations", "n": m, "tool": "JoinedUp", "median_s": t_j,
                 "ratio": t_e / t_j, "max_abs_diff": float(np.abs(p_e - p_j).max())})
    # JoinedUp alone at the full size with 999 permutations (esda without numba is too slow)
    W = eng.contiguity_weights(np.asarray(geoms))
    t, _, _ = median_time(lambda: eng.gi_star(y, W, inference="permutation", permutations=999, seed=1),
                          repeat=1)
    rows.append({"task": "Gi* 999 permutations", "n": n, "tool": "JoinedUp", "median_s": t,
                 "ratio": None, "max_abs_diff": None})
    return rows


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--quick", action="store_true")
    args = parser.parse_args()
    processing = qgis_session()
    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        if args.quick:
            sizes, qgis_limit, repeat, side, perm_side = [20_000], 20_000, 1, 100, 30
        else:
            sizes, qgis_limit, repeat, side, perm_side = [100_000, 1_000_000], 1_000_000, 1, 317, 70
        for n in sizes:
            start = time.perf_counter()
            rows += bench_density(processing, n, tmp, repeat, qgis_limit)
            print(f"density n={n}: {time.perf_counter() - start:.0f} s", flush=True)
        rows += bench_gi(side, perm_side, repeat)
    notes = (f"Density: quartic, 100 m radius, 10 m cells over ~2.5 km (about 270 x 270 cells), "
             f"end to end through processing.run (reading the GeoPackage through the shared bridge, "
             f"writing the GeoTIFF) unless 'engine only'; max_abs_diff relative to QGIS's maximum. "
             f"ratio = QGIS or esda time / JoinedUp time (above 1: JoinedUp faster). stages: medians of "
             f"the bridge's read_source, the engine's density_points + density_of_points and the "
             f"GeoTIFF write (write_atomically); other = QGIS's parameter handling and loading. "
             f"Peak RSS {peak_rss_mb():.0f} MiB.")
    report("bench_risk" + ("_quick" if args.quick else ""), rows, notes)


if __name__ == "__main__":
    main()
